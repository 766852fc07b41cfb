# Audit: metafor 3.8.1 escalc on random inputs for every measure (generator: audit_generators.R,
# seed 20261121, 10 random studies sets per measure drawn in turn over MEASURES).
# Run: Rscript reference/metafor/audit_escalc.R  (writes audit_escalc.json beside this script)
here <- local({ f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)); dirname(normalizePath(f)) })
source(file.path(here, "audit_generators.R"))
cases <- escalc_audit_cases(per_measure = 10, seed = 20261121)
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), seed = 20261121,
  generator = "audit_generators.R: escalc_audit_cases(per_measure = 10, seed = 20261121)",
  cases = cases), file.path(here, "audit_escalc.json"), digits = NA, auto_unbox = TRUE, na = "null")
