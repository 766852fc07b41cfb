# Reference values for evsynth.stats.binary: metafor 3.8.1 rma.mh (OR, RR, RD) and rma.peto.
# Run: Rscript reference/metafor/rma_binary.R  (writes rma_binary.json beside this script)
suppressPackageStartupMessages(library(metafor))
out_path <- file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "rma_binary.json")

tabs <- list()
tabs$bcg <- with(dat.bcg, list(ai = tpos, bi = tneg, ci = cpos, di = cneg))
tabs$nielweise2007 <- with(dat.nielweise2007, list(ai = ai, bi = n1i - ai, ci = ci, di = n2i - ci))
tabs$yusuf1985_9 <- with(subset(dat.yusuf1985, table == "9" & !is.na(ai) & !is.na(ci)), list(ai = ai, bi = n1i - ai, ci = ci, di = n2i - ci))
# constructed: single zero cells, a double-zero table, a table where everyone had the event
tabs$zeros <- list(ai = c(0, 3, 0, 12, 5, 7), bi = c(20, 17, 30, 0, 45, 33),
                   ci = c(4, 0, 0, 10, 9, 6), di = c(16, 21, 30, 2, 41, 34))
tabs$k2 <- list(ai = c(3, 10), bi = c(47, 90), ci = c(8, 12), di = c(42, 88))
tabs$k1 <- list(ai = 6, bi = 44, ci = 11, di = 39)

one <- function(res, nm, meas, tab, method) {
  list(dataset = nm, measure = meas, method = method, ai = tab$ai, bi = tab$bi, ci = tab$ci, di = tab$di,
    k = res$k, estimate = c(res$beta), se = res$se, ci_lower = res$ci.lb, ci_upper = res$ci.ub,
    statistic = res$zval, p_value = res$pval, I2 = res$I2, H2 = res$H2, Q = res$QE, Q_df = res$k.yi - 1,
    Q_p = res$QEp, yi = c(res$yi), vi = c(res$vi), weights = unname(weights(res)))
}
cases <- list()
for (nm in names(tabs)) {
  tab <- tabs[[nm]]
  for (meas in c("OR", "RR", "RD")) {
    res <- suppressWarnings(rma.mh(ai = tab$ai, bi = tab$bi, ci = tab$ci, di = tab$di, measure = meas))
    case <- one(res, nm, meas, tab, "MH")
    # rma.mh keeps yi/vi only for tables that enter the heterogeneity test; refit escalc for all
    es <- suppressWarnings(escalc(meas, ai = tab$ai, bi = tab$bi, ci = tab$ci, di = tab$di, drop00 = TRUE))
    case$yi <- c(es$yi); case$vi <- c(es$vi)
    case$call <- sprintf("rma.mh(ai, bi, ci, di, measure='%s')", meas)
    if (meas == "OR") { case$CMH <- res$MH; case$CMHp <- res$MHp; case$TA <- res$TA; case$TAp <- res$TAp }
    cases[[length(cases) + 1]] <- case
  }
  res <- suppressWarnings(rma.peto(ai = tab$ai, bi = tab$bi, ci = tab$ci, di = tab$di))
  case <- one(res, nm, "PETO", tab, "PETO")
  es <- suppressWarnings(escalc("PETO", ai = tab$ai, bi = tab$bi, ci = tab$ci, di = tab$di, drop00 = TRUE))
  case$yi <- c(es$yi); case$vi <- c(es$vi)
  case$call <- "rma.peto(ai, bi, ci, di)"
  cases[[length(cases) + 1]] <- case
}
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), cases = cases), out_path,
  digits = NA, auto_unbox = TRUE, na = "null")
