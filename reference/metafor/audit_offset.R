# Audit: outcomes with a large common offset (yi ~ 1e8, vi ~ 1), where metafor's residual matrix
# W - WX(X'WX)^-1X'W cancels catastrophically in the Q-profile equation. Records metafor 3.8.1's
# rma (DL) and confint at levels 50, 80 and 95 for comparison with the exact solution.
# Run: Rscript reference/metafor/audit_offset.R  (writes audit_offset.json beside this script)
here <- local({ f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)); dirname(normalizePath(f)) })
suppressPackageStartupMessages(library(metafor))
yi <- c(1e8 + 1, 1e8 + 5, 1e8 - 3, 1e8 + 2)
vi <- c(1, 2, 3, 4)
fits <- list()
for (lv in c(50, 80, 95)) {
  res <- rma(yi, vi, method = "DL", level = lv)
  ci <- confint(res)$random
  fits[[length(fits) + 1]] <- list(level = lv, estimate = c(res$beta), tau2 = res$tau2, Q = res$QE,
    tau2_ci = unname(ci["tau^2", c("ci.lb", "ci.ub")]))
}
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), yi = yi, vi = vi,
  call = "confint(rma(yi, vi, method = 'DL', level = level))", fits = fits),
  file.path(here, "audit_offset.json"), digits = NA, auto_unbox = TRUE, na = "null")
