# Audit: subgroup analyses on random data (the (yi, vi) sets of audit_rma.R with k >= 4, first
# 40; groups drawn with seed 20261125: 2 or 3 levels "A" "B" "C", each with at least one study).
# For FE/DL/REML/PM x z/knha: every subgroup pooled separately (rma on the subset), the test for
# subgroup differences as RevMan computes it (Cochran's Q of the subgroup estimates: rma(est, sei,
# method = "FE")$QE), and metafor's QM from rma(mods = ~ factor(group)) with a common tau^2.
# Run: Rscript reference/metafor/audit_subgroups.R  (writes audit_subgroups.json beside this script)
here <- local({ f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)); dirname(normalizePath(f)) })
source(file.path(here, "audit_generators.R"))
sets <- head(Filter(function(s) length(s$yi) >= 4, model_datasets(escalc_audit_cases(10, 20261121))), 40)
set.seed(20261125)
out <- list()
for (s in sets) {
  k <- length(s$yi)
  G <- if (k >= 6 && runif(1) < 0.5) 3 else 2
  repeat { g <- sample(LETTERS[1:G], k, replace = TRUE); if (length(unique(g)) == G) break }
  fits <- list()
  for (m in c("FE", "DL", "REML", "PM")) for (tt in c("z", "knha")) {
    sub <- list()
    for (lv in sort(unique(g))) {
      o <- capture(rma(s$yi[g == lv], s$vi[g == lv], method = m, test = tt)); r <- o$value
      sub[[length(sub) + 1]] <- list(level = lv, error = o$error,
        estimate = nz(r$beta[1]), se = nz(r$se), tau2 = nz(r$tau2), ci_lower = nz(r$ci.lb), ci_upper = nz(r$ci.ub))
    }
    est <- sapply(sub, function(x) x$estimate); se <- sapply(sub, function(x) x$se)
    qb <- capture(rma(est, sei = se, method = "FE"))
    mm <- capture(rma(s$yi, s$vi, mods = ~ factor(g), method = m, test = tt))
    fits[[length(fits) + 1]] <- list(method = m, test = tt, subgroups = sub,
      Q_between = nz(qb$value$QE), Q_between_p = nz(qb$value$QEp),
      QM = nz(mm$value$QM), QM_p = nz(mm$value$QMp), QM_error = mm$error, QM_warnings = I(mm$warnings))
  }
  out[[length(out) + 1]] <- list(name = s$name, yi = I(s$yi), vi = I(s$vi), groups = I(g), fits = fits)
}
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), seed = 20261125, datasets = out),
  file.path(here, "audit_subgroups.json"), digits = NA, auto_unbox = TRUE, na = "null")
