# Non-converging Fisher scoring: metafor 3.8.1 stops with an error; with its documented remedy
# (a smaller step, more iterations) it converges to the value evsynth's fallback must reach.
# The data were found by a random search with evsynth's replica of metafor's Fisher scoring.
# Run: Rscript reference/metafor/rma_nonconverge.R  (writes rma_nonconverge.json beside it)
suppressPackageStartupMessages(library(metafor))
out_path <- file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "rma_nonconverge.json")
yi <- c(1.8056005941631366, -0.3764414671824904, -0.33923286174036543, 0.23738564914552485,
        0.35122945098423114, -1.5643943534799674, 1.3632557878239946)
vi <- c(61.324358900377774, 20.72039705933595, 179.436303817789, 15.146888525963488,
        8.996795767930905, 0.004761422786187218, 0.9702042974807352)
cases <- list()
for (m in c("REML", "EB")) {
  err <- tryCatch({ rma(yi, vi, method = m); "" }, error = function(e) conditionMessage(e))
  res <- rma(yi, vi, method = m, control = list(stepadj = 0.5, maxiter = 10000, threshold = 1e-10))
  cases[[length(cases) + 1]] <- list(method = m, default_error = err,
    call = sprintf("rma(yi, vi, method='%s', control=list(stepadj=0.5, maxiter=10000, threshold=1e-10))", m),
    tau2 = res$tau2, estimate = c(res$beta), se = res$se)
}
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), yi = yi, vi = vi, cases = cases),
  out_path, digits = NA, auto_unbox = TRUE)
