# Random case generators for the independent audit of evsynth.stats against metafor 3.8.1.
# Sourced by the audit_*.R scripts; each script sets its own seed (written at its top) before
# calling these, so every case is reproducible from the script alone.
#
# The generators aim at the general case rather than at nice data: k from 1 to 30 with extra
# weight on k = 1..3, group sizes drawn from a mixture of tiny (1-5), ordinary (10-300) and huge
# (1e3-1e6) samples, event probabilities near 0 and 1 (zero cells, double zeros, all-events
# tables), standard deviations differing by orders of magnitude between groups and studies, means
# on scales from 1e-3 to 1e4, correlations near +-1, and random escalc options (add, to, drop00,
# vtype) among those metafor accepts for the measure.
suppressPackageStartupMessages(library(metafor))

script_dir <- function() {
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  dirname(normalizePath(f))
}

# Run expr, keeping its value, its warnings (as text) and its error (as text, value NULL).
capture <- function(expr) {
  warns <- character(0)
  value <- withCallingHandlers(
    tryCatch(expr, error = function(e) structure(list(msg = conditionMessage(e)), class = "audit_err")),
    warning = function(w) {
      warns <<- c(warns, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  if (inherits(value, "audit_err")) {
    return(list(value = NULL, warnings = warns, error = value$msg))
  }
  list(value = value, warnings = warns, error = NA)
}

# NULL (a quantity metafor does not define for this fit) becomes NA so that the key stays in JSON.
nz <- function(x) if (is.null(x)) NA else unname(x)

draw_k <- function() sample(1:30, 1, prob = c(4, 3, 3, rep(1, 27)))

# Sample sizes from a mixture of tiny, ordinary and huge studies (at least `min`).
draw_n <- function(k, min = 1) {
  kind <- sample(c("tiny", "usual", "huge"), k, replace = TRUE, prob = c(0.25, 0.55, 0.20))
  n <- ifelse(kind == "tiny", sample(min:max(min, 5), k, replace = TRUE),
    ifelse(kind == "usual", round(exp(runif(k, log(10), log(300)))),
      round(exp(runif(k, log(1e3), log(1e6))))))
  pmax(n, min)
}

# Event probabilities: uniform, near 0, or near 1.
draw_p <- function(k) {
  kind <- sample(c("unif", "low", "high"), k, replace = TRUE, prob = c(0.5, 0.3, 0.2))
  u <- runif(k)
  ifelse(kind == "unif", u, ifelse(kind == "low", rbeta(k, 0.3, 8), 1 - rbeta(k, 0.3, 8)))
}

pick <- function(x) x[sample.int(length(x), 1)]

# Variance types evsynth and metafor 3.8.1 accept per measure (the default LS most often).
VTYPES <- list(MD = c("LS", "UB", "HO"), SMD = c("LS", "UB", "LS2", "AV"), SMDH = c("LS", "LS2"),
  ROM = c("LS", "HO", "AV", "AVHO"), SMCC = c("LS", "LS2"), SMCR = c("LS", "LS2"),
  RD = c("LS", "UB", "AV"), PR = c("LS", "UB", "AV"), PLN = c("LS", "AV"), PLO = c("LS", "AV"),
  COR = c("LS", "AV"))

draw_vtype <- function(measure) {
  v <- VTYPES[[measure]]
  if (is.null(v) || runif(1) < 0.6) return(NULL)
  pick(v)
}

# One random escalc input for `measure`: list(args = data arguments, options = escalc options).
draw_escalc <- function(measure) {
  k <- draw_k()
  opts <- list()
  vt <- draw_vtype(measure)
  if (!is.null(vt)) opts$vtype <- vt
  if (measure %in% c("RR", "OR", "RD")) {
    n1 <- draw_n(k); n2 <- draw_n(k)
    ai <- rbinom(k, n1, draw_p(k)); ci <- rbinom(k, n2, draw_p(k))
    if (k > 1 && runif(1) < 0.3) { j <- sample.int(k, 1); ai[j] <- 0; ci[j] <- 0 }
    if (k > 1 && runif(1) < 0.15) { j <- sample.int(k, 1); ai[j] <- n1[j]; ci[j] <- n2[j] }
    args <- if (runif(1) < 0.3) list(ai = ai, n1i = n1, ci = ci, n2i = n2)
            else list(ai = ai, bi = n1 - ai, ci = ci, di = n2 - ci)
    if (runif(1) < 0.4) opts$add <- pick(c(0, 0.25, 0.5, 1))
    if (runif(1) < 0.4) opts$to <- pick(c("only0", "all", "if0all", "none"))
    if (runif(1) < 0.3) opts$drop00 <- TRUE
  } else if (measure %in% c("MD", "SMD", "SMDH", "ROM")) {
    n1 <- draw_n(k, 2); n2 <- draw_n(k, 2)
    scale <- 10^runif(1, -3, 4)
    sd1 <- scale * exp(rnorm(k, 0, 1)); sd2 <- sd1 * exp(rnorm(k, 0, 1.5))
    if (runif(1) < 0.1) sd2[sample.int(k, 1)] <- 0
    m2 <- scale * rnorm(k, 0, 2); m1 <- m2 + scale * rnorm(k, 0.3, 1)
    if (measure == "ROM") {
      m1 <- abs(m1) + scale / 10; m2 <- abs(m2) + scale / 10
      if (runif(1) < 0.1) m2[sample.int(k, 1)] <- -scale
    }
    args <- list(m1i = m1, sd1i = sd1, n1i = n1, m2i = m2, sd2i = sd2, n2i = n2)
  } else if (measure %in% c("MC", "SMCC", "SMCR")) {
    ni <- draw_n(k, 2)
    scale <- 10^runif(1, -3, 4)
    sd2 <- scale * exp(rnorm(k, 0, 1)); sd1 <- sd2 * exp(rnorm(k, 0, 0.7))
    m2 <- scale * rnorm(k, 0, 2); m1 <- m2 + scale * rnorm(k, 0.3, 1)
    ri <- runif(k, -0.9, 0.99)
    if (runif(1) < 0.1) ri[sample.int(k, 1)] <- pick(c(0, 1, -1))
    args <- list(m1i = m1, sd1i = sd1, m2i = m2, sd2i = sd2, ni = ni, ri = ri)
  } else if (measure %in% c("PR", "PLN", "PLO", "PAS", "PFT")) {
    ni <- draw_n(k)
    xi <- rbinom(k, ni, draw_p(k))
    if (k > 1 && runif(1) < 0.3) xi[sample.int(k, 1)] <- 0
    if (k > 1 && runif(1) < 0.2) { j <- sample.int(k, 1); xi[j] <- ni[j] }
    args <- list(xi = xi, ni = ni)
    if (runif(1) < 0.4) opts$add <- pick(c(0, 0.25, 0.5, 1))
    if (runif(1) < 0.4) opts$to <- pick(c("only0", "all", "if0all", "none"))
  } else if (measure %in% c("COR", "ZCOR")) {
    ni <- draw_n(k, 4)
    if (runif(1) < 0.1) ni[sample.int(k, 1)] <- pick(c(2, 3))
    ri <- tanh(rnorm(k, 0.2, 0.6))
    if (runif(1) < 0.1) ri[sample.int(k, 1)] <- pick(c(1, -1, 0))
    args <- list(ri = ri, ni = ni)
  } else if (measure == "GEN") {
    scale <- 10^runif(1, -3, 3)
    yi <- scale * rnorm(k, 0.2, 1)
    vi <- scale^2 * exp(rnorm(k, -2, 2))
    args <- if (runif(1) < 0.5) list(yi = yi, vi = vi) else list(yi = yi, sei = sqrt(vi))
  } else {
    stop("unknown measure ", measure)
  }
  list(measure = measure, args = args, options = opts)
}

MEASURES <- c("MD", "SMD", "SMDH", "ROM", "MC", "SMCC", "SMCR", "RR", "OR", "RD", "PR", "PLN",
  "PLO", "PAS", "PFT", "COR", "ZCOR", "GEN")

# jsonlite (digits = NA) writes 15 significant digits. Every input is rounded to exactly what the
# JSON will hold before metafor sees it, so that Python reads the same doubles: otherwise two
# values that differ in the 16th digit in R become a tie in Python (Kendall's tau changes).
r15 <- function(x) as.numeric(sprintf("%.15g", x))

run_escalc <- function(case) {
  case$args <- lapply(case$args, r15)
  out <- capture(do.call(escalc, c(list(measure = case$measure), case$args, case$options)))
  res <- out$value
  c(case, list(
    yi = if (is.null(res)) NA else as.numeric(res$yi),
    vi = if (is.null(res)) NA else as.numeric(res$vi),
    warnings = I(out$warnings), error = out$error))
}

# Random (yi, vi) sets for the models: the escalc cases' finite values plus constructed edges.
model_datasets <- function(escalc_cases) {
  sets <- list()
  for (i in seq_along(escalc_cases)) {
    ec <- escalc_cases[[i]]
    ok <- is.finite(ec$yi) & is.finite(ec$vi) & ec$vi > 0
    if (sum(ok) >= 1) {
      sets[[length(sets) + 1]] <- list(name = sprintf("escalc%03d_%s", i, ec$measure),
        measure = ec$measure, yi = r15(ec$yi[ok]), vi = r15(ec$vi[ok]))
    }
  }
  edge <- list(
    list(name = "k1", yi = 0.4, vi = 0.09),
    list(name = "k2_equal_vi", yi = c(0.1, 0.7), vi = c(0.05, 0.05)),
    list(name = "identical_yi", yi = rep(0.3, 6), vi = c(0.01, 0.2, 0.05, 1, 0.3, 0.02)),
    list(name = "identical_yi_vi", yi = rep(-1.2, 5), vi = rep(0.04, 5)),
    list(name = "tau2_zero", yi = c(0.50, 0.52, 0.49, 0.51, 0.50), vi = c(0.1, 0.2, 0.15, 0.3, 0.12)),
    list(name = "vi_six_orders", yi = c(0.2, -0.4, 1.3, 0.8, 0.05, 2.1, -1.0, 0.3),
      vi = c(1e-5, 0.5, 3, 0.01, 25, 0.2, 8, 1e-3)),
    list(name = "huge_heterogeneity", yi = c(-5, 3, 10, -8, 0.5, 7), vi = c(0.01, 0.02, 0.05, 0.01, 0.03, 0.02)),
    list(name = "large_scale", yi = 1e4 * c(1.2, 0.8, 2.5, 1.9, 0.1), vi = 1e8 * c(0.04, 0.09, 0.2, 0.05, 0.1)),
    list(name = "small_scale", yi = 1e-4 * c(1.2, 0.8, 2.5, 1.9, 0.1), vi = 1e-8 * c(0.04, 0.09, 0.2, 0.05, 0.1))
  )
  for (e in edge) sets[[length(sets) + 1]] <- c(e, list(measure = "GEN"))
  sets
}

# The escalc cases every audit script starts from (same seed, so the same data in each script).
escalc_audit_cases <- function(per_measure = 10, seed = 20261121) {
  set.seed(seed)
  cases <- list()
  for (rep in seq_len(per_measure)) for (m in MEASURES) {
    cases[[length(cases) + 1]] <- run_escalc(draw_escalc(m))
  }
  cases
}
