# The magnesium trials (metadat's dat.egger2001, 16 studies, log odds ratios) and metafor 3.8.1's
# GOSH of the fixed-effect model over all 65,535 subsets, summarised (the full table would be
# 10 MB): per statistic its sum, minimum and maximum, and the rows of three chosen subsets.
# Run: Rscript reference/metafor/resample_egger2001.R  (writes resample_egger2001.json beside it)
suppressPackageStartupMessages(library(metafor))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
dat <- escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.egger2001)
res <- rma(yi, vi, data = dat, method = "FE")
sav <- gosh(res, progbar = FALSE)
stats <- c("QE", "I2", "H2", "estimate")
rows <- c(1, 32768, 65535)
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")),
  call = "gosh(rma(yi, vi, data = escalc('OR', dat.egger2001), method = 'FE'))",
  study = as.character(dat$study), yi = c(dat$yi), vi = c(dat$vi),
  sum = lapply(sav$res[stats], sum), min = lapply(sav$res[stats], min),
  max = lapply(sav$res[stats], max), rows = rows - 1L,
  row_values = lapply(sav$res[rows, stats], identity),
  row_incl = lapply(rows, function(i) which(sav$incl[i, ]) - 1L)),
  file.path(here, "resample_egger2001.json"), digits = NA, auto_unbox = TRUE)
