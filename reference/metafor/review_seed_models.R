# Reference values for the review run of the bundled seed review (tests/review/).
# The four single-arm analyses of Korean J Pain 2021;34(3):346-368 (Figs. 2A, 2B, 3A, 3B), from
# the per-study differences in means and standard errors as printed, fitted with the models
# the report shows side by side (FE and REML), the REML fit with the Hartung-Knapp adjustment
# (the report's sensitivity row), the DL fit whose tau^2 the paper prints, and leave1out() of
# the REML fits with k = 5.
# Also the chi-squared p-values behind the methods check's "printed Q and p disagree" rule.
library(metafor)
library(jsonlite)
figs <- list(
  fig2a = list(yi = c(2.64, 2.4, 2.7, 2.9, 2.76), sei = c(0.084, 0.184, 0.082, 0.277, 0.106)),
  fig2b = list(yi = c(14.5, 8.4), sei = c(1.438, 0.849)),
  fig3a = list(yi = c(1.6, 1.4, 2.9, 2.69, 4.6), sei = c(0.184, 0.072, 0.328, 0.110, 0.199)),
  fig3b = list(yi = c(16.8, 8.4), sei = c(1.482, 0.793))
)
fit <- function(res) {
  list(k = res$k, estimate = as.numeric(res$b), se = res$se, ci_lower = res$ci.lb,
       ci_upper = res$ci.ub, statistic = res$zval, p_value = res$pval, tau2 = res$tau2,
       I2 = res$I2, H2 = res$H2, Q = res$QE, Q_p = res$QEp,
       pi_lower = predict(res)$pi.lb, pi_upper = predict(res)$pi.ub,
       weights = as.numeric(weights(res)))
}
out <- list()
for (name in names(figs)) {
  d <- figs[[name]]
  out[[name]] <- list(
    FE = fit(rma(d$yi, sei = d$sei, method = "FE")),
    REML = fit(rma(d$yi, sei = d$sei, method = "REML")),
    DL = fit(rma(d$yi, sei = d$sei, method = "DL")),
    REML_knha = fit(rma(d$yi, sei = d$sei, method = "REML", test = "knha"))
  )
}
loo <- function(res) {
  l <- leave1out(res)
  list(estimate = as.numeric(l$estimate), se = as.numeric(l$se), ci_lower = as.numeric(l$ci.lb),
       ci_upper = as.numeric(l$ci.ub), tau2 = as.numeric(l$tau2), I2 = as.numeric(l$I2))
}
for (name in c("fig2a", "fig3a")) {
  d <- figs[[name]]
  out[[name]]$REML_leave1out <- loo(rma(d$yi, sei = d$sei, method = "REML"))
}
out$chisq <- list(
  p_of_printed_Q_2a = pchisq(3.906, df = 4, lower.tail = FALSE),
  Q_of_printed_p_2a = qchisq(0.433, df = 4, lower.tail = FALSE)
)
out$call <- paste("rma(yi, sei = sei, method = 'FE' | 'REML' | 'DL'),",
                  "rma(yi, sei = sei, method = 'REML', test = 'knha'); metafor 3.8.1")
write_json(out, "reference/metafor/review_seed_models.json", digits = NA, auto_unbox = TRUE)
