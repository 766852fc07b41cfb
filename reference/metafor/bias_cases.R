# Reference values for evsynth.stats.bias (Egger's regression test, Begg's rank test,
# trim-and-fill) from metafor 3.8.1. Run from the repository root or this folder:
#   Rscript reference/metafor/bias_cases.R
# Writes bias_cases.json beside this script (full precision).
suppressMessages(library(metafor))
library(jsonlite)

here <- tryCatch(dirname(normalizePath(sys.frame(1)$ofile)), error = function(e) NULL)
if (is.null(here)) {
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  here <- dirname(normalizePath(f))
}

datasets <- list()
d <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
datasets$bcg <- list(yi = c(d$yi), vi = c(d$vi), measure = "RR")
d <- dat.hackshaw1998
datasets$hackshaw1998 <- list(yi = d$yi, vi = d$vi, measure = "OR")
d <- escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.egger2001)
datasets$egger2001 <- list(yi = c(d$yi), vi = c(d$vi), measure = "OR")
d <- escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i,
            n2i = n2i, data = dat.normand1999)
datasets$normand1999 <- list(yi = c(d$yi), vi = c(d$vi), measure = "SMD")
d <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014)
datasets$molloy2014 <- list(yi = c(d$yi), vi = c(d$vi), measure = "ZCOR")
# Larger k without ties: exercises the exact Kendall distribution beyond n = 50
# (metafor passes exact = TRUE to cor.test, so R stays exact whenever there are no ties).
set.seed(20261121)
vi <- runif(60, 0.01, 0.5)
yi <- rnorm(60, 0.3 + 0.8 * sqrt(vi), sqrt(vi + 0.05))
datasets$sim60 <- list(yi = yi, vi = vi, measure = "GEN")
# Small k: the guardrail case.
datasets$small4 <- list(yi = c(0.12, 0.45, -0.10, 0.60), vi = c(0.04, 0.09, 0.02, 0.16),
                        measure = "GEN")

methods <- c("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
cases <- list()
for (name in names(datasets)) {
  ds <- datasets[[name]]
  out <- list(name = name, yi = ds$yi, vi = ds$vi, measure = ds$measure)
  rk <- ranktest(ds$yi, ds$vi)
  out$ranktest <- list(tau = unname(rk$tau), pval = rk$pval)
  lmfit <- regtest(ds$yi, ds$vi, model = "lm")
  out$regtest_lm <- list(zval = lmfit$zval, pval = lmfit$pval, dfs = lmfit$dfs,
                         est = unname(lmfit$est), ci_lb = unname(lmfit$ci.lb),
                         ci_ub = unname(lmfit$ci.ub))
  reg <- list()
  tf <- list()
  for (m in methods) {
    for (tst in c("z", "knha")) {
      fit <- tryCatch(rma(ds$yi, ds$vi, method = m, test = tst), error = function(e) NULL)
      if (is.null(fit)) next
      r <- tryCatch(regtest(fit), error = function(e) NULL)
      if (!is.null(r)) {
        reg[[length(reg) + 1]] <- list(method = m, test = tst, zval = r$zval, pval = r$pval,
                                       dfs = if (is.null(r$dfs)) NA else r$dfs,
                                       est = unname(r$est), ci_lb = unname(r$ci.lb),
                                       ci_ub = unname(r$ci.ub),
                                       tau2 = r$fit$tau2)
      }
      if (tst == "z" && m %in% c("FE", "DL", "REML", "PM")) {
        for (estim in c("L0", "R0")) {
          for (side in c("auto", "left", "right")) {
            t <- tryCatch(if (side == "auto") trimfill(fit, estimator = estim)
                          else trimfill(fit, estimator = estim, side = side),
                          error = function(e) NULL)
            if (is.null(t)) next
            tf[[length(tf) + 1]] <- list(
              method = m, estimator = estim, side_arg = side, side = t$side,
              k0 = t$k0, se_k0 = t$se.k0, p_k0 = if (is.na(t$p.k0)) NULL else t$p.k0,
              yi = c(t$yi), vi = c(t$vi), fill = t$fill,
              estimate = c(t$beta), se = t$se, ci_lb = t$ci.lb, ci_ub = t$ci.ub,
              tau2 = t$tau2, pval = t$pval)
          }
        }
      }
    }
  }
  out$regtest <- reg
  out$trimfill <- tf
  cases[[length(cases) + 1]] <- out
}

res <- list(metafor = as.character(packageVersion("metafor")), cases = cases)
write_json(res, file.path(here, "bias_cases.json"), digits = NA, auto_unbox = TRUE, pretty = FALSE)
