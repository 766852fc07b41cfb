# Audit, held-out style: a second, independent draw of the same generator (audit_generators.R)
# with seed 20261123 and 15 study sets per measure, fitted with every method x test at a level
# drawn per set (90, 95 or 99), with confint(). The tests were written against audit_rma.json;
# this set was generated afterwards and checked with the same code, as the held-out cases of
# issue 2 will be. Warnings and errors are recorded per fit.
# Run: Rscript reference/metafor/audit_heldout.R  (writes audit_heldout.json beside this script)
here <- local({ f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)); dirname(normalizePath(f)) })
source(file.path(here, "audit_generators.R"))
sets <- model_datasets(escalc_audit_cases(per_measure = 15, seed = 20261123))
sets <- Filter(function(s) startsWith(s$name, "escalc"), sets)  # the constructed edges are in audit_rma
set.seed(20261124)
METHODS <- c("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
one_fit <- function(yi, vi, method, test, level) {
  out <- capture(rma(yi, vi, method = method, test = test, level = level))
  res <- out$value
  fit <- list(method = method, test = test, level = level, error = out$error, warnings = I(out$warnings))
  if (is.null(res)) return(fit)
  pr <- predict(res)
  if (is.null(pr$pi.lb)) { pr$pi.lb <- pr$ci.lb; pr$pi.ub <- pr$ci.ub }
  fit <- c(fit, list(k = res$k, estimate = c(res$beta), se = res$se, ci_lower = res$ci.lb,
    ci_upper = res$ci.ub, statistic = res$zval, p_value = res$pval, tau2 = res$tau2,
    tau2_se = nz(res$se.tau2), I2 = res$I2, H2 = res$H2, Q = res$QE, Q_p = res$QEp,
    pi_lower = pr$pi.lb, pi_upper = pr$pi.ub, weights = NA))
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
  lv <- pick(c(90, 95, 99))
  fits <- list()
  for (m in METHODS) for (tt in c("z", "knha")) fits[[length(fits) + 1]] <- one_fit(s$yi, s$vi, m, tt, lv)
  out[[length(out) + 1]] <- list(name = s$name, measure = s$measure, yi = I(s$yi), vi = I(s$vi), fits = fits)
}
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), seed = 20261123,
  generator = "audit_generators.R: model_datasets(escalc_audit_cases(15, 20261123)); levels seed 20261124",
  datasets = out), file.path(here, "audit_heldout.json"), digits = NA, auto_unbox = TRUE, na = "null")
