# Egger's test on Mantel-Haenszel and Peto fits (metafor refits them by inverse variance with a
# fixed-effect model), for `evsynth meta --method MH|PETO`. metafor 3.8.1.
#   Rscript reference/metafor/bias_mh.R  ->  bias_mh.json beside this script
suppressMessages(library(metafor))
library(jsonlite)
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))

d <- dat.bcg
cases <- list()
for (m in c("RR", "OR", "RD")) {
  fit <- rma.mh(ai = tpos, bi = tneg, ci = cpos, di = cneg, data = d, measure = m)
  r <- regtest(fit)
  cases[[length(cases) + 1]] <- list(method = "MH", measure = m, estimate = c(fit$beta),
                                     zval = r$zval, pval = r$pval, est = unname(r$est))
}
fit <- rma.peto(ai = tpos, bi = tneg, ci = cpos, di = cneg, data = d)
r <- regtest(fit)
cases[[length(cases) + 1]] <- list(method = "PETO", measure = "OR", estimate = c(fit$beta),
                                   zval = r$zval, pval = r$pval, est = unname(r$est))
out <- list(metafor = as.character(packageVersion("metafor")),
            data = list(study = paste(d$author, d$year), ai = d$tpos, bi = d$tneg,
                        ci = d$cpos, di = d$cneg),
            cases = cases)
write_json(out, file.path(here, "bias_mh.json"), digits = NA, auto_unbox = TRUE)
