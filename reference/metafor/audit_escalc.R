# Audit: metafor 3.8.1 escalc on random inputs for every measure (generator: audit_generators.R,
# seed 20261121, 10 random study sets per measure drawn in turn over MEASURES), then a few invalid
# inputs whose refusal (error) or NA result metafor defines.
# Run: Rscript reference/metafor/audit_escalc.R  (writes audit_escalc.json beside this script)
here <- local({ f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)); dirname(normalizePath(f)) })
source(file.path(here, "audit_generators.R"))
cases <- escalc_audit_cases(per_measure = 10, seed = 20261121)
invalid <- list(
  list(measure = "OR", args = list(ai = c(5, 12), n1i = c(10, 10), ci = c(3, 4), n2i = c(10, 10)), options = list()),
  list(measure = "RR", args = list(ai = c(-1, 2), bi = c(10, 8), ci = c(3, 4), di = c(7, 6)), options = list()),
  list(measure = "MD", args = list(m1i = c(1, 2), sd1i = c(-1, 1), n1i = c(10, 10), m2i = c(0, 0), sd2i = c(1, 1), n2i = c(10, 10)), options = list()),
  list(measure = "SMD", args = list(m1i = c(1, 2), sd1i = c(1, 1), n1i = c(10, -3), m2i = c(0, 0), sd2i = c(1, 1), n2i = c(10, 10)), options = list()),
  list(measure = "ZCOR", args = list(ri = c(0.5, 1.2), ni = c(20, 30)), options = list()),
  list(measure = "PR", args = list(xi = c(12, 3), ni = c(10, 10)), options = list()),
  list(measure = "MC", args = list(m1i = c(1, 2), sd1i = c(1, 1), m2i = c(0, 0), sd2i = c(1, 1), ni = c(10, 10), ri = c(0.5, -1.5)), options = list())
)
for (case in invalid) cases[[length(cases) + 1]] <- run_escalc(case)
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), seed = 20261121,
  generator = "audit_generators.R: escalc_audit_cases(per_measure = 10, seed = 20261121)",
  cases = cases), file.path(here, "audit_escalc.json"), digits = NA, auto_unbox = TRUE, na = "null")
