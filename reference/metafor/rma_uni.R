# Reference values for evsynth.stats.models.rma: metafor 3.8.1 rma.uni, confint, predict.
# Run: Rscript reference/metafor/rma_uni.R  (writes rma_uni.json beside this script)
suppressPackageStartupMessages(library(metafor))
out_path <- file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "rma_uni.json")

datasets <- list()
d <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
datasets$bcg_rr <- list(yi = c(d$yi), vi = c(d$vi), measure = "RR")
d <- escalc(measure = "OR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
datasets$bcg_or <- list(yi = c(d$yi), vi = c(d$vi), measure = "OR")
d <- dat.hackshaw1998
datasets$hackshaw <- list(yi = c(d$yi), vi = c(d$vi), measure = "OR")
d <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat.normand1999)
datasets$normand_md <- list(yi = c(d$yi), vi = c(d$vi), measure = "MD")
d <- escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat.normand1999)
datasets$normand_smd <- list(yi = c(d$yi), vi = c(d$vi), measure = "SMD")
d <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014)
datasets$molloy_zcor <- list(yi = c(d$yi), vi = c(d$vi), measure = "ZCOR")
d <- dat.raudenbush1985
datasets$raudenbush <- list(yi = c(d$yi), vi = c(d$vi), measure = "SMD")
d <- dat.konstantopoulos2011
datasets$konstantopoulos <- list(yi = c(d$yi), vi = c(d$vi), measure = "SMD")
# constructed general cases
datasets$k2 <- list(yi = c(0.1, 0.9), vi = c(0.04, 0.09), measure = "GEN")
datasets$homogeneous <- list(yi = c(0.50, 0.52, 0.49, 0.51, 0.50, 0.48), vi = c(0.10, 0.20, 0.15, 0.30, 0.12, 0.25), measure = "GEN")
datasets$unequal_vi <- list(yi = c(0.2, -0.4, 1.3, 0.8, 0.05, 2.1, -1.0), vi = c(1e-4, 0.5, 3, 0.01, 25, 0.2, 8), measure = "GEN")
datasets$identical <- list(yi = c(0.3, 0.3, 0.3, 0.3), vi = c(0.1, 0.2, 0.3, 0.05), measure = "GEN")
datasets$large_tau2 <- list(yi = c(-12.1, 3.4, 25.0, -4.2, 9.9, 40.3, -20.7, 1.1), vi = c(0.5, 1.2, 0.8, 2.5, 0.3, 1.0, 4.0, 0.6), measure = "GEN")
datasets$k3 <- list(yi = c(-0.3, 0.4, 1.1), vi = c(0.05, 0.08, 0.02), measure = "GEN")

methods <- c("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
tests <- c("z", "knha")
cases <- list()
for (nm in names(datasets)) {
  ds <- datasets[[nm]]
  for (m in methods) for (tt in tests) {
    res <- suppressWarnings(rma(ds$yi, ds$vi, method = m, test = tt))
    pr <- predict(res)
    # metafor's predict gives no prediction interval for FE models; with tau2 = 0 it is the CI
    if (is.null(pr$pi.lb)) { pr$pi.lb <- pr$ci.lb; pr$pi.ub <- pr$ci.ub }
    case <- list(dataset = nm, measure = ds$measure, yi = ds$yi, vi = ds$vi, method = m, test = tt,
      call = sprintf("rma(yi, vi, method='%s', test='%s')", m, tt),
      k = res$k, estimate = c(res$beta), se = res$se, ci_lower = res$ci.lb, ci_upper = res$ci.ub,
      statistic = res$zval, p_value = res$pval, tau2 = res$tau2, tau2_se = res$se.tau2,
      I2 = res$I2, H2 = res$H2, Q = res$QE, Q_df = res$k - res$p, Q_p = res$QEp,
      QM = res$QM, QM_p = res$QMp,
      pi_lower = pr$pi.lb, pi_upper = pr$pi.ub, weights = unname(weights(res)))
    if (m != "FE") {
      ci <- confint(res)
      case$tau2_ci <- unname(ci$random["tau^2", c("ci.lb", "ci.ub")])
      case$tau_ci <- unname(ci$random["tau", c("ci.lb", "ci.ub")])
      case$I2_ci <- unname(ci$random["I^2(%)", c("ci.lb", "ci.ub")])
      case$H2_ci <- unname(ci$random["H^2", c("ci.lb", "ci.ub")])
    }
    cases[[length(cases) + 1]] <- case
  }
}
# k = 1: metafor fits it with tau2 = 0
res <- rma(0.3, 0.04, method = "REML")
cases[[length(cases) + 1]] <- list(dataset = "k1", measure = "GEN", yi = 0.3, vi = 0.04, method = "REML", test = "z",
  call = "rma(0.3, 0.04, method='REML')", k = 1, estimate = c(res$beta), se = res$se, ci_lower = res$ci.lb,
  ci_upper = res$ci.ub, statistic = res$zval, p_value = res$pval, tau2 = res$tau2, I2 = res$I2, H2 = res$H2,
  Q = res$QE, Q_df = 0, Q_p = res$QEp, pi_lower = predict(res)$pi.lb, pi_upper = predict(res)$pi.ub,
  weights = unname(weights(res)))
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), cases = cases), out_path,
  digits = NA, auto_unbox = TRUE)
