# Reference values for evsynth.stats.resampling.permutation: metafor 3.8.1 permutest().
# Run: Rscript reference/metafor/resample_permutest.R  (writes resample_permutest.json beside it)
# Exact tests are compared to 1e-9; for the random test (set.seed(1234), iter = 500) only what
# does not depend on R's random numbers is compared: the observed statistics and the count.
suppressPackageStartupMessages(library(metafor))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
stat <- function(x) if (is.null(x$zval)) x$tval else x$zval
cases <- list()
one <- function(d, m, tt, mods, exact, iter = 1000, label) {
  res <- if (is.null(mods)) rma(yi, vi, data = d, method = m, test = tt) else
    rma(yi, vi, mods = as.formula(mods), data = d, method = m, test = tt)
  if (!exact) set.seed(1234)
  pt <- permutest(res, exact = exact, iter = iter, progbar = FALSE)
  out <- list(label = label, method = m, test = tt, mods = if (is.null(mods)) NULL else mods,
    exact = exact, k = nrow(d), rows = which(dat$trial %in% d$trial) - 1L,
    call = sprintf("permutest(rma(yi, vi, %sdata = dat.bcg[rows] RR, method = '%s', test = '%s'), exact = %s, iter = %d)",
      if (is.null(mods)) "" else paste0("mods = ", mods, ", "), m, tt, exact, iter),
    pval = pt$pval, QMp = pt$QMp, QM = res$QM, zval = stat(res), beta = c(res$beta),
    permutations = nrow(pt$zval.perm), exact_iter = pt$exact.iter)
  if (exact && is.null(mods)) {
    # in expand.grid order: permutation i flips the sign of study j when bit j of i is set
    out$zval_perm <- pt$zval.perm[, 1]
    out$beta_perm <- pt$beta.perm[, 1]
    out$QM_perm <- pt$QM.perm
  }
  if (exact && !is.null(mods)) {
    out$zval_perm_sorted <- lapply(seq_len(ncol(pt$zval.perm)), function(j) sort(pt$zval.perm[, j]))
    out$QM_perm_sorted <- sort(pt$QM.perm)
  }
  cases[[length(cases) + 1]] <<- out
}
d10 <- dat[1:10, ]
one(d10, "REML", "z", NULL, TRUE, label = "bcg10 REML z exact")
one(d10, "REML", "knha", NULL, TRUE, label = "bcg10 REML knha exact")
one(d10, "DL", "z", NULL, TRUE, label = "bcg10 DL z exact")
one(d10, "FE", "z", NULL, TRUE, label = "bcg10 FE z exact")
one(d10, "PM", "knha", NULL, TRUE, label = "bcg10 PM knha exact")
one(dat[1:7, ], "REML", "z", "~ ablat", TRUE, label = "bcg7 ablat REML z exact")
one(dat[1:7, ], "DL", "knha", "~ ablat", TRUE, label = "bcg7 ablat DL knha exact")
one(d10, "REML", "z", "~ factor(alloc)", TRUE, label = "bcg10 alloc REML z exact")
one(dat, "REML", "z", NULL, FALSE, iter = 500, label = "bcg13 REML z random")
one(dat, "REML", "z", "~ ablat + year", FALSE, iter = 200, label = "bcg13 ablat+year REML z random")
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), yi = c(dat$yi), vi = c(dat$vi),
  ablat = dat$ablat, year = dat$year, alloc = as.character(dat$alloc), cases = cases),
  file.path(here, "resample_permutest.json"), digits = NA, auto_unbox = TRUE, na = "null")
