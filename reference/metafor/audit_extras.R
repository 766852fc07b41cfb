# Audit: metafor 3.8.1 influence(), cumul(), leave1out() of Mantel-Haenszel/Peto fits, and
# back-transformed pooled estimates (predict with transf) on the random data of the audit
# (audit_generators.R, seed 20261121). Warnings and errors are recorded.
# - influence: the first 40 (yi, vi) sets with k >= 3, FE/DL/REML/PM x z/knha, intercept only.
# - cumul: the first 20 sets with k >= 2, DL/REML x z/knha, in the order of the data.
# - leave1out of rma.mh (OR, RR, RD) and rma.peto: the first 12 random 2x2 sets with k >= 2.
# - back-transforms: every set of a transformed measure (RR OR ROM PLN PLO PAS PFT ZCOR),
#   REML fit; PFT with transf.ipft.hm at the studies' ni.
# Run: Rscript reference/metafor/audit_extras.R  (writes audit_extras.json beside this script)
here <- local({ f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)); dirname(normalizePath(f)) })
source(file.path(here, "audit_generators.R"))
ec <- escalc_audit_cases(per_measure = 10, seed = 20261121)
sets <- model_datasets(ec)
II <- function(x) if (is.null(x)) NA else I(unname(x))

infl <- list()
for (s in head(Filter(function(s) length(s$yi) >= 3, sets), 40)) {
  fits <- list()
  for (m in c("FE", "DL", "REML", "PM")) for (tt in c("z", "knha")) {
    o <- capture(influence(rma(s$yi, s$vi, method = m, test = tt)))
    r <- o$value
    f <- list(method = m, test = tt, error = o$error, warnings = I(o$warnings))
    if (!is.null(r)) {
      inf <- r$inf
      for (q in c("rstudent", "dffits", "cook.d", "cov.r", "tau2.del", "QE.del", "hat", "weight")) f[[q]] <- II(inf[[q]])
      f$inf <- I(as.logical(r$is.infl))
      f$dfbetas <- II(r$dfbs[[1]])
    }
    fits[[length(fits) + 1]] <- f
  }
  infl[[length(infl) + 1]] <- list(name = s$name, yi = I(s$yi), vi = I(s$vi), fits = fits)
}

cum <- list()
for (s in head(Filter(function(s) length(s$yi) >= 2, sets), 20)) {
  fits <- list()
  for (m in c("DL", "REML")) for (tt in c("z", "knha")) {
    o <- capture(cumul(rma(s$yi, s$vi, method = m, test = tt)))
    r <- o$value
    f <- list(method = m, test = tt, error = o$error, warnings = I(o$warnings))
    if (!is.null(r)) {
      if (is.null(r$zval)) r$zval <- r$tval
      for (q in c("estimate", "se", "zval", "pval", "ci.lb", "ci.ub", "Q", "Qp", "tau2", "I2", "H2")) f[[q]] <- II(r[[q]])
    }
    fits[[length(fits) + 1]] <- f
  }
  cum[[length(cum) + 1]] <- list(name = s$name, yi = I(s$yi), vi = I(s$vi), fits = fits)
}

l1o_bin <- list()
n_bin <- 0
for (i in seq_along(ec)) {
  c0 <- ec[[i]]
  if (!(c0$measure %in% c("RR", "OR", "RD")) || length(c0$args$ai) < 2 || n_bin >= 12) next
  n_bin <- n_bin + 1
  a <- c0$args
  t <- list(ai = a$ai, bi = if (is.null(a$bi)) a$n1i - a$ai else a$bi, ci = a$ci,
    di = if (is.null(a$di)) a$n2i - a$ci else a$di)
  fits <- list()
  for (meas in c("OR", "RR", "RD", "PETO")) {
    o <- capture(leave1out(if (meas == "PETO") rma.peto(ai = t$ai, bi = t$bi, ci = t$ci, di = t$di)
      else rma.mh(ai = t$ai, bi = t$bi, ci = t$ci, di = t$di, measure = meas)))
    r <- o$value
    f <- list(measure = meas, error = o$error, warnings = I(o$warnings))
    if (!is.null(r)) for (q in c("estimate", "se", "zval", "pval", "ci.lb", "ci.ub", "Q", "Qp", "I2", "H2")) f[[q]] <- II(r[[q]])
    fits[[length(fits) + 1]] <- f
  }
  l1o_bin[[length(l1o_bin) + 1]] <- list(name = sprintf("escalc%03d", i), ai = I(t$ai), bi = I(t$bi), ci = I(t$ci), di = I(t$di), fits = fits)
}

TRANSF <- list(RR = exp, OR = exp, ROM = exp, PLN = exp, PLO = transf.ilogit, PAS = transf.iarcsin,
  ZCOR = transf.ztor)
bt <- list()
for (i in seq_along(ec)) {
  c0 <- ec[[i]]
  m <- c0$measure
  if (!(m %in% c(names(TRANSF), "PFT"))) next
  ok <- is.finite(c0$yi) & is.finite(c0$vi) & c0$vi > 0
  if (sum(ok) < 1) next
  yi <- r15(c0$yi[ok]); vi <- r15(c0$vi[ok])
  o <- capture({
    res <- rma(yi, vi, method = "REML")
    if (m == "PFT") predict(res, transf = transf.ipft.hm, targs = list(ni = c0$args$ni[ok]))
    else predict(res, transf = TRANSF[[m]])
  })
  p <- o$value
  bt[[length(bt) + 1]] <- list(name = sprintf("escalc%03d_%s", i, m), measure = m, yi = I(yi), vi = I(vi),
    ni = if (m == "PFT") I(c0$args$ni[ok]) else NA, error = o$error, warnings = I(o$warnings),
    estimate = nz(p$pred), ci_lower = nz(p$ci.lb), ci_upper = nz(p$ci.ub),
    pi_lower = nz(p$pi.lb), pi_upper = nz(p$pi.ub))
}
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), seed = 20261121,
  generator = "audit_generators.R: escalc_audit_cases(10, 20261121) and model_datasets()",
  influence = infl, cumul = cum, leave1out_binary = l1o_bin, back_transform = bt),
  file.path(here, "audit_extras.json"), digits = NA, auto_unbox = TRUE, na = "null")
