# Audit: metafor 3.8.1 rma.mh (OR, RR, RD; OR with and without the continuity correction of the
# CMH test) and rma.peto on the random 2x2 tables of audit_escalc.R (audit_generators.R, seed
# 20261121: zero cells, double zeros, all-events tables, tiny and huge arms), at levels 90/95/99.
# Warnings and errors are recorded per fit.
# Run: Rscript reference/metafor/audit_binary.R  (writes audit_binary.json beside this script)
here <- local({ f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)); dirname(normalizePath(f)) })
source(file.path(here, "audit_generators.R"))
ec <- escalc_audit_cases(per_measure = 10, seed = 20261121)

tables <- list()
for (i in seq_along(ec)) {
  c0 <- ec[[i]]
  if (!(c0$measure %in% c("RR", "OR", "RD"))) next
  a <- c0$args
  bi <- if (is.null(a$bi)) a$n1i - a$ai else a$bi
  di <- if (is.null(a$di)) a$n2i - a$ci else a$di
  tables[[length(tables) + 1]] <- list(name = sprintf("escalc%03d", i), ai = I(a$ai), bi = I(bi), ci = I(a$ci), di = I(di))
}
# constructed: every table double zero but one, and all double zero
tables[[length(tables) + 1]] <- list(name = "one_informative", ai = I(c(0, 0, 3)), bi = I(c(10, 20, 17)), ci = I(c(0, 0, 6)), di = I(c(10, 20, 14)))
tables[[length(tables) + 1]] <- list(name = "all_double_zero", ai = I(c(0, 0)), bi = I(c(10, 20)), ci = I(c(0, 0)), di = I(c(12, 25)))

one <- function(call_fun, method, measure, correct, level, t) {
  out <- capture(call_fun())
  res <- out$value
  fit <- list(method = method, measure = measure, correct = correct, level = level,
    error = out$error, warnings = I(out$warnings))
  if (is.null(res)) return(fit)
  fit <- c(fit, list(k = res$k, estimate = c(res$beta), se = res$se, ci_lower = res$ci.lb,
    ci_upper = res$ci.ub, statistic = res$zval, p_value = res$pval, I2 = res$I2, H2 = res$H2,
    Q = res$QE, Q_df = res$k.yi - 1, Q_p = res$QEp))
  if (measure == "OR" && method == "MH") {
    fit$CMH <- nz(res$MH); fit$CMH_p <- nz(res$MHp); fit$TA <- nz(res$TA); fit$TA_p <- nz(res$TAp)
  }
  fit
}
out <- list()
for (t in tables) {
  fits <- list()
  for (lv in c(90, 95, 99)) {
    for (meas in c("OR", "RR", "RD")) {
      fits[[length(fits) + 1]] <- one(function() rma.mh(ai = t$ai, bi = t$bi, ci = t$ci, di = t$di,
        measure = meas, level = lv), "MH", meas, TRUE, lv, t)
    }
    fits[[length(fits) + 1]] <- one(function() rma.mh(ai = t$ai, bi = t$bi, ci = t$ci, di = t$di,
      measure = "OR", correct = FALSE, level = lv), "MH", "OR", FALSE, lv, t)
    fits[[length(fits) + 1]] <- one(function() rma.peto(ai = t$ai, bi = t$bi, ci = t$ci, di = t$di,
      level = lv), "PETO", "PETO", TRUE, lv, t)
  }
  out[[length(out) + 1]] <- c(t, list(fits = fits))
}
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), seed = 20261121,
  generator = "audit_generators.R: 2x2 tables of escalc_audit_cases(10, 20261121)",
  datasets = out), file.path(here, "audit_binary.json"), digits = NA, auto_unbox = TRUE, na = "null")
