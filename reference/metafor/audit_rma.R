# Audit: metafor 3.8.1 rma.uni on random data, every method x test x level, with predict() and
# confint() (Q-profile CIs of tau^2, tau, I^2, H^2). Data: the finite (yi, vi) of the random
# escalc cases of audit_escalc.R (audit_generators.R, seed 20261121) plus constructed edges
# (k = 1, identical yi, tau^2 = 0, variances over six orders of magnitude, large/small scales).
# Warnings and errors of metafor are recorded per fit, so evsynth can be checked to fail or warn
# in the same places.
# Run: Rscript reference/metafor/audit_rma.R  (writes audit_rma.json beside this script)
here <- local({ f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)); dirname(normalizePath(f)) })
source(file.path(here, "audit_generators.R"))
sets <- model_datasets(escalc_audit_cases(per_measure = 10, seed = 20261121))

METHODS <- c("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
one_fit <- function(yi, vi, method, test, level) {
  out <- capture(rma(yi, vi, method = method, test = test, level = level))
  res <- out$value
  fit <- list(method = method, test = test, level = level, error = out$error, warnings = I(out$warnings))
  if (is.null(res)) return(fit)
  pr <- predict(res)
  # metafor's predict gives no prediction interval for FE models; with tau2 = 0 it is the CI
  if (is.null(pr$pi.lb)) { pr$pi.lb <- pr$ci.lb; pr$pi.ub <- pr$ci.ub }
  fit <- c(fit, list(k = res$k, estimate = c(res$beta), se = res$se, ci_lower = res$ci.lb,
    ci_upper = res$ci.ub, statistic = res$zval, p_value = res$pval, tau2 = res$tau2,
    tau2_se = nz(res$se.tau2), I2 = res$I2, H2 = res$H2, Q = res$QE, Q_p = res$QEp,
    QM = res$QM, QM_p = res$QMp, pi_lower = pr$pi.lb, pi_upper = pr$pi.ub,
    # weights do not depend on test or level: stored once per method (level 95, z)
    weights = if (level == 95 && test == "z") I(unname(weights(res))) else NA))
  if (method != "FE" && res$k > 1) {
    ci <- capture(confint(res))
    fit$confint_error <- ci$error
    fit$confint_warnings <- I(ci$warnings)
    if (!is.null(ci$value)) {
      r <- ci$value$random
      fit$tau2_ci <- unname(r["tau^2", c("ci.lb", "ci.ub")])
      fit$tau_ci <- unname(r["tau", c("ci.lb", "ci.ub")])
      fit$I2_ci <- unname(r["I^2(%)", c("ci.lb", "ci.ub")])
      fit$H2_ci <- unname(r["H^2", c("ci.lb", "ci.ub")])
    }
  }
  fit
}

out <- list()
for (s in sets) {
  fits <- list()
  for (m in METHODS) for (tt in c("z", "knha")) for (lv in c(90, 95, 99)) {
    fits[[length(fits) + 1]] <- one_fit(s$yi, s$vi, m, tt, lv)
  }
  out[[length(out) + 1]] <- list(name = s$name, measure = s$measure, yi = I(s$yi), vi = I(s$vi), fits = fits)
}
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), seed = 20261121,
  generator = "audit_generators.R: model_datasets(escalc_audit_cases(10, 20261121))",
  datasets = out), file.path(here, "audit_rma.json"), digits = NA, auto_unbox = TRUE, na = "null")
