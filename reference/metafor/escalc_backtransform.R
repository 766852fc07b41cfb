# Reference values for evsynth.stats.escalc.back_transform from metafor's transf functions.
# Run from the repository root:  Rscript reference/metafor/escalc_backtransform.R
library(metafor)
library(jsonlite)
x <- c(-3, -1.2, -0.5, 0, 0.01, 0.3, 0.7853982, 1.2, 1.5707, 1.6, 2.5)
pft <- c(-0.1, 0, 0.05, 0.2, 0.5, 0.7853982, 1.0, 1.4, 1.55, 1.6)
ni <- c(10, 25, 40, 7, 120)
out <- list(
  x = x,
  RR = exp(x), OR = exp(x), ROM = exp(x), PLN = exp(x),
  PLO = transf.ilogit(x), PAS = transf.iarcsin(x), ZCOR = transf.ztor(x),
  pft_x = pft, pft_ni = ni, PFT = transf.ipft.hm(pft, targs = list(ni = ni)),
  # a single proportion through escalc's PFT and back with its own ni
  pft_roundtrip_xi = c(0, 3, 17, 40), pft_roundtrip_ni = c(40, 40, 40, 40),
  pft_roundtrip = transf.ipft.hm(escalc("PFT", xi = c(0, 3, 17, 40), ni = rep(40, 4))$yi,
                                 targs = list(ni = rep(40, 4)))
)
write_json(out, "reference/metafor/escalc_backtransform.json", digits = NA, auto_unbox = TRUE,
           na = "null")
