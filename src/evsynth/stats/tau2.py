"""Estimators of the between-study variance tau^2, as metafor's ``rma.uni`` computes them.

Each estimator takes the outcomes ``yi``, sampling variances ``vi`` and design matrix ``X`` and
returns a :class:`Tau2Estimate`. Estimates are truncated at 0 as in metafor. As in metafor, the
outcomes are centred before estimation (this changes nothing when ``X`` has an intercept).

References
----------
DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Controlled Clinical Trials
7:177-188. (DL)
Hedges LV, Olkin I (1985). Statistical Methods for Meta-Analysis. Academic Press. (HE)
Hunter JE, Schmidt FL (2004). Methods of Meta-Analysis, 2nd ed. Sage. (HS)
Sidik K, Jonkman JN (2005). Simple heterogeneity variance estimation for meta-analysis. Journal
of the Royal Statistical Society C 54:367-384. (SJ)
Paule RC, Mandel J (1982). Consensus values and weighting factors. Journal of Research of the
National Bureau of Standards 87:377-385. (PM)
Morris CN (1983). Parametric empirical Bayes inference. JASA 78:47-55. (EB)
Viechtbauer W (2005). Bias and efficiency of meta-analytic variance estimators in the
random-effects model. Journal of Educational and Behavioral Statistics 30:261-293. (ML, REML and
Fisher scoring)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from evsynth.stats._linalg import FloatArray, Projection, weighted_rss
from evsynth.stats._roots import R_TOL, brent_root

FIXED_METHODS = ("FE", "EE", "CE")
RANDOM_METHODS = ("DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
METHODS = FIXED_METHODS + RANDOM_METHODS

# metafor's rma.uni control defaults
THRESHOLD = 1e-5  # Fisher scoring stops when tau2 changes less than this
MAXITER = 100
TAU2_MAX = 100.0


@dataclass(frozen=True)
class Tau2Estimate:
    """An estimate of tau^2 and how it was obtained."""

    tau2: float
    se: float
    converged: bool
    iterations: int
    notes: tuple[str, ...] = ()


def mad(x: FloatArray) -> float:
    """R's ``mad``: scaled median absolute deviation (consistent for the normal SD)."""
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


def tau2_max_default(yi: FloatArray) -> float:
    """metafor's upper search bound for tau^2: ``max(100, 10 * mad(yi)^2)``."""
    return max(TAU2_MAX, 10.0 * mad(yi) ** 2)


def q_statistic(tau2: float, y: FloatArray, vi: FloatArray, X: FloatArray) -> float:
    """Generalised Q: the weighted residual sum of squares with weights ``1/(vi + tau2)``."""
    return weighted_rss(X, y, 1.0 / (vi + tau2))


def estimate_tau2(method: str, yi: FloatArray, vi: FloatArray, X: FloatArray) -> Tau2Estimate:
    """Estimate tau^2 with ``method`` (one of :data:`METHODS`).

    Parameters
    ----------
    method : str
        FE/EE/CE (tau^2 = 0), DL, HE, HS, SJ, ML, REML, EB or PM.
    yi, vi : ndarray
        Outcomes and their sampling variances (all positive).
    X : ndarray
        The k x p design matrix.
    """
    k = X.shape[0]
    if method in FIXED_METHODS or k == 1:
        return Tau2Estimate(0.0, math.nan, True, 0)
    y = yi - yi.mean()
    if method == "DL":
        return _dl(y, vi, X)
    if method == "HE":
        return _he(y, vi, X)
    if method == "HS":
        return _hs(y, vi, X)
    if method == "SJ":
        return _sj(y, vi, X)
    if method == "PM":
        return _pm(y, vi, X, yi)
    if method in ("ML", "REML", "EB"):
        return _fisher_scoring(method, y, vi, X, yi)
    raise ValueError(f"unknown method {method!r}")


def _se_quadratic(c0: float, a: float, b: float, d: float, tau2: float) -> float:
    t = max(tau2, 0.0)
    return math.sqrt(c0 * (a + 4.0 * t * b + 2.0 * t * t * d))


def _dl(y: FloatArray, vi: FloatArray, X: FloatArray) -> Tau2Estimate:
    k, p = X.shape
    w = 1.0 / vi
    P = Projection(X, w)
    rss = P.quad(y)
    tr_p = P.trace()
    tau2 = max(0.0, (rss - (k - p)) / tr_p)
    se = _se_quadratic(1.0 / tr_p**2, 2.0 * (k - p), tr_p, P.sum_sq(w, w), tau2)
    return Tau2Estimate(tau2, se, True, 0)


def _he_raw(y: FloatArray, vi: FloatArray, X: FloatArray) -> tuple[float, Projection, float]:
    k, p = X.shape
    P = Projection(X, np.ones(k))  # ordinary least squares
    tr_pv = P.trace(vi)
    return (P.quad(y) - tr_pv) / (k - p), P, tr_pv


def _he(y: FloatArray, vi: FloatArray, X: FloatArray) -> Tau2Estimate:
    k, p = X.shape
    raw, P, tr_pv = _he_raw(y, vi, X)
    tau2 = max(0.0, raw)
    se = _se_quadratic(1.0 / (k - p) ** 2, 2.0 * P.sum_sq(vi, vi), tr_pv, k - p, tau2)
    return Tau2Estimate(tau2, se, True, 0)


def _hs(y: FloatArray, vi: FloatArray, X: FloatArray) -> Tau2Estimate:
    k, p = X.shape
    w = 1.0 / vi
    P = Projection(X, w)
    rss = P.quad(y)
    tau2 = max(0.0, (rss - k) / float(np.sum(w)))
    se = _se_quadratic(1.0 / float(np.sum(w)) ** 2, 2.0 * (k - p), P.trace(), P.sum_sq(w, w), tau2)
    return Tau2Estimate(tau2, se, True, 0)


def _sj(y: FloatArray, vi: FloatArray, X: FloatArray) -> Tau2Estimate:
    k, p = X.shape
    # metafor's starting value: the (biased) variance of the outcomes, var(y) * (k-1)/k
    tau2_0 = float(np.var(y))
    if tau2_0 <= 0.0:
        # identical outcomes: metafor's formulas give tau2 = 0 with standard error 0
        return Tau2Estimate(0.0, 0.0, True, 0)
    w = 1.0 / (vi + tau2_0)
    P = Projection(X, w)
    rss = P.quad(y)
    tau2 = max(0.0, tau2_0 * rss / (k - p))
    wv = w * vi
    se = math.sqrt(
        tau2_0**2
        / (k - p) ** 2
        * (2.0 * P.sum_sq(wv, wv) + 4.0 * tau2 * P.sum_sq(w, wv) + 2.0 * tau2**2 * P.sum_sq(w, w))
    )
    return Tau2Estimate(tau2, se, True, 0)


def _se_eb_pm(tau2: float, vi: FloatArray, k: int, p: int) -> float:
    w = 1.0 / (vi + tau2)
    return math.sqrt(2.0 * k**2 / (k - p) / float(np.sum(w)) ** 2)


def _pm(
    y: FloatArray, vi: FloatArray, X: FloatArray, yi: FloatArray, tol: float = R_TOL
) -> Tau2Estimate:
    k, p = X.shape
    target = float(k - p)
    upper = tau2_max_default(yi)

    def excess(t: float) -> float:
        return q_statistic(t, y, vi, X) - target

    if excess(0.0) < 0.0:
        return Tau2Estimate(0.0, _se_eb_pm(0.0, vi, k, p), True, 0)
    if excess(upper) > 0.0:
        # metafor stops here; we widen the search instead and say so.
        while excess(upper) > 0.0 and upper < 1e12:
            upper *= 10.0
        note = f"The Paule-Mandel search for tau^2 was widened to [0, {upper:g}]."
        root, conv = brent_root(excess, 0.0, upper, tol=tol, maxiter=MAXITER)
        return Tau2Estimate(root, _se_eb_pm(root, vi, k, p), conv, 0, (note,))
    root, conv = brent_root(excess, 0.0, upper, tol=tol, maxiter=MAXITER)
    return Tau2Estimate(max(0.0, root), _se_eb_pm(max(0.0, root), vi, k, p), conv, 0)


def log_likelihood(tau2: float, y: FloatArray, vi: FloatArray, X: FloatArray, reml: bool) -> float:
    """The (restricted) log-likelihood of the random-effects model at ``tau2`` (metafor's)."""
    k, p = X.shape
    w = 1.0 / (vi + tau2)
    rss = weighted_rss(X, y, w)
    if not reml:
        return float(-0.5 * k * math.log(2 * math.pi) - 0.5 * np.sum(np.log(vi + tau2)) - 0.5 * rss)
    _sign, logdet = np.linalg.slogdet(X.T @ (w[:, None] * X))
    return float(
        -0.5 * (k - p) * math.log(2 * math.pi)
        - 0.5 * np.sum(np.log(vi + tau2))
        - 0.5 * logdet
        - 0.5 * rss
    )


def _fisher_scoring(
    method: str, y: FloatArray, vi: FloatArray, X: FloatArray, yi: FloatArray
) -> Tau2Estimate:
    k, p = X.shape
    # metafor starts from the Hedges estimate, truncated at 0
    tau2 = max(0.0, _he_raw(y, vi, X)[0])
    change = THRESHOLD + 1.0
    iterations = 0
    converged = True
    while change > THRESHOLD:
        iterations += 1
        old = tau2
        w = 1.0 / (vi + tau2)
        P = Projection(X, w)
        Py = P.py(y)
        if method == "ML":
            adj = (float(Py @ Py) - float(np.sum(w))) / float(np.sum(w**2))
        elif method == "REML":
            adj = (float(Py @ Py) - P.trace()) / P.sum_sq(w, w)
        else:  # EB
            adj = (float(y @ Py) * k / (k - p) - k) / float(np.sum(w))
        if math.isnan(adj):
            adj = 0.0
        # step halving keeps tau2 inside the parameter space
        while tau2 + adj < 0.0:
            adj /= 2.0
        tau2 = tau2 + adj
        change = abs(old - tau2)
        if iterations > MAXITER:
            converged = False
            break
    notes: list[str] = []
    if not converged:
        return _fallback_maximum(method, y, vi, X, yi, iterations)
    if method in ("ML", "REML"):
        # Fisher scoring can stop at a local maximum away from 0; metafor then takes tau2 = 0.
        reml = method == "REML"
        ll0 = log_likelihood(0.0, y, vi, X, reml)
        ll = log_likelihood(tau2, y, vi, X, reml)
        if ll0 - ll > R_TOL and tau2 > THRESHOLD:
            notes.append(
                "Fisher scoring stopped at a local maximum of the likelihood; tau^2 was set to 0, "
                "where the likelihood is higher (as metafor does)."
            )
            tau2 = 0.0
    tau2 = max(0.0, tau2)
    return Tau2Estimate(tau2, _se_iterative(method, tau2, vi, X), True, iterations, tuple(notes))


def tau2_standard_error(method: str, tau2: float, vi: FloatArray, X: FloatArray) -> float:
    """metafor's standard error of an ML, REML, EB or PM estimate ``tau2``."""
    return _se_iterative(method, tau2, vi, X)


def _se_iterative(method: str, tau2: float, vi: FloatArray, X: FloatArray) -> float:
    k, p = X.shape
    w = 1.0 / (vi + tau2)
    if method == "ML":
        return math.sqrt(2.0 / float(np.sum(w**2)))
    if method == "REML":
        return math.sqrt(2.0 / Projection(X, w).sum_sq(w, w))
    return _se_eb_pm(tau2, vi, k, p)


def _fallback_maximum(
    method: str, y: FloatArray, vi: FloatArray, X: FloatArray, yi: FloatArray, iterations: int
) -> Tau2Estimate:
    """Maximise the likelihood directly when Fisher scoring does not converge."""
    upper = tau2_max_default(yi)
    if method == "EB":
        # EB solves Q(tau2) * k/(k-p) = k, the same equation as Paule-Mandel up to a factor
        # no metafor steps to replay here, so solve to full precision
        est = _pm(y, vi, X, yi, tol=1e-12)
        note = (
            f"Fisher scoring for the EB estimate did not converge in {MAXITER} iterations; "
            "tau^2 was found instead by root finding on its estimating equation."
        )
        return Tau2Estimate(est.tau2, est.se, est.converged, iterations, (note,))
    from scipy import optimize  # only on this rare path: keeps start-up light

    reml = method == "REML"
    opt = optimize.minimize_scalar(
        lambda t: -log_likelihood(float(t), y, vi, X, reml),
        bounds=(0.0, upper),
        method="bounded",
        options={"xatol": 1e-10},
    )
    tau2 = max(0.0, float(opt.x))
    note = (
        f"Fisher scoring for the {method} estimate did not converge in {MAXITER} iterations; "
        f"tau^2 was found instead by maximising the {'restricted ' if reml else ''}"
        f"likelihood directly over [0, {upper:g}]."
    )
    return Tau2Estimate(
        tau2, _se_iterative(method, tau2, vi, X), bool(opt.success), iterations, (note,)
    )
