# Audit: predict() of metafor 3.8.1 meta-regressions at new moderator values (the fitted values
# without newmods, and at the minimum, median and maximum of x1 with x2 = 0 and 1 when there is
# an x2). Data and moderators: the first 30 sets of audit_regression.json; FE/DL/REML x z/knha.
# Run: Rscript reference/metafor/audit_predict.R  (writes audit_predict.json beside this script)
here <- local({ f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)); dirname(normalizePath(f)) })
source(file.path(here, "audit_generators.R"))
reg <- jsonlite::fromJSON(file.path(here, "audit_regression.json"), simplifyVector = FALSE)$datasets
out <- list()
for (s in head(reg, 30)) {
  yi <- unlist(s$yi); vi <- unlist(s$vi)
  X <- do.call(cbind, lapply(s$mods, unlist))
  x1 <- X[, 1]
  newmods <- cbind(quantile(x1, c(0, 0.5, 1), names = FALSE))
  if (ncol(X) == 2) newmods <- rbind(cbind(newmods, 0), cbind(newmods, 1))
  fits <- list()
  for (m in c("FE", "DL", "REML")) for (tt in c("z", "knha")) {
    o <- capture({
      res <- rma(yi, vi, mods = X, method = m, test = tt)
      list(fitted = predict(res), new = predict(res, newmods = newmods))
    })
    f <- list(method = m, test = tt, error = o$error, warnings = I(o$warnings))
    if (!is.null(o$value)) for (w in c("fitted", "new")) {
      p <- o$value[[w]]
      if (is.null(p$pi.lb)) { p$pi.lb <- p$ci.lb; p$pi.ub <- p$ci.ub }
      f[[w]] <- list(pred = I(unname(p$pred)), se = I(unname(p$se)), ci_lower = I(unname(p$ci.lb)),
        ci_upper = I(unname(p$ci.ub)), pi_lower = I(unname(p$pi.lb)), pi_upper = I(unname(p$pi.ub)))
    }
    fits[[length(fits) + 1]] <- f
  }
  out[[length(out) + 1]] <- list(name = s$name, yi = I(yi), vi = I(vi), mods = I(X), newmods = I(newmods), fits = fits)
}
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), datasets = out),
  file.path(here, "audit_predict.json"), digits = NA, auto_unbox = TRUE, na = "null")
