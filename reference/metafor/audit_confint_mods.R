# Audit: confint() (Q-profile CIs of tau^2 and I^2) of metafor 3.8.1 meta-regressions, DL/REML/PM,
# on the first 60 sets of audit_regression.json (same moderators). Errors are recorded.
# Run: Rscript reference/metafor/audit_confint_mods.R  (writes audit_confint_mods.json beside this script)
here <- local({ f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)); dirname(normalizePath(f)) })
source(file.path(here, "audit_generators.R"))
reg <- jsonlite::fromJSON(file.path(here, "audit_regression.json"), simplifyVector = FALSE)$datasets
out <- list()
for (s in head(reg, 60)) {
  yi <- unlist(s$yi); vi <- unlist(s$vi); X <- do.call(cbind, lapply(s$mods, unlist))
  for (m in c("DL", "REML", "PM")) {
    o <- capture(confint(rma(yi, vi, mods = X, method = m)))
    r <- if (is.null(o$value)) NULL else o$value$random
    out[[length(out) + 1]] <- list(name = s$name, method = m, error = o$error, warnings = I(o$warnings),
      tau2_ci = if (is.null(r)) NA else unname(r["tau^2", c("ci.lb", "ci.ub")]),
      I2_ci = if (is.null(r)) NA else unname(r["I^2(%)", c("ci.lb", "ci.ub")]),
      H2_ci = if (is.null(r)) NA else unname(r["H^2", c("ci.lb", "ci.ub")]))
  }
}
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), cases = out),
  file.path(here, "audit_confint_mods.json"), digits = NA, auto_unbox = TRUE, na = "null")
