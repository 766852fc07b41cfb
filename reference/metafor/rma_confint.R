# Reference values for evsynth.stats.models.confint: metafor 3.8.1 confint at other levels.
# Run: Rscript reference/metafor/rma_confint.R  (writes rma_confint.json beside this script)
suppressPackageStartupMessages(library(metafor))
out_path <- file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "rma_confint.json")
dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
cases <- list()
for (m in c("DL", "REML", "PM", "FE")) for (tt in c("z", "knha")) for (lv in c(90, 99)) {
  res <- suppressWarnings(rma(yi, vi, data = dat, method = m, test = tt))
  ci <- if (m == "FE") confint(res, level = lv, fixed = TRUE, random = FALSE) else confint(res, level = lv, fixed = TRUE)
  fx <- ci$fixed
  case <- list(method = m, test = tt, level = lv,
    call = sprintf("confint(rma(yi, vi, method='%s', test='%s'), level=%d)", m, tt, lv),
    beta_ci = unname(fx["intrcpt", c("ci.lb", "ci.ub")]))
  if (m != "FE") {
    case$tau2_ci <- unname(ci$random["tau^2", c("ci.lb", "ci.ub")])
    case$I2_ci <- unname(ci$random["I^2(%)", c("ci.lb", "ci.ub")])
    case$H2_ci <- unname(ci$random["H^2", c("ci.lb", "ci.ub")])
  }
  cases[[length(cases) + 1]] <- case
}
jsonlite::write_json(list(metafor = as.character(packageVersion("metafor")), yi = c(dat$yi), vi = c(dat$vi),
  cases = cases), out_path, digits = NA, auto_unbox = TRUE)
