# Reference values for evsynth.stats.resampling.gosh: metafor 3.8.1 gosh() on all subsets.
# Run: Rscript reference/metafor/resample_gosh.R  (writes resample_gosh.json beside this script)
# Data: dat.bcg (log risk ratios), the first 8 trials (255 subsets) and, for DL, all 13 (8191).
suppressPackageStartupMessages(library(metafor))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
cases <- list()
run <- function(d, m) {
  res <- rma(yi, vi, data = d, method = m)
  sav <- gosh(res, progbar = FALSE)
  list(method = m, k = nrow(d), yi = c(d$yi), vi = c(d$vi),
    call = sprintf("gosh(rma(yi, vi, data = dat.bcg[1:%d] RR, method = '%s'))", nrow(d), m),
    size = sav$res$k, Q = sav$res$QE, I2 = sav$res$I2, H2 = sav$res$H2, tau2 = sav$res$tau2,
    estimate = sav$res$estimate,
    # each subset as the 0-based positions of its studies, in metafor's row order
    incl = lapply(seq_len(nrow(sav$incl)), function(i) which(sav$incl[i, ]) - 1L))
}
d8 <- dat[1:8, ]
for (m in c("FE", "DL", "REML", "ML", "EB", "PM", "HE", "HS", "SJ")) cases[[length(cases) + 1]] <- run(d8, m)
cases[[length(cases) + 1]] <- run(dat, "DL")
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), cases = cases),
  file.path(here, "resample_gosh.json"), digits = NA, auto_unbox = TRUE, na = "null")
