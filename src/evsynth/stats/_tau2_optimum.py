"""Is an iterative tau^2 estimate where its definition puts it? (private)

metafor's stopping rules are absolute: Fisher scoring (ML, REML, EB) stops when tau^2 changes by
less than 1e-5, and the Paule-Mandel root finder (``uniroot``) stops within about 1.2e-4 of the
root. On data whose tau^2 is of that order or smaller (risk differences, proportions, very
precise studies) the estimate can stop far from the optimum without a word. evsynth keeps
metafor's numbers by default (agreement with metafor is the contract), checks each estimate
against its defining equation, and says when it fails:

- ML and REML: the score of the (restricted) log-likelihood at the estimate, in units of its
  standard deviation, ``|U(tau2)| / sqrt(I(tau2))`` with the expected information ``I`` (the
  quantities of the Fisher scoring step itself). It equals the distance to the optimum in
  standard errors of tau^2 to first order, is unchanged by rescaling the data, and costs one
  Fisher scoring iteration. At tau^2 = 0 a negative score makes 0 a local maximum; when Q
  shows heterogeneity there, the likelihood is also searched for a higher maximum inside (it
  can have one: metafor's first step from 0 then points out of the parameter space and it
  never leaves 0), and its distance in standard errors is the criterion. A negative score
  counts only up to ``tau2 * sqrt(I)``: the optimum cannot lie below 0.
- PM and EB (whose estimating equation is the PM equation times k / (k - p)): the relative
  miss of the generalised Q statistic, ``|Q(tau2) - (k - p)| / (k - p)``; tau^2 = 0 with
  ``Q(0) <= k - p`` is the boundary solution.

The better value is found only when the check fails (or when asked for): the global maximum of
the (restricted) likelihood over a logarithmic grid refined by root finding on the score, or the
root of the PM equation to full precision.

References
----------
Viechtbauer W (2005). Bias and efficiency of meta-analytic variance estimators in the
random-effects model. Journal of Educational and Behavioral Statistics 30:261-293.
Paule RC, Mandel J (1982). Consensus values and weighting factors. Journal of Research of the
National Bureau of Standards 87:377-385.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from evsynth.stats._linalg import FloatArray, Projection, _sum_of_others
from evsynth.stats._roots import brent_root
from evsynth.stats.tau2 import log_likelihood, q_statistic, tau2_max_default

LIKELIHOOD_METHODS = ("ML", "REML")
Q_METHODS = ("PM", "EB")
CHECKED_METHODS = LIKELIHOOD_METHODS + Q_METHODS
# An estimate passes when it is within 1e-3 of a standard error of tau^2 from the likelihood's
# optimum (its log-likelihood is then within ~5e-7 of the maximum), or when Q misses k - p by at
# most 0.1 % (the line drawn by the audit). metafor's rules leave ordinary data 100 times inside
# both; only the stopping-rule failures described above exceed them.
SCORE_TOL = 1e-3
Q_RTOL = 1e-3
_GRID_PER_DECADE = 8


@dataclass(frozen=True)
class Tau2Check:
    """The check of an iterative tau^2 estimate against its defining equation.

    Attributes
    ----------
    method : str
        ML, REML, PM or EB.
    criterion : str
        ``"score"`` (ML, REML: ``|U| / sqrt(I)``) or ``"Q"`` (PM, EB: ``|Q - (k-p)| / (k-p)``).
    tau2 : float
        The estimate that was checked.
    discrepancy, tolerance : float
        The criterion's value at ``tau2`` and the largest value that passes.
    value : float
        At ``tau2``: metafor's (restricted) log-likelihood for ML/REML, Q for PM/EB.
    optimum_tau2, optimum_value : float
        The true optimum (root) and the value there; NaN when the check passed and the optimum
        was not computed.
    target : float
        ``k - p``, the value Q must take for PM/EB (NaN for ML/REML).
    """

    method: str
    criterion: str
    tau2: float
    discrepancy: float
    tolerance: float
    value: float
    optimum_tau2: float = math.nan
    optimum_value: float = math.nan
    target: float = math.nan

    @property
    def ok(self) -> bool:
        """True when the estimate satisfies its defining equation to the tolerance."""
        return self.discrepancy <= self.tolerance


def score_information(
    method: str, tau2: float, y: FloatArray, vi: FloatArray, X: FloatArray
) -> tuple[float, float]:
    """Score ``U`` and expected information ``I`` of the (restricted) log-likelihood in tau^2.

    ML: ``U = (||Py||^2 - sum w) / 2``, ``I = sum w^2 / 2``; REML: ``U = (||Py||^2 - tr P) / 2``,
    ``I = sum(P * P) / 2`` (Viechtbauer 2005), with ``w = 1 / (vi + tau2)``. Their ratio is the
    Fisher scoring step metafor takes.
    """
    w = 1.0 / (vi + tau2)
    if X.shape[1] == 1 and bool(np.all(X[:, 0] == X[0, 0])):
        return _score_information_intercept(method, w, y)
    P = Projection(X, w)
    Py = P.py(y)
    ss = float(Py @ Py)
    if method == "ML":
        return 0.5 * (ss - float(np.sum(w))), 0.5 * float(np.sum(w * w))
    return 0.5 * (ss - P.trace()), 0.5 * P.sum_sq(w, w)


def _score_information_intercept(method: str, w: FloatArray, y: FloatArray) -> tuple[float, float]:
    """:func:`score_information` without moderators, in closed form (a quarter of the time).

    ``1 - h_i`` is the other studies' share of the weight, summed without cancellation as in
    :class:`~evsynth.stats._linalg.Projection`, so one study with nearly all the weight is exact.
    """
    total = float(np.sum(w))
    r = y - float(np.sum(w * y)) / total
    ss = float(np.sum((w * r) ** 2))
    w2 = w * w
    if method == "ML":
        return 0.5 * (ss - total), 0.5 * float(np.sum(w2))
    others = _sum_of_others(w) / total
    trace = float(np.sum(w * others))
    sum_sq = float(np.sum(w2 * others**2)) + float(np.sum(w2 * _sum_of_others(w2))) / total**2
    return 0.5 * (ss - trace), 0.5 * sum_sq


def metafor_loglik(method: str, tau2: float, y: FloatArray, vi: FloatArray, X: FloatArray) -> float:
    """The log-likelihood metafor prints (REML with its constant ``1/2 log|X'X|``)."""
    ll = log_likelihood(tau2, y, vi, X, method == "REML")
    if method == "REML":
        ll += 0.5 * float(np.linalg.slogdet(X.T @ X)[1])
    return ll


def check_tau2(
    method: str, tau2: float, y: FloatArray, vi: FloatArray, X: FloatArray, yi: FloatArray
) -> Tau2Check | None:
    """Check ``tau2`` (estimated with ``method`` from centred ``y``) and find the optimum if it
    fails. None for estimators without a defining equation to check (closed forms) or without
    residual degrees of freedom."""
    k, p = X.shape
    if k <= p:
        return None
    if method in LIKELIHOOD_METHODS:
        u, info = score_information(method, tau2, y, vi, X)
        stat = abs(u) / math.sqrt(info) if info > 0 else 0.0
        if u < 0.0:
            # the step towards the optimum cannot pass 0: near the boundary the distance is at
            # most tau2 itself (a tau^2 of 1e-6 standard errors above a maximum at 0 is fine)
            stat = min(stat, tau2 * math.sqrt(info))
        best = math.nan
        if tau2 <= 0.0 and u <= 0.0:
            # 0 is a local maximum. The likelihood can still be higher inside (metafor then
            # never leaves 0, its first step pointing out of the parameter space); only when Q
            # says there is heterogeneity is it worth a search.
            stat = 0.0
            if q_statistic(0.0, y, vi, X) > k - p:
                best = maximise_likelihood(method, y, vi, X, yi, 0.0)
                if best > 0.0:
                    # how far the global maximum is, in its own standard errors of tau^2
                    stat = best * math.sqrt(score_information(method, best, y, vi, X)[1])
        check = Tau2Check(method, "score", tau2, stat, SCORE_TOL, math.nan)
        if check.ok:
            return check
        if math.isnan(best):
            best = maximise_likelihood(method, y, vi, X, yi, tau2)
        return Tau2Check(
            method,
            "score",
            tau2,
            stat,
            SCORE_TOL,
            metafor_loglik(method, tau2, y, vi, X),
            best,
            metafor_loglik(method, best, y, vi, X),
        )
    if method in Q_METHODS:
        target = float(k - p)
        q = q_statistic(tau2, y, vi, X)
        miss = abs(q - target) / target
        if tau2 <= 0.0 and q <= target:
            miss = 0.0  # Q(0) <= k - p: the boundary solution
        check = Tau2Check(method, "Q", tau2, miss, Q_RTOL, q, target=target)
        if check.ok:
            return check
        root = solve_q_equation(y, vi, X, yi)
        return Tau2Check(
            method, "Q", tau2, miss, Q_RTOL, q, root, q_statistic(root, y, vi, X), target
        )
    return None


def optimum_tau2(
    method: str, y: FloatArray, vi: FloatArray, X: FloatArray, yi: FloatArray, start: float
) -> float:
    """The exact optimum (ML/REML) or root (PM/EB) of ``method``'s defining equation."""
    if method in LIKELIHOOD_METHODS:
        return maximise_likelihood(method, y, vi, X, yi, start)
    return solve_q_equation(y, vi, X, yi)


def solve_q_equation(y: FloatArray, vi: FloatArray, X: FloatArray, yi: FloatArray) -> float:
    """The root of ``Q(tau2) = k - p`` to full precision, or 0 when ``Q(0) <= k - p``.

    Q decreases in tau^2, so the root is unique and Brent's method brackets it; the tolerance
    is relative to the sampling variances, so the answer does not depend on the data's units.
    """
    k, p = X.shape
    target = float(k - p)

    def excess(t: float) -> float:
        return q_statistic(t, y, vi, X) - target

    if excess(0.0) <= 0.0:
        return 0.0
    upper = tau2_max_default(yi)
    while excess(upper) > 0.0 and upper < 1e300:
        upper *= 10.0
    root, _ok = brent_root(excess, 0.0, upper, tol=1e-14 * float(np.min(vi)), maxiter=2000)
    return max(0.0, root)


def maximise_likelihood(
    method: str, y: FloatArray, vi: FloatArray, X: FloatArray, yi: FloatArray, start: float
) -> float:
    """The global maximum of the (restricted) log-likelihood in tau^2 >= 0.

    A logarithmic grid (8 points per decade, from 1e-6 of the smallest sampling variance to the
    larger of metafor's ``tau2.max`` and the total sum of squares of the outcomes, plus 0 and
    ``start``) locates the highest region; the maximum is then the root of the score there,
    found by Brent's method to full precision.
    """
    reml = method == "REML"
    lower = 1e-6 * float(np.min(vi))
    upper = max(tau2_max_default(yi), float(np.sum(y * y)), 10.0 * start)
    n = math.ceil(math.log10(upper / lower) * _GRID_PER_DECADE) + 1
    grid = np.unique(np.concatenate(([0.0], np.geomspace(lower, upper, n), [max(start, 0.0)])))
    ll = np.array([log_likelihood(float(t), y, vi, X, reml) for t in grid])
    i = int(np.argmax(ll))

    def score(t: float) -> float:
        return score_information(method, t, y, vi, X)[0]

    if i == 0:
        # best at tau^2 = 0: a maximum there unless the likelihood still rises from it
        if score(0.0) <= 0.0:
            return 0.0
        a, b = 0.0, float(grid[1])
    else:
        a = float(grid[i - 1])
        b = float(grid[min(i + 1, grid.size - 1)])
    sa, sb = score(a), score(b)
    if sa > 0.0 > sb:
        root, _ok = brent_root(score, a, b, tol=1e-14 * float(np.min(vi)), maxiter=2000)
        t = max(0.0, root)
    else:
        t = float(grid[i])  # no sign change (flat likelihood): the best grid point
    ll0 = log_likelihood(0.0, y, vi, X, reml)
    return 0.0 if ll0 >= log_likelihood(t, y, vi, X, reml) else t
