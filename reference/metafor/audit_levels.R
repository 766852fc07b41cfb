# Audit: rma on unusual levels (50, 80, 99.9), large k (100, 300), a variance ratio of 1e12 and
# other constructed edges, every method x test, with confint(). Seed 777 for the large-k sets.
# Run: Rscript reference/metafor/audit_levels.R  (writes audit_levels.json beside this script)
here <- local({ f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)); dirname(normalizePath(f)) })
source(file.path(here, "audit_generators.R"))
set.seed(777)
sets <- list(
  list(name = "levels_k5", yi = c(0.1, 0.5, -0.2, 0.9, 0.3), vi = c(0.02, 0.05, 0.1, 0.03, 0.2)),
  list(name = "ratio1e12", yi = c(0.1, 0.5, -0.2, 0.9, 0.3, 0.25), vi = c(1e-8, 0.05, 1e4, 0.03, 0.2, 1e-3)),
  list(name = "k2_far", yi = c(-3, 3), vi = c(0.01, 0.01)),
  list(name = "k3_one_dominant", yi = c(0, 1, 2), vi = c(1e-6, 1, 1)),
  list(name = "k100", yi = r15(rnorm(100, 0.2, 0.5)), vi = r15(rexp(100, 10))),
  list(name = "k300", yi = r15(rnorm(300, 0.2, 0.3)), vi = r15(rexp(300, 5)))
)
out <- list()
for (s in sets) {
  fits <- list()
  for (m in c("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")) for (tt in c("z", "knha")) for (lv in c(50, 80, 99.9)) {
    o <- capture(rma(s$yi, s$vi, method = m, test = tt, level = lv)); r <- o$value
    f <- list(method = m, test = tt, level = lv, error = o$error, warnings = I(o$warnings))
    if (!is.null(r)) {
      pr <- predict(r); if (is.null(pr$pi.lb)) { pr$pi.lb <- pr$ci.lb; pr$pi.ub <- pr$ci.ub }
      f <- c(f, list(k = r$k, estimate = c(r$beta), se = r$se, ci_lower = r$ci.lb, ci_upper = r$ci.ub,
        statistic = r$zval, p_value = r$pval, tau2 = r$tau2, tau2_se = nz(r$se.tau2), I2 = r$I2, H2 = r$H2,
        Q = r$QE, Q_p = r$QEp, pi_lower = pr$pi.lb, pi_upper = pr$pi.ub, weights = NA))
      if (m != "FE") {
        ci <- capture(confint(r)); f$confint_error <- ci$error; f$confint_warnings <- I(ci$warnings)
        if (!is.null(ci$value)) {
          rr <- ci$value$random
          f$tau2_ci <- unname(rr["tau^2", c("ci.lb", "ci.ub")]); f$tau_ci <- unname(rr["tau", c("ci.lb", "ci.ub")])
          f$I2_ci <- unname(rr["I^2(%)", c("ci.lb", "ci.ub")]); f$H2_ci <- unname(rr["H^2", c("ci.lb", "ci.ub")])
        }
      }
    }
    fits[[length(fits) + 1]] <- f
  }
  out[[length(out) + 1]] <- list(name = s$name, measure = "GEN", yi = I(s$yi), vi = I(s$vi), fits = fits)
}
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), seed = 777, datasets = out),
  file.path(here, "audit_levels.json"), digits = NA, auto_unbox = TRUE, na = "null")
