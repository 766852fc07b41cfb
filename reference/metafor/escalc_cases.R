# Reference values for evsynth.stats.escalc from metafor's escalc().
# Run from the repository root:  Rscript reference/metafor/escalc_cases.R
# Writes reference/metafor/escalc_cases.json: a list of cases, each with the exact escalc()
# call (measure, data arguments, options) and metafor's yi and vi at full precision.
library(metafor)
library(metadat)
library(jsonlite)

cases <- list()
add_case <- function(name, measure, args, opts = list()) {
  res <- suppressWarnings(do.call(escalc, c(list(measure = measure), args, opts)))
  cases[[length(cases) + 1]] <<- list(
    name = name, measure = measure, args = args, options = opts,
    call = paste0("escalc(measure='", measure, "', ", paste(names(c(args, opts)), collapse = ", "), ")"),
    yi = as.numeric(res$yi), vi = as.numeric(res$vi)
  )
}

## ---- 2x2 tables: RR, OR, RD ------------------------------------------------------------
bcg <- list(ai = dat.bcg$tpos, bi = dat.bcg$tneg, ci = dat.bcg$cpos, di = dat.bcg$cneg)
niel <- list(ai = dat.nielweise2007$ai, bi = dat.nielweise2007$n1i - dat.nielweise2007$ai,
             ci = dat.nielweise2007$ci, di = dat.nielweise2007$n2i - dat.nielweise2007$ci)
egger <- list(ai = dat.egger2001$ai, n1i = dat.egger2001$n1i,
              ci = dat.egger2001$ci, n2i = dat.egger2001$n2i)
edge2x2 <- list(
  # zero in one arm, zero in the other, double zero (events), double zero (non-events),
  # all four cells zero but one, very unequal arms, tiny arms
  ai = c(0, 7, 0, 20, 0, 3, 1, 0, 1000),
  bi = c(50, 43, 30, 0, 12, 2, 0, 1, 4000),
  ci = c(6, 0, 0, 25, 5, 400, 0, 1, 999),
  di = c(44, 50, 40, 0, 0, 4600, 1, 0, 4001)
)
k1 <- list(ai = 5, bi = 45, ci = 10, di = 40)
for (m in c("RR", "OR", "RD")) {
  add_case(paste0(m, " dat.bcg"), m, bcg)
  add_case(paste0(m, " dat.nielweise2007 (zero cells)"), m, niel)
  add_case(paste0(m, " dat.egger2001 (ai n1i ci n2i)"), m, egger)
  add_case(paste0(m, " k=1"), m, k1)
  add_case(paste0(m, " edge cells"), m, edge2x2)
  add_case(paste0(m, " edge cells drop00"), m, edge2x2, list(drop00 = TRUE))
  add_case(paste0(m, " edge cells to=all"), m, edge2x2, list(to = "all"))
  add_case(paste0(m, " edge cells to=if0all"), m, edge2x2, list(to = "if0all"))
  add_case(paste0(m, " edge cells to=none"), m, edge2x2, list(to = "none"))
  add_case(paste0(m, " edge cells add=1"), m, edge2x2, list(add = 1))
  add_case(paste0(m, " bcg to=if0all add=0.25"), m, niel, list(to = "if0all", add = 0.25))
}
add_case("RD edge cells vtype=UB", "RD", edge2x2, list(vtype = "UB"))
add_case("RD edge cells vtype=AV", "RD", edge2x2, list(vtype = "AV"))
add_case("RD bcg vtype=AV", "RD", bcg, list(vtype = "AV"))
add_case("RD bcg vtype=UB", "RD", bcg, list(vtype = "UB"))
add_case("OR with missing cell", "OR", list(ai = c(3, NA, 5), bi = c(10, 10, 10), ci = c(4, 4, NA), di = c(9, 9, 9)))

## ---- two-group means: MD, SMD, SMDH, ROM ----------------------------------------------
norm <- list(m1i = dat.normand1999$m1i, sd1i = dat.normand1999$sd1i, n1i = dat.normand1999$n1i,
             m2i = dat.normand1999$m2i, sd2i = dat.normand1999$sd2i, n2i = dat.normand1999$n2i)
curt <- list(m1i = dat.curtis1998$m1i, sd1i = dat.curtis1998$sd1i, n1i = dat.curtis1998$n1i,
             m2i = dat.curtis1998$m2i, sd2i = dat.curtis1998$sd2i, n2i = dat.curtis1998$n2i)
edgemeans <- list(
  # n = 2 per arm, very unequal arms, zero SD in one arm, equal means, negative difference,
  # large effect, n1 = 1 (mi = 1: no bias correction), means of opposite sign (ROM undefined)
  m1i = c(10, 5.5, 3, 7, 2, 50, 4, 1),
  sd1i = c(2, 1.2, 0, 1, 1.5, 2, 1, 1),
  n1i = c(2, 3, 20, 15, 40, 12, 1, 10),
  m2i = c(8, 5, 3.5, 7, 4, 10, 3, -1),
  sd2i = c(3, 1.1, 0.5, 1, 1.4, 3, 2, 1),
  n2i = c(2, 3000, 25, 15, 38, 12, 2, 10)
)
k1m <- list(m1i = 12.1, sd1i = 3.2, n1i = 30, m2i = 10.4, sd2i = 2.9, n2i = 28)
for (m in c("MD", "SMD", "SMDH", "ROM")) {
  add_case(paste0(m, " dat.normand1999"), m, norm)
  add_case(paste0(m, " dat.curtis1998"), m, curt)
  add_case(paste0(m, " edge means"), m, edgemeans)
  add_case(paste0(m, " k=1"), m, k1m)
}
add_case("MD edge means vtype=HO", "MD", edgemeans, list(vtype = "HO"))
add_case("MD normand vtype=HO", "MD", norm, list(vtype = "HO"))
add_case("SMD edge means vtype=UB", "SMD", edgemeans, list(vtype = "UB"))
add_case("SMD normand vtype=UB", "SMD", norm, list(vtype = "UB"))
add_case("SMD normand vtype=LS2", "SMD", norm, list(vtype = "LS2"))
add_case("SMD normand vtype=AV", "SMD", norm, list(vtype = "AV"))
add_case("SMDH normand vtype=LS2", "SMDH", norm, list(vtype = "LS2"))
add_case("ROM curtis vtype=HO", "ROM", curt, list(vtype = "HO"))
add_case("ROM curtis vtype=AV", "ROM", curt, list(vtype = "AV"))
add_case("ROM curtis vtype=AVHO", "ROM", curt, list(vtype = "AVHO"))

## ---- change from baseline: MC, SMCC, SMCR ---------------------------------------------
# Morris (2008) pre-post data as printed in metafor's escalc documentation (m1i post, m2i pre).
morris <- list(m1i = c(38.5, 26.8, 0.7, 75.9, 36.0), sd1i = c(11.6, 4.1, 0.1, 4.4, 4.6),
               m2i = c(30.6, 23.5, 0.5, 53.4, 35.6), sd2i = c(15.0, 3.1, 0.1, 14.5, 4.7),
               ni = c(20, 50, 9, 10, 14), ri = c(0.47, 0.64, 0.77, 0.89, 0.44))
edgepp <- list(
  # negative, zero, perfect positive and perfect negative correlation; n = 2; n = 1; huge n
  m1i = c(5, 5, 5, 5, 3, 4, 2.2), sd1i = c(2, 2, 2, 2, 1, 1, 0.5),
  m2i = c(7, 7, 7, 7, 4, 6, 2.0), sd2i = c(2.5, 2.5, 2, 2.5, 1.5, 1, 0.4),
  ni = c(30, 30, 30, 30, 2, 1, 5000), ri = c(-0.6, 0, 1, -1, 0.3, 0.5, 0.99)
)
k1pp <- list(m1i = 3.1, sd1i = 1.9, m2i = 5.8, sd2i = 2.1, ni = 46, ri = 0.5)
for (m in c("MC", "SMCC", "SMCR")) {
  add_case(paste0(m, " Morris 2008"), m, morris)
  add_case(paste0(m, " edge pre-post"), m, edgepp)
  add_case(paste0(m, " k=1"), m, k1pp)
}
add_case("SMCC Morris vtype=LS2", "SMCC", morris, list(vtype = "LS2"))
add_case("SMCR Morris vtype=LS2", "SMCR", morris, list(vtype = "LS2"))
add_case("SMCR without sd2i", "SMCR", morris[c("m1i", "sd1i", "m2i", "ni", "ri")])

## ---- proportions: PR, PLN, PLO, PAS, PFT ----------------------------------------------
pritz <- list(xi = dat.pritz1997$xi, ni = dat.pritz1997$ni)
edgeprop <- list(xi = c(0, 10, 5, 1, 0, 1, 999, 3), ni = c(10, 10, 50, 1, 1, 2, 1000, 7))
k1p <- list(xi = 12, ni = 40)
for (m in c("PR", "PLN", "PLO", "PAS", "PFT")) {
  add_case(paste0(m, " dat.pritz1997"), m, pritz)
  add_case(paste0(m, " edge proportions"), m, edgeprop)
  add_case(paste0(m, " k=1"), m, k1p)
  add_case(paste0(m, " edge proportions to=all"), m, edgeprop, list(to = "all"))
  add_case(paste0(m, " edge proportions to=none"), m, edgeprop, list(to = "none"))
  add_case(paste0(m, " edge proportions add=0.5 explicit"), m, edgeprop, list(add = 0.5))
  add_case(paste0(m, " edge proportions to=if0all"), m, edgeprop, list(to = "if0all"))
}
add_case("PR edge vtype=UB", "PR", edgeprop, list(vtype = "UB"))
add_case("PR edge vtype=AV", "PR", edgeprop, list(vtype = "AV"))
add_case("PLN edge vtype=AV", "PLN", edgeprop, list(vtype = "AV"))
add_case("PLO edge vtype=AV", "PLO", edgeprop, list(vtype = "AV"))
add_case("PR xi with mi", "PR", list(xi = c(3, 4), mi = c(7, 0)))

## ---- correlations: COR, ZCOR ----------------------------------------------------------
molloy <- list(ri = dat.molloy2014$ri, ni = dat.molloy2014$ni)
edgecor <- list(ri = c(-0.9, 0, 0.3, 1, -1, 0.5, 0.5, 0.999), ni = c(20, 50, 3, 30, 30, 4, 2, 100000))
for (m in c("COR", "ZCOR")) {
  add_case(paste0(m, " dat.molloy2014"), m, molloy)
  add_case(paste0(m, " edge correlations"), m, edgecor)
  add_case(paste0(m, " k=1"), m, list(ri = -0.35, ni = 120))
}
add_case("COR molloy vtype=AV", "COR", molloy, list(vtype = "AV"))

## ---- precomputed: GEN -----------------------------------------------------------------
seed2a <- list(yi = c(2.64, 2.4, 2.7, 2.9, 2.76), sei = c(0.084, 0.184, 0.082, 0.277, 0.106))
add_case("GEN seed review Fig 2A (yi, sei)", "GEN", seed2a)
add_case("GEN dat.ishak2007 (yi, vi, with NAs)", "GEN", list(yi = dat.ishak2007$y2i, vi = dat.ishak2007$v2i))
add_case("GEN k=1", "GEN", list(yi = -0.4, vi = 0.02))

## ---- more data sets (held-out style: same measures on other published data) -----------
hine <- list(ai = dat.hine1989$ai, n1i = dat.hine1989$n1i, ci = dat.hine1989$ci, n2i = dat.hine1989$n2i)
laop <- list(ai = dat.laopaiboon2015$ai, n1i = dat.laopaiboon2015$n1i,
             ci = dat.laopaiboon2015$ci, n2i = dat.laopaiboon2015$n2i)
li <- list(ai = dat.li2007$ai, n1i = dat.li2007$n1i, ci = dat.li2007$ci, n2i = dat.li2007$n2i)
gib <- with(dat.gibson2002, list(m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i))
for (m in c("RR", "OR", "RD")) {
  add_case(paste0(m, " dat.hine1989"), m, hine)
  add_case(paste0(m, " dat.laopaiboon2015"), m, laop)
  add_case(paste0(m, " dat.li2007 (zero cells)"), m, li)
  add_case(paste0(m, " dat.li2007 drop00"), m, li, list(drop00 = TRUE))
}
for (m in c("MD", "SMD", "SMDH", "ROM")) add_case(paste0(m, " dat.gibson2002 (with NAs)"), m, gib)
debr <- list(xi = dat.debruin2009$xi, ni = dat.debruin2009$ni)
for (m in c("PR", "PLN", "PLO", "PAS", "PFT")) add_case(paste0(m, " dat.debruin2009"), m, debr)
mcd <- list(ri = dat.mcdaniel1994$ri, ni = dat.mcdaniel1994$ni)
craft <- list(ri = dat.craft2003$ri, ni = dat.craft2003$ni)
for (m in c("COR", "ZCOR")) {
  add_case(paste0(m, " dat.mcdaniel1994"), m, mcd)
  add_case(paste0(m, " dat.craft2003"), m, craft)
}

## ---- partly missing cells: metafor fills bi/di/mi from the group size where it can ---------
add_case("OR bi partly missing with n1i", "OR",
         list(ai = c(3, 4, 5), bi = c(7, NA, 5), n1i = c(10, 12, NA), ci = c(1, 2, 0),
              di = c(9, 8, 10), n2i = c(10, 10, 10)))
add_case("PLO mi partly missing with ni", "PLO", list(xi = c(3, 4, 0), mi = c(7, NA, 5), ni = c(10, 12, NA)))

jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")),
                          metadat = as.character(packageVersion("metadat")),
                          cases = cases),
                     "reference/metafor/escalc_cases.json", digits = NA, auto_unbox = TRUE,
                     na = "null", pretty = FALSE)
cat("wrote", length(cases), "cases\n")
