# Audit: where metafor 3.8.1's ML Fisher scoring stops far from the maximum of the likelihood.
# For three random sets of audit_rma.json (found by the audit), records metafor's ML tau^2 and
# log-likelihood, and the maximum of the ML log-likelihood found by optimize() over tau^2 with
# the log-likelihood evaluated by metafor itself (rma with tau2 fixed).
# Run: Rscript reference/metafor/audit_ml_optimum.R  (writes audit_ml_optimum.json beside this script)
here <- local({ f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)); dirname(normalizePath(f)) })
source(file.path(here, "audit_generators.R"))
rma_sets <- jsonlite::fromJSON(file.path(here, "audit_rma.json"), simplifyVector = TRUE)$datasets
out <- list()
for (nm in c("escalc089_ZCOR", "escalc087_PFT", "vi_six_orders")) {
  i <- which(rma_sets$name == nm)
  yi <- as.numeric(rma_sets$yi[[i]]); vi <- as.numeric(rma_sets$vi[[i]])
  o <- capture(rma(yi, vi, method = "ML"))
  ll <- function(t) as.numeric(logLik(rma(yi, vi, method = "ML", tau2 = t)))
  # the log-likelihood is smooth in tau^2; search on a log grid, then refine around the best point
  grid <- c(0, 10^seq(log10(min(vi)) - 4, log10(max(100, 100 * var(yi))), length.out = 400))
  vals <- sapply(grid, ll)
  j <- which.max(vals)
  opt <- optimize(ll, c(grid[max(j - 1, 1)], grid[min(j + 1, length(grid))]), maximum = TRUE, tol = 1e-12)
  out[[length(out) + 1]] <- list(name = nm, yi = I(yi), vi = I(vi), warnings = I(o$warnings),
    metafor_tau2 = o$value$tau2, metafor_loglik = as.numeric(logLik(o$value)),
    max_tau2 = opt$maximum, max_loglik = opt$objective)
}
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), sets = out),
  file.path(here, "audit_ml_optimum.json"), digits = NA, auto_unbox = TRUE, na = "null")
