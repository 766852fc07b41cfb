# Reference values for evsynth.stats.resampling.bootstrap: the interval formulas of R's boot
# package (boot.ci: normal, percentile, BCa) and its jackknife influence values (empinf).
# Run: Rscript reference/metafor/resample_bootstrap.R  (writes resample_bootstrap.json beside it)
# The replicates t come from R's random numbers (set.seed(42)); the test feeds these same t to
# evsynth's interval functions, so every interval is compared exactly. L (jackknife) needs no
# random numbers and is compared with evsynth's leave-one-out fits.
suppressPackageStartupMessages({library(metafor); library(boot)})
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
stat <- function(d, i) { r <- rma(yi, vi, data = d[i, ], method = "REML"); c(c(r$beta), r$tau2) }
set.seed(42)
b <- boot(dat, stat, R = 999)
out <- list(metafor = as.character(packageVersion("metafor")), boot = as.character(packageVersion("boot")),
  yi = c(dat$yi), vi = c(dat$vi), t0 = b$t0, call = "boot(dat.bcg RR, function(d, i) REML estimate and tau2, R = 999), set.seed(42)",
  t_estimate = b$t[, 1], t_tau2 = b$t[, 2], stats = list())
for (j in 1:2) {
  L <- empinf(b, type = "jack", index = j)
  for (conf in c(0.95, 0.9)) {
    ci <- boot.ci(b, conf = conf, type = c("norm", "perc", "bca"), index = j, L = L)
    out$stats[[length(out$stats) + 1]] <- list(index = j - 1, conf = conf, L = L,
      norm = ci$normal[2:3], perc = ci$percent[4:5], bca = ci$bca[4:5])
  }
}
jsonlite::write_json(out, file.path(here, "resample_bootstrap.json"), digits = NA, auto_unbox = TRUE)
