# Reference values for meta-regression and subgroups in evsynth.stats.regression:
# metafor 3.8.1 rma.uni with moderators, predict(newmods), anova(btt), and subgroup fits.
# Run: Rscript reference/metafor/rma_regression.R  (writes rma_regression.json beside this script)
suppressPackageStartupMessages(library(metafor))
out_path <- file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "rma_regression.json")

dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
newmods <- rbind(c(10, 1950), c(35, 1970), c(55, 1980))
cases <- list()
for (m in c("FE", "DL", "REML", "ML", "PM", "HE", "SJ", "EB", "HS")) for (tt in c("z", "knha")) {
  res <- suppressWarnings(rma(yi, vi, mods = ~ ablat + year, data = dat, method = m, test = tt))
  pr <- predict(res, newmods = newmods)
  av <- anova(res, btt = 3)
  cases[[length(cases) + 1]] <- list(kind = "numeric", method = m, test = tt,
    call = sprintf("rma(yi, vi, mods = ~ ablat + year, data = dat, method='%s', test='%s')", m, tt),
    beta = c(res$beta), se = res$se, zval = res$zval, pval = res$pval, ci_lb = res$ci.lb, ci_ub = res$ci.ub,
    tau2 = res$tau2, I2 = res$I2, H2 = res$H2, QE = res$QE, QEp = res$QEp, QM = res$QM, QMp = res$QMp,
    R2 = if (is.null(res$R2)) NA else res$R2, vb = unname(as.vector(res$vb)),
    newmods = newmods, pred = pr$pred, pred_se = pr$se, pred_ci_lb = pr$ci.lb, pred_ci_ub = pr$ci.ub,
    pred_pi_lb = if (is.null(pr$pi.lb)) pr$ci.lb else pr$pi.lb,
    pred_pi_ub = if (is.null(pr$pi.ub)) pr$ci.ub else pr$pi.ub,
    anova_btt = 3, anova_QM = av$QM, anova_QMp = av$QMp,
    fit_ml = unname(res$fit.stats[, "ML"]), fit_reml = unname(res$fit.stats[, "REML"]))
}
# likelihood-ratio tests: full (ablat + year) against reduced (ablat) models
lrts <- list()
for (m in c("ML", "REML", "FE")) {
  full <- rma(yi, vi, mods = ~ ablat + year, data = dat, method = m)
  red <- rma(yi, vi, mods = ~ ablat, data = dat, method = m)
  a <- suppressWarnings(anova(full, red))
  lrts[[length(lrts) + 1]] <- list(method = m, call = sprintf("anova(full, reduced) with method='%s'", m),
    LRT = a$LRT, pval = a$pval, parms_f = a$parms.f, parms_r = a$parms.r,
    ll_f = unname(a$fit.stats.f["ll"]), ll_r = unname(a$fit.stats.r["ll"]),
    AIC_f = unname(a$fit.stats.f["AIC"]), AIC_r = unname(a$fit.stats.r["AIC"]), R2 = a$R2,
    QE_f = a$QE.f, QE_r = a$QE.r)
}
# a categorical moderator (treatment coding, first level alphabetically is the reference)
for (m in c("REML", "DL")) for (tt in c("z", "knha")) {
  res <- rma(yi, vi, mods = ~ alloc, data = dat, method = m, test = tt)
  cases[[length(cases) + 1]] <- list(kind = "categorical", method = m, test = tt,
    call = sprintf("rma(yi, vi, mods = ~ alloc, data = dat, method='%s', test='%s')", m, tt),
    alloc = as.character(dat$alloc), coef_names = rownames(res$beta),
    beta = c(res$beta), se = res$se, zval = res$zval, pval = res$pval, ci_lb = res$ci.lb, ci_ub = res$ci.ub,
    tau2 = res$tau2, I2 = res$I2, H2 = res$H2, QE = res$QE, QEp = res$QEp, QM = res$QM, QMp = res$QMp,
    R2 = res$R2)
}
# subgroups: separate fits per level, and the RevMan-style test of subgroup differences
sub <- list()
for (m in c("REML", "DL", "FE")) {
  fits <- lapply(split(dat, dat$alloc), function(d) rma(yi, vi, data = d, method = m))
  est <- sapply(fits, function(f) c(f$beta)); ses <- sapply(fits, function(f) f$se)
  between <- rma(est, sei = ses, method = "FE")
  sub[[length(sub) + 1]] <- list(method = m, levels = names(fits), estimate = unname(est), se = unname(ses),
    tau2 = unname(sapply(fits, function(f) f$tau2)), k = unname(sapply(fits, function(f) f$k)),
    Q_between = between$QE, Q_between_df = length(fits) - 1, Q_between_p = between$QEp)
}
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), yi = c(dat$yi), vi = c(dat$vi),
  ablat = dat$ablat, year = dat$year, alloc = as.character(dat$alloc), cases = cases, subgroups = sub, lrts = lrts),
  out_path, digits = NA, auto_unbox = TRUE, na = "null")
# Subgroups of 2x2 tables pooled with Mantel-Haenszel or Peto (RevMan's test for subgroup
# differences: Q of the subgroup estimates with their variances). Written to a separate file.
sub2 <- list()
for (meas in c("OR", "RR", "RD", "PETO")) {
  fits <- lapply(split(dat.bcg, dat.bcg$alloc), function(d) if (meas == "PETO")
    rma.peto(ai = tpos, bi = tneg, ci = cpos, di = cneg, data = d) else
    rma.mh(ai = tpos, bi = tneg, ci = cpos, di = cneg, data = d, measure = meas))
  est <- sapply(fits, function(f) c(f$beta)); ses <- sapply(fits, function(f) f$se)
  between <- rma(est, sei = ses, method = "FE")
  sub2[[length(sub2) + 1]] <- list(measure = meas, levels = names(fits), estimate = unname(est),
    se = unname(ses), Q_between = between$QE, Q_between_p = between$QEp)
}
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")),
  ai = dat.bcg$tpos, bi = dat.bcg$tneg, ci = dat.bcg$cpos, di = dat.bcg$cneg,
  alloc = as.character(dat.bcg$alloc), cases = sub2),
  sub("rma_regression.json", "rma_subgroups_2x2.json", out_path), digits = NA, auto_unbox = TRUE)
