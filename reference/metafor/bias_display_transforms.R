# Back-transformed values that `evsynth meta` prints and the forest plot shows for transformed
# measures (PFT, PLO, ZCOR), from metafor 3.8.1: pooled values through predict(transf=...) and
# per-study values through transf.ipft (each study's own n) / transf.ilogit / transf.ztor.
#   Rscript reference/metafor/bias_display_transforms.R  ->  bias_display_transforms.json
suppressMessages(library(metafor))
library(jsonlite)
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))

xi <- c(10, 22, 5, 30)
ni <- c(50, 80, 40, 100)
out <- list(xi = xi, ni = ni)
for (m in c("PFT", "PLO")) {
  d <- escalc(measure = m, xi = xi, ni = ni)
  res <- rma(yi, vi, data = d)
  if (m == "PFT") {
    p <- predict(res, transf = transf.ipft.hm, targs = list(ni = ni))
    study <- transf.ipft(d$yi, ni)
    lo <- transf.ipft(d$yi - qnorm(0.975) * sqrt(d$vi), ni)
    hi <- transf.ipft(d$yi + qnorm(0.975) * sqrt(d$vi), ni)
  } else {
    p <- predict(res, transf = transf.ilogit)
    study <- transf.ilogit(d$yi)
    lo <- transf.ilogit(d$yi - qnorm(0.975) * sqrt(d$vi))
    hi <- transf.ilogit(d$yi + qnorm(0.975) * sqrt(d$vi))
  }
  out[[m]] <- list(pred = p$pred, ci_lb = p$ci.lb, ci_ub = p$ci.ub, pi_lb = p$pi.lb,
                   pi_ub = p$pi.ub, study = study, study_lb = lo, study_ub = hi)
}
write_json(out, file.path(here, "bias_display_transforms.json"), digits = NA, auto_unbox = TRUE)
