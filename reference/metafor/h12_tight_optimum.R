# Guardrails (h12): metafor 3.8.1's ML/REML/EB/PM estimates with its default stopping rules and
# with tight ones (Fisher scoring threshold 1e-12 and up to 10,000 iterations; uniroot tolerance
# 1e-14 for PM), on every random set of audit_rma.json with k >= 2 that metafor fits without an
# error. With tight rules metafor itself reaches the solution of each estimator's defining
# equation, which is what evsynth's check and control={'strict_optimum': True} compute. For ML
# and REML, metafor's log-likelihood (logLik) at both estimates is recorded too.
# Run: Rscript reference/metafor/h12_tight_optimum.R  (writes h12_tight_optimum.json beside it)
suppressPackageStartupMessages(library(metafor))
here <- local({ f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)); dirname(normalizePath(f)) })
sets <- jsonlite::fromJSON(file.path(here, "audit_rma.json"), simplifyVector = TRUE)$datasets
fit1 <- function(yi, vi, method, control) {
  res <- tryCatch(suppressWarnings(rma(yi, vi, method = method, control = control)),
                  error = function(e) NULL)
  if (is.null(res)) return(NULL)
  list(tau2 = res$tau2, loglik = as.numeric(logLik(res)))
}
tight <- list(threshold = 1e-12, maxiter = 10000, tol = 1e-14)
out <- list()
for (i in seq_len(nrow(sets))) {
  yi <- as.numeric(sets$yi[[i]]); vi <- as.numeric(sets$vi[[i]])
  if (length(yi) < 2) next
  fits <- list()
  for (m in c("ML", "REML", "EB", "PM")) {
    d <- fit1(yi, vi, m, list())
    t <- fit1(yi, vi, m, tight)
    if (is.null(d) || is.null(t)) next
    fits[[m]] <- list(default_tau2 = d$tau2, default_loglik = d$loglik,
                      tight_tau2 = t$tau2, tight_loglik = t$loglik)
  }
  out[[length(out) + 1]] <- list(name = sets$name[i], yi = I(yi), vi = I(vi), fits = fits)
}
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), control = tight,
  sets = out), file.path(here, "h12_tight_optimum.json"), digits = NA, auto_unbox = TRUE)
