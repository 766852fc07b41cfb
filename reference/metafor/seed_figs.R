# Reference values for the seed review's four pooled analyses (Korean J Pain 2021;34:346-368,
# Figs. 2A, 2B, 3A, 3B; per-study differences and SEs as printed, from
# ../shared/reference/seed-review-facts.md). Fixed effect (the paper's CMA analysis) and the
# random-effects results beside it (REML, DL; z and Knapp-Hartung), from metafor 3.8.1.
#   Rscript reference/metafor/seed_figs.R   ->  seed_figs.json beside this script
suppressMessages(library(metafor))
library(jsonlite)

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))

figs <- list(
  "2A" = list(outcome = "NRS pain, 6 months",
              study = c("Choi 2017", "Gerdesmeyer 2013", "Cho 2019", "Park 2018", "Ji 2015"),
              yi = c(2.640, 2.400, 2.700, 2.900, 2.760),
              sei = c(0.084, 0.184, 0.082, 0.277, 0.106)),
  "2B" = list(outcome = "ODI (0-50), 6 months",
              study = c("Gerdesmeyer 2013", "Park 2018"),
              yi = c(14.500, 8.400), sei = c(1.438, 0.849)),
  "3A" = list(outcome = "NRS pain, 12 months",
              study = c("Gerdesmeyer 2013", "Cho 2019", "Park 2018", "Ji 2015", "Moon 2017"),
              yi = c(1.600, 1.400, 2.900, 2.690, 4.600),
              sei = c(0.184, 0.072, 0.328, 0.110, 0.199)),
  "3B" = list(outcome = "ODI (0-50), 12 months",
              study = c("Gerdesmeyer 2013", "Park 2018"),
              yi = c(16.800, 8.400), sei = c(1.482, 0.793))
)

fitlist <- function(fit) {
  pr <- predict(fit)
  out <- list(k = fit$k, estimate = c(fit$beta), se = fit$se, ci_lb = fit$ci.lb,
              ci_ub = fit$ci.ub, zval = fit$zval, pval = fit$pval, tau2 = fit$tau2,
              I2 = fit$I2, H2 = fit$H2, QE = fit$QE, QEp = fit$QEp,
              pi_lb = pr$pi.lb, pi_ub = pr$pi.ub, weights = unname(weights(fit)))
  if (fit$method != "FE") {
    ci <- tryCatch(confint(fit)$random, error = function(e) NULL)
    if (!is.null(ci)) {
      out$tau2_ci <- unname(ci["tau^2", c("ci.lb", "ci.ub")])
      out$I2_ci <- unname(ci["I^2(%)", c("ci.lb", "ci.ub")])
    }
  }
  out
}

res <- list(metafor = as.character(packageVersion("metafor")), figs = list())
for (name in names(figs)) {
  f <- figs[[name]]
  entry <- f
  for (m in c("FE", "REML", "DL")) {
    entry[[m]] <- fitlist(rma(yi = f$yi, sei = f$sei, method = m))
    if (m != "FE") {
      entry[[paste0(m, "_knha")]] <- fitlist(rma(yi = f$yi, sei = f$sei, method = m,
                                                 test = "knha"))
    }
  }
  res$figs[[name]] <- entry
}
write_json(res, file.path(here, "seed_figs.json"), digits = NA, auto_unbox = TRUE)
