# Reference values for GOSH of a meta-regression: metafor 3.8.1 gosh() on rma(yi, vi, mods = ~ ablat)
# for the first 8 BCG trials (all 247 subsets with at least 2 studies).
# Run: Rscript reference/metafor/resample_gosh_mods.R  (writes resample_gosh_mods.json beside it)
suppressPackageStartupMessages(library(metafor))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)[1:8, ]
cases <- list()
for (m in c("FE", "DL", "REML")) {
  res <- rma(yi, vi, mods = ~ ablat, data = dat, method = m)
  sav <- suppressWarnings(gosh(res, progbar = FALSE))
  cases[[length(cases) + 1]] <- list(method = m,
    call = sprintf("gosh(rma(yi, vi, mods = ~ ablat, data = dat.bcg[1:8] RR, method = '%s'))", m),
    size = sav$res$k, Q = sav$res$QE, I2 = sav$res$I2, H2 = sav$res$H2, tau2 = sav$res$tau2,
    intrcpt = sav$res$intrcpt, ablat = sav$res$ablat,
    incl = lapply(seq_len(nrow(sav$incl)), function(i) which(sav$incl[i, ]) - 1L))
}
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), yi = c(dat$yi),
  vi = c(dat$vi), ablat = dat$ablat, cases = cases),
  file.path(here, "resample_gosh_mods.json"), digits = NA, auto_unbox = TRUE, na = "null")
