# Reference values for evsynth.stats.influence: metafor 3.8.1 leave1out, influence, cumul.
# Run: Rscript reference/metafor/rma_influence.R  (writes rma_influence.json beside this script)
suppressPackageStartupMessages(library(metafor))
out_path <- file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "rma_influence.json")
dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
# metafor names the statistic tval under Knapp-Hartung and reports no tau2 for FE models (0)
stat <- function(x) if (is.null(x$zval)) x$tval else x$zval
t2 <- function(x) if (is.null(x$tau2)) rep(0, length(x$estimate)) else x$tau2
cases <- list()
for (setup in list(list("REML", "z", FALSE), list("DL", "knha", FALSE), list("FE", "z", FALSE),
                   list("PM", "z", FALSE), list("REML", "z", TRUE), list("DL", "knha", TRUE))) {
  m <- setup[[1]]; tt <- setup[[2]]; withmods <- setup[[3]]
  res <- if (withmods) rma(yi, vi, mods = ~ ablat, data = dat, method = m, test = tt) else rma(yi, vi, data = dat, method = m, test = tt)
  inf <- influence(res)
  case <- list(method = m, test = tt, mods = withmods,
    call = sprintf("influence(rma(yi, vi, %sdata = dat.bcg RR, method='%s', test='%s'))", if (withmods) "mods = ~ ablat, " else "", m, tt),
    rstudent = inf$inf$rstudent, dffits = inf$inf$dffits, cook_d = inf$inf$cook.d, cov_r = inf$inf$cov.r,
    tau2_del = inf$inf$tau2.del, QE_del = inf$inf$QE.del, hat = inf$inf$hat, weight = inf$inf$weight,
    inf = inf$is.infl, dfbetas = lapply(seq_len(res$p), function(j) inf$dfbs[[j]]))
  if (!withmods) {
    l1 <- leave1out(res)
    case$l1o <- list(estimate = l1$estimate, se = l1$se, zval = stat(l1), pval = l1$pval, ci_lb = l1$ci.lb,
      ci_ub = l1$ci.ub, Q = l1$Q, Qp = l1$Qp, tau2 = t2(l1), I2 = l1$I2, H2 = l1$H2)
    cu <- cumul(res, order = dat$year)
    case$cumul <- list(slab = as.character(cu$slab), estimate = cu$estimate, se = cu$se, zval = stat(cu),
      pval = cu$pval, ci_lb = cu$ci.lb, ci_ub = cu$ci.ub, Q = cu$Q, Qp = cu$Qp, tau2 = t2(cu), I2 = cu$I2,
      H2 = cu$H2)
  }
  cases[[length(cases) + 1]] <- case
}
# Mantel-Haenszel and Peto models: leave1out and cumul refit on the remaining tables
seqfields <- function(x) list(estimate = x$estimate, se = x$se, zval = x$zval, pval = x$pval,
  ci_lb = x$ci.lb, ci_ub = x$ci.ub, Q = x$Q, Qp = x$Qp, I2 = x$I2, H2 = x$H2)
binary <- list()
tabs <- list(bcg = with(dat.bcg, list(ai = tpos, bi = tneg, ci = cpos, di = cneg, year = year)),
  nielweise2007 = with(dat.nielweise2007, list(ai = ai, bi = n1i - ai, ci = ci, di = n2i - ci, year = year)))
for (nm in names(tabs)) {
  tb <- tabs[[nm]]
  for (meas in c("OR", "RR", "RD", "PETO")) {
    res <- if (meas == "PETO") rma.peto(ai = tb$ai, bi = tb$bi, ci = tb$ci, di = tb$di) else
      rma.mh(ai = tb$ai, bi = tb$bi, ci = tb$ci, di = tb$di, measure = meas)
    l1 <- suppressWarnings(leave1out(res))
    cu <- suppressWarnings(cumul(res, order = tb$year))
    binary[[length(binary) + 1]] <- list(dataset = nm, measure = meas, ai = tb$ai, bi = tb$bi, ci = tb$ci,
      di = tb$di, year = tb$year, call = sprintf("leave1out / cumul(order = year) of %s", if (meas == "PETO")
      "rma.peto(ai, bi, ci, di)" else sprintf("rma.mh(ai, bi, ci, di, measure='%s')", meas)),
      l1o = seqfields(l1), cumul = c(seqfields(cu), list(slab = as.character(cu$slab))))
  }
}
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), yi = c(dat$yi), vi = c(dat$vi),
  ablat = dat$ablat, year = dat$year, slab = paste("Study", seq_len(nrow(dat))), cases = cases,
  binary = binary),
  out_path, digits = NA, auto_unbox = TRUE, na = "null")
