# Audit: metafor 3.8.1 leave1out, regtest (Egger), ranktest (Begg) and trimfill on random data.
# Data: the (yi, vi) sets of audit_rma.R (audit_generators.R, seed 20261121); leave1out on the
# first 40 sets with 2 <= k, every method x test at 95 %; the bias diagnostics on the first 40
# sets with k >= 3 for FE, DL, REML and PM fits (regtest with z and knha; trimfill with L0 and R0,
# z test). Warnings and errors are recorded.
# Run: Rscript reference/metafor/audit_diagnostics.R  (writes audit_diagnostics.json beside this script)
here <- local({ f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)); dirname(normalizePath(f)) })
source(file.path(here, "audit_generators.R"))
sets <- model_datasets(escalc_audit_cases(per_measure = 10, seed = 20261121))
METHODS <- c("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")

l1o <- list()
for (s in head(Filter(function(s) length(s$yi) >= 2, sets), 40)) {
  fits <- list()
  for (m in METHODS) for (tt in c("z", "knha")) {
    o <- capture(leave1out(rma(s$yi, s$vi, method = m, test = tt)))
    r <- o$value
    f <- list(method = m, test = tt, error = o$error, warnings = I(o$warnings))
    # leave1out calls the statistic tval under Knapp-Hartung; stored as zval either way
    if (!is.null(r) && is.null(r$zval)) r$zval <- r$tval
    if (!is.null(r)) for (q in c("estimate", "se", "zval", "pval", "ci.lb", "ci.ub", "Q", "Qp", "tau2", "I2", "H2")) f[[q]] <- if (is.null(r[[q]])) NA else I(unname(r[[q]]))
    fits[[length(fits) + 1]] <- f
  }
  l1o[[length(l1o) + 1]] <- list(name = s$name, yi = I(s$yi), vi = I(s$vi), fits = fits)
}

bias <- list()
for (s in head(Filter(function(s) length(s$yi) >= 3, sets), 40)) {
  entry <- list(name = s$name, yi = I(s$yi), vi = I(s$vi))
  o <- capture(ranktest(s$yi, s$vi))
  entry$ranktest <- list(error = o$error, warnings = I(o$warnings), tau = nz(o$value$tau), p_value = nz(o$value$pval))
  o <- capture(regtest(s$yi, s$vi, model = "lm"))
  entry$regtest_lm <- list(error = o$error, warnings = I(o$warnings), statistic = nz(o$value$zval),
    p_value = nz(o$value$pval), df = nz(o$value$dfs), limit_estimate = nz(o$value$est),
    limit_ci_lower = nz(o$value$ci.lb), limit_ci_upper = nz(o$value$ci.ub))
  reg <- list(); tf <- list()
  for (m in c("FE", "DL", "REML", "PM")) {
    for (tt in c("z", "knha")) {
      o <- capture(regtest(rma(s$yi, s$vi, method = m, test = tt)))
      r <- o$value
      reg[[length(reg) + 1]] <- list(method = m, test = tt, error = o$error, warnings = I(o$warnings),
        statistic = nz(r$zval), p_value = nz(r$pval), df = nz(r$dfs), limit_estimate = nz(r$est),
        limit_ci_lower = nz(r$ci.lb), limit_ci_upper = nz(r$ci.ub))
    }
    for (est in c("L0", "R0")) {
      o <- capture(trimfill(rma(s$yi, s$vi, method = m), estimator = est))
      r <- o$value
      f <- list(method = m, estimator = est, error = o$error, warnings = I(o$warnings))
      if (!is.null(r)) f <- c(f, list(k0 = r$k0, se_k0 = nz(r$se.k0), p_k0 = nz(r$p.k0), side = r$side,
        estimate = c(r$beta), se = r$se, ci_lower = r$ci.lb, ci_upper = r$ci.ub, p_value = r$pval,
        tau2 = r$tau2, yi = I(c(r$yi)), vi = I(c(r$vi)), fill = I(r$fill)))
      tf[[length(tf) + 1]] <- f
    }
  }
  entry$regtest <- reg
  entry$trimfill <- tf
  bias[[length(bias) + 1]] <- entry
}
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), seed = 20261121,
  generator = "audit_generators.R: model_datasets(escalc_audit_cases(10, 20261121))",
  leave1out = l1o, bias = bias), file.path(here, "audit_diagnostics.json"), digits = NA,
  auto_unbox = TRUE, na = "null")
