# Audit: metafor 3.8.1 meta-regression (rma.uni with 1 or 2 moderators) on random data, every
# method x test, at a level drawn per dataset. Data: the (yi, vi) sets of audit_rma.R with k >= 4;
# moderators drawn with seed 20261122 (x1 ~ N(0, 1) scaled by a random power of ten; x2, in half
# of the sets, a 0/1 indicator that is not constant). Coefficients, QM, R2, QE are recorded, and
# metafor's warnings and errors (e.g. too few studies for p coefficients plus tau^2).
# Run: Rscript reference/metafor/audit_regression.R  (writes audit_regression.json beside this script)
here <- local({ f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)); dirname(normalizePath(f)) })
source(file.path(here, "audit_generators.R"))
sets <- model_datasets(escalc_audit_cases(per_measure = 10, seed = 20261121))
sets <- Filter(function(s) length(s$yi) >= 4, sets)
set.seed(20261122)
METHODS <- c("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
out <- list()
for (s in sets) {
  k <- length(s$yi)
  x1 <- r15(rnorm(k) * 10^runif(1, -2, 2))
  mods <- list(x1 = I(x1))
  if (runif(1) < 0.5) {
    repeat { x2 <- rbinom(k, 1, 0.5); if (length(unique(x2)) == 2) break }
    mods$x2 <- I(x2)
  }
  X <- do.call(cbind, mods)
  lv <- pick(c(90, 95, 99))
  fits <- list()
  for (m in METHODS) for (tt in c("z", "knha")) {
    o <- capture(rma(s$yi, s$vi, mods = X, method = m, test = tt, level = lv))
    res <- o$value
    f <- list(method = m, test = tt, level = lv, error = o$error, warnings = I(o$warnings))
    if (!is.null(res)) {
      f <- c(f, list(coefficients = I(c(res$beta)), se = I(res$se), statistic = I(res$zval),
        p_value = I(res$pval), ci_lower = I(res$ci.lb), ci_upper = I(res$ci.ub), QM = res$QM,
        QM_df = res$QMdf[1], QM_p = res$QMp, Q = res$QE, Q_p = res$QEp, R2 = nz(res$R2),
        tau2 = res$tau2, tau2_se = nz(res$se.tau2), I2 = res$I2, H2 = res$H2))
    }
    fits[[length(fits) + 1]] <- f
  }
  out[[length(out) + 1]] <- list(name = s$name, yi = I(s$yi), vi = I(s$vi), mods = mods, fits = fits)
}
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), seed = 20261122,
  generator = "audit_generators.R + moderators drawn in this script", datasets = out),
  file.path(here, "audit_regression.json"), digits = NA, auto_unbox = TRUE, na = "null")
