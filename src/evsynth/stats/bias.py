"""Small-study effects and publication bias: Egger's and Begg's tests, trim-and-fill, contours.

Each function takes a fitted model (:class:`~evsynth.stats.results.RMAResult`) and gives the
answer of metafor 3.8.1 (``regtest``, ``ranktest``, ``trimfill`` and the contours of
``funnel(..., level=c(90, 95, 99))``).

References
----------
Egger M, Davey Smith G, Schneider M, Minder C (1997). Bias in meta-analysis detected by a
simple, graphical test. BMJ 315:629-634. doi:10.1136/bmj.315.7109.629
Begg CB, Mazumdar M (1994). Operating characteristics of a rank correlation test for
publication bias. Biometrics 50:1088-1101. doi:10.2307/2533446
Duval S, Tweedie R (2000). Trim and fill: a simple funnel-plot-based method of testing and
adjusting for publication bias in meta-analysis. Biometrics 56:455-463.
doi:10.1111/j.0006-341X.2000.00455.x
Sterne JAC, Sutton AJ, Ioannidis JPA, et al. (2011). Recommendations for examining and
interpreting funnel plot asymmetry in meta-analyses of randomised controlled trials. BMJ
343:d4002. doi:10.1136/bmj.d4002 (the advice against these tests with fewer than 10 studies)
Peters JL, Sutton AJ, Jones DR, Abrams KR, Rushton L (2008). Contour-enhanced meta-analysis
funnel plots help distinguish publication bias from other causes of asymmetry. Journal of
Clinical Epidemiology 61:991-996. doi:10.1016/j.jclinepi.2007.11.010
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from evsynth.errors import InputError
from evsynth.stats.results import RMAResult

FloatArray = NDArray[np.float64]

#: Below this many studies the tests have too little power to be interpreted (Sterne 2011).
MIN_STUDIES_FOR_TESTS = 10

#: Largest k for the exact Kendall distribution (a few seconds; its cost grows as k^3). R's
#: exact computation, which metafor asks for at any k, needs hours beyond this; above it the
#: normal approximation is used; at k = 1000 its p-value differs from the exact one by about
#: 0.01 % near p = 0.05 and 2 % near p = 1e-4, and by less at larger k.
EXACT_KENDALL_MAX_N = 1000

_FIXED = frozenset({"FE", "EE", "CE"})
_NOT_INVERSE_VARIANCE = frozenset({"MH", "PETO"})


def low_power_warning(test: str, k: int) -> str:
    """The guardrail sentence for a funnel-asymmetry test run on fewer than 10 studies."""
    return (
        f"{test} with fewer than 10 studies (k = {k}): low power to detect small-study "
        "effects, so a non-significant result does not rule out publication bias; the test "
        "is not recommended below 10 studies (Sterne et al. 2011)."
    )


# ---------------------------------------------------------------------- Egger's test
@dataclass(frozen=True)
class RegtestResult:
    """Egger's regression test for funnel-plot asymmetry (metafor's ``regtest``).

    Attributes
    ----------
    model : str
        ``"rma"`` (the fitted model with the standard error as moderator, metafor's default)
        or ``"lm"`` (Egger's original weighted regression with a multiplicative dispersion).
    predictor : str
        ``"sei"`` (standard error) or ``"vi"`` (sampling variance).
    statistic : float
        z (or t) statistic of the predictor's coefficient: the test of asymmetry.
    p_value : float
        Its two-sided p-value.
    df : float
        Degrees of freedom of the t distribution (NaN for a z test).
    method, test : str
        Estimator and test of the model the test used.
    limit_estimate, limit_ci_lower, limit_ci_upper : float
        The intercept: the estimated effect of a study with standard error 0 (the "limit
        estimate"), with its confidence interval.
    k : int
        Number of studies.
    warnings : tuple of str
        The low-power warning when k < 10.
    fit : RMAResult or None
        The meta-regression behind the test (``model="rma"``).
    """

    model: str
    predictor: str
    statistic: float
    p_value: float
    df: float
    method: str
    test: str
    limit_estimate: float
    limit_ci_lower: float
    limit_ci_upper: float
    k: int
    warnings: tuple[str, ...] = ()
    fit: RMAResult | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (NaN as None)."""
        return {
            "model": self.model,
            "predictor": self.predictor,
            "statistic": _clean(self.statistic),
            "p_value": _clean(self.p_value),
            "df": _clean(self.df),
            "method": self.method,
            "test": self.test,
            "limit_estimate": _clean(self.limit_estimate),
            "limit_ci_lower": _clean(self.limit_ci_lower),
            "limit_ci_upper": _clean(self.limit_ci_upper),
            "k": self.k,
            "warnings": list(self.warnings),
        }

    def summary(self) -> str:
        """One paragraph as metafor prints it, with the warning when there is one."""
        stat = "t" if math.isfinite(self.df) else "z"
        df = f" (df = {self.df:g})" if math.isfinite(self.df) else ""
        model = (
            "weighted regression with multiplicative dispersion"
            if self.model == "lm"
            else f"{'fixed-effects' if self.method in _FIXED else 'mixed-effects'} "
            "meta-regression model"
        )
        lines = [
            "Regression Test for Funnel Plot Asymmetry",
            f"Model:     {model}",
            f"Predictor: {'standard error' if self.predictor == 'sei' else 'sampling variance'}",
            f"Test for funnel plot asymmetry: {stat} = {self.statistic:.4f}{df}, "
            f"p = {_fmt_p(self.p_value)}",
        ]
        if math.isfinite(self.limit_estimate):
            lines.append(
                f"Limit estimate (as sei -> 0): b = {self.limit_estimate:.4f} "
                f"(CI: {self.limit_ci_lower:.4f}, {self.limit_ci_upper:.4f})"
            )
        lines.extend(f"Warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def regtest(res: RMAResult, *, model: str = "rma", predictor: str = "sei") -> RegtestResult:
    """Egger's regression test: is the effect associated with the study's precision?

    With ``model="rma"`` (metafor's default) the fitted model is refitted with the standard
    error (or the variance) as a moderator, with the same estimator, test and level; the test
    of that coefficient is the test of asymmetry. ``model="lm"`` is Egger's original weighted
    least-squares regression (weights 1/vi, residual variance estimated, t test with k - 2 df).

    Parameters
    ----------
    res : RMAResult
        A fitted inverse-variance model (``rma``), with or without moderators.
    model : {"rma", "lm"}
    predictor : {"sei", "vi"}

    Returns
    -------
    RegtestResult

    References
    ----------
    Egger M, et al. (1997). BMJ 315:629-634. Sterne JAC, Egger M (2005). Regression methods to
    detect publication and other bias in meta-analysis. In: Rothstein HR, et al. (eds),
    Publication bias in meta-analysis, Wiley, 99-110.
    """
    if model not in {"rma", "lm"}:
        raise InputError(f"Invalid model '{model}'; expected one of rma, lm", column="model")
    if predictor not in {"sei", "vi"}:
        raise InputError(
            f"Invalid predictor '{predictor}'; expected one of sei, vi", column="predictor"
        )
    yi = np.asarray(res.yi, dtype=np.float64)
    vi = np.asarray(res.vi, dtype=np.float64)
    k = int(yi.size)
    x = np.sqrt(vi) if predictor == "sei" else vi
    X = _design(res, k)
    p = X.shape[1]
    if k < p + 2:
        raise InputError(f"Egger's test needs at least {p + 2} studies; there are {k}")
    if float(np.ptp(x)) == 0.0:
        raise InputError(
            "Egger's test needs studies of differing precision: all standard errors are equal"
        )
    XX = np.column_stack([X, x])
    method = _inverse_variance_method(res)
    warnings = (
        (low_power_warning("Egger's regression test", k),) if k < MIN_STUDIES_FOR_TESTS else ()
    )
    intercept_only = p == 1
    if model == "rma":
        from evsynth.stats.models import rma

        mods = XX[:, 1:]
        try:
            fit = rma(yi, vi, method=method, test=res.test, level=res.level, mods=mods)
        except InputError as exc:
            raise InputError(f"Egger's test cannot be fitted: {exc.message}") from None
        stat = float(fit.coef_statistic[p])
        pval = float(fit.coef_p[p])
        df = float(fit.df) if res.test == "knha" else math.nan
        est, lo, hi = (
            (float(fit.coefficients[0]), float(fit.coef_ci_lower[0]), float(fit.coef_ci_upper[0]))
            if intercept_only
            else (math.nan, math.nan, math.nan)
        )
        return RegtestResult(
            "rma", predictor, stat, pval, df, method, res.test, est, lo, hi, k, warnings, fit
        )
    beta, se, df_lm = _weighted_lm(XX, yi, 1.0 / vi)
    from scipy import stats

    # an exact fit has se = 0: the statistic is undefined (NaN)
    stat = float(beta[p] / se[p]) if se[p] > 0 else math.nan
    pval = float(2.0 * stats.t.sf(abs(stat), df_lm))
    if intercept_only:
        crit = float(stats.t.isf((1.0 - res.level / 100.0) / 2.0, df_lm))
        est = float(beta[0])
        lo, hi = est - crit * float(se[0]), est + crit * float(se[0])
    else:
        est = lo = hi = math.nan
    return RegtestResult(
        "lm", predictor, stat, pval, float(df_lm), method, "t", est, lo, hi, k, warnings
    )


def _design(res: RMAResult, k: int) -> FloatArray:
    X = np.asarray(res.X, dtype=np.float64)
    if X.shape != (k, X.shape[1]) or X.shape[1] == 0:
        X = np.ones((k, 1))
    if not np.allclose(X[:, 0], 1.0):
        raise InputError("Egger's test needs a model with an intercept")
    return X


def _inverse_variance_method(res: RMAResult) -> str:
    # metafor refits MH and Peto models by inverse variance with the same (fixed) model.
    return "FE" if res.method in _NOT_INVERSE_VARIANCE else res.method


def _weighted_lm(X: FloatArray, y: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray, int]:
    """Weighted least squares with the residual variance estimated, as R's ``lm(weights=)``."""
    sw = np.sqrt(w)
    q, r = np.linalg.qr(sw[:, None] * X)
    beta = np.linalg.solve(r, q.T @ (sw * y))
    resid = sw * (y - X @ beta)
    df = X.shape[0] - X.shape[1]
    rss = float(resid @ resid)
    # An exact fit leaves only rounding noise in the residuals, which would make the statistic
    # noise / noise (R's summary.lm warns "essentially perfect fit"); take it as 0: t is NaN.
    exact_fit = rss <= 1e-24 * max(float(np.sum(w * y**2)), 1e-300)
    sigma2 = 0.0 if exact_fit else rss / df
    r_inv = np.linalg.solve(r, np.eye(r.shape[0]))
    se = np.sqrt(sigma2 * np.sum(r_inv**2, axis=1))
    return beta, se, df


# ---------------------------------------------------------------------- Begg's test
class RankTestResult(NamedTuple):
    """Begg and Mazumdar's rank correlation test (metafor's ``ranktest``).

    ``tau`` is Kendall's tau (tau-b) between the standardised effects and their variances;
    ``p_value`` is exact when there are no ties and k <= 1000 (metafor asks R's ``cor.test``
    for the exact distribution at any k), else from the normal approximation with the ties
    correction.
    """

    tau: float
    p_value: float
    k: int
    exact: bool
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "tau": _clean(self.tau),
            "p_value": _clean(self.p_value),
            "k": self.k,
            "exact": self.exact,
            "warnings": list(self.warnings),
        }

    def summary(self) -> str:
        """One paragraph as metafor prints it."""
        lines = [
            "Rank Correlation Test for Funnel Plot Asymmetry",
            f"Kendall's tau = {self.tau:.4f}, p = {_fmt_p(self.p_value)}"
            f" ({'exact' if self.exact else 'normal approximation'})",
        ]
        lines.extend(f"Warning: {w}" for w in self.warnings)
        return "\n".join(lines)


def ranktest(res: RMAResult) -> RankTestResult:
    """Begg's rank correlation between standardised effects and sampling variances.

    The effects are centred at the fixed-effect (inverse-variance) mean whatever the model, and
    standardised by ``sqrt(vi - 1 / sum(1/vi))``, as metafor does.

    Parameters
    ----------
    res : RMAResult
        A fitted model; only its ``yi`` and ``vi`` are used.

    Returns
    -------
    RankTestResult

    References
    ----------
    Begg CB, Mazumdar M (1994). Biometrics 50:1088-1101.
    """
    yi = np.asarray(res.yi, dtype=np.float64)
    vi = np.asarray(res.vi, dtype=np.float64)
    k = int(yi.size)
    if k < 3:
        raise InputError(f"Begg's rank test needs at least 3 studies; there are {k}")
    wi = 1.0 / vi
    theta = float(np.sum(wi * yi) / np.sum(wi))
    vb = 1.0 / float(np.sum(wi))
    # Values equal in exact arithmetic must tie whatever the order of the studies, or the ranks
    # would depend on rounding noise in theta: centred values at the noise level are 0, and the
    # standardised ones are rounded to 12 significant digits.
    centred = yi - theta
    centred[np.abs(centred) <= 1e-12 * float(np.max(np.abs(yi)))] = 0.0
    ystar = _significant(centred / np.sqrt(vi - vb), 12)
    tau, pval, exact = kendall_test(ystar, vi)
    warnings: tuple[str, ...] = ()
    if k < MIN_STUDIES_FOR_TESTS:
        warnings += (low_power_warning("Begg's rank correlation test", k),)
    if math.isnan(tau):
        warnings += (
            "Begg's test is undefined here: the standardised effects or the variances are all "
            "equal, so there is no ranking to correlate.",
        )
    return RankTestResult(tau, pval, k, exact, warnings)


def kendall_test(x: ArrayLike, y: ArrayLike) -> tuple[float, float, bool]:
    """Kendall's tau-b with the two-sided p-value of R's ``cor.test(..., exact=TRUE)``.

    Exact (from the distribution of the number of concordant pairs) when neither variable has
    ties and n <= ``EXACT_KENDALL_MAX_N``; otherwise the normal approximation with the
    ties-corrected variance of S and no continuity correction.

    Returns
    -------
    tau, p_value, exact
    """
    from scipy import stats

    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    n = int(xa.size)
    n0 = n * (n - 1) / 2.0
    tx = _tie_counts(xa)
    ty = _tie_counts(ya)
    t1 = float(np.sum(tx * (tx - 1)) / 2.0)
    t2 = float(np.sum(ty * (ty - 1)) / 2.0)
    denom = math.sqrt((n0 - t1) * (n0 - t2))
    # tau-b from scipy's O(n log n) pair counting (R's cor(method = "kendall") is tau-b too)
    tau = float(stats.kendalltau(xa, ya).statistic) if denom > 0 else math.nan
    ties = tx.size > 0 or ty.size > 0
    if not denom > 0:
        # one variable is constant: tau is undefined (R's cor.test gives NA, with a warning)
        return math.nan, math.nan, False
    if not ties and n <= EXACT_KENDALL_MAX_N:
        # Number of concordant pairs, as cor.test: q = round((r + 1) n (n - 1) / 4).
        q = round((tau + 1.0) * n * (n - 1) / 4.0)
        total = n * (n - 1) // 2
        # P(T <= q) in the lower tail, by the symmetry of T about total / 2 in the upper one.
        tail = q if 2 * q <= total else total - q
        cdf = _kendall_lower_cdf(n, tail)
        return tau, min(1.0, 2.0 * cdf), True
    v0 = n * (n - 1) * (2 * n + 5)
    vt = float(np.sum(tx * (tx - 1) * (2 * tx + 5)))
    vu = float(np.sum(ty * (ty - 1) * (2 * ty + 5)))
    v1 = float(np.sum(tx * (tx - 1))) * float(np.sum(ty * (ty - 1)))
    v2 = float(np.sum(tx * (tx - 1) * (tx - 2))) * float(np.sum(ty * (ty - 1) * (ty - 2)))
    var_s = (v0 - vt - vu) / 18.0 + v1 / (2.0 * n * (n - 1)) + v2 / (9.0 * n * (n - 1) * (n - 2))
    stat = tau * denom / math.sqrt(var_s)  # S / sd(S)
    pval = float(2.0 * min(stats.norm.cdf(stat), stats.norm.sf(stat)))
    return tau, pval, False


def _significant(a: FloatArray, digits: int) -> FloatArray:
    """``a`` rounded to ``digits`` significant digits (zeros stay zero)."""
    out = np.zeros_like(a)
    nz = a != 0
    scale = 10.0 ** (digits - 1 - np.floor(np.log10(np.abs(a[nz]))))
    out[nz] = np.round(a[nz] * scale) / scale
    return out


def _tie_counts(a: FloatArray) -> FloatArray:
    """Sizes of the groups of tied values (groups of size 1 left out)."""
    _vals, counts = np.unique(a, return_counts=True)
    return counts[counts > 1].astype(np.float64)


def _kendall_lower_cdf(n: int, q: int) -> float:
    """P(T <= q) for the number of concordant pairs T among n untied pairs.

    T has the Mahonian distribution (inversions of a random permutation): the product of the
    uniform distributions on {0, ..., i - 1} for i = 1..n. Only the lower tail up to ``q`` is
    needed, so the recursion keeps q + 1 probabilities; each step is a moving sum of width i
    over non-decreasing values, which keeps the small tail probabilities accurate.
    """
    if q < 0:
        return 0.0
    f = np.zeros(q + 1)
    f[0] = 1.0
    for i in range(2, n + 1):
        c = np.concatenate(([0.0], np.cumsum(f)))
        # new f[j] = f[j] + ... + f[j - i + 1] = c[j + 1] - c[j + 1 - i]
        lagged = np.concatenate((np.zeros(min(i - 1, q + 1)), c[: max(0, q + 2 - i)]))
        f = (c[1:] - lagged) / i
    return float(min(1.0, np.sum(f)))


# ---------------------------------------------------------------------- trim and fill
@dataclass(frozen=True)
class TrimFillResult:
    """Trim-and-fill: the estimated number of missing studies and the model with them filled in.

    Attributes
    ----------
    k0 : int
        Estimated number of missing studies.
    se_k0 : float
        Its standard error (metafor's formula for the estimator).
    p_k0 : float
        For R0, the p-value of the test that no studies are missing; NaN for L0.
    side : str
        The side on which studies were filled (``"left"`` or ``"right"``).
    estimator : str
        ``"L0"`` or ``"R0"``.
    fit : RMAResult
        The model refitted to the observed and the filled studies (the original model when
        k0 = 0).
    filled : ndarray of bool
        For each row of ``fit.yi``: True for a filled (imputed) study.
    original : RMAResult
        The model the method started from.
    warnings : tuple of str
    """

    k0: int
    se_k0: float
    p_k0: float
    side: str
    estimator: str
    fit: RMAResult = field(repr=False)
    filled: NDArray[np.bool_] = field(repr=False)
    original: RMAResult = field(repr=False)
    warnings: tuple[str, ...] = ()

    @property
    def yi(self) -> FloatArray:
        """Outcomes of the observed and the filled studies."""
        return np.asarray(self.fit.yi, dtype=np.float64)

    @property
    def vi(self) -> FloatArray:
        """Sampling variances of the observed and the filled studies."""
        return np.asarray(self.fit.vi, dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields, with the adjusted model's estimate."""
        return {
            "k0": self.k0,
            "se_k0": _clean(self.se_k0),
            "p_k0": _clean(self.p_k0),
            "side": self.side,
            "estimator": self.estimator,
            "estimate": _clean(self.fit.estimate),
            "se": _clean(self.fit.se),
            "ci_lower": _clean(self.fit.ci_lower),
            "ci_upper": _clean(self.fit.ci_upper),
            "p_value": _clean(self.fit.p_value),
            "tau2": _clean(self.fit.tau2),
            "filled": [
                {"yi": _clean(y), "vi": _clean(v)}
                for y, v, f in zip(self.yi, self.vi, self.filled, strict=True)
                if f
            ],
            "warnings": list(self.warnings),
        }

    def to_frame(self) -> Any:
        """The observed and filled studies: study, yi, vi, filled."""
        import pandas as pd

        return pd.DataFrame(
            {
                "study": list(self.fit.slab),
                "yi": self.yi,
                "vi": self.vi,
                "filled": self.filled,
            }
        )

    def summary(self) -> str:
        """The estimated number of missing studies and the adjusted estimate."""
        se = f" (SE = {self.se_k0:.4f})" if math.isfinite(self.se_k0) else ""
        lines = [
            f"Estimated number of missing studies on the {self.side} side: {self.k0}{se}"
            f" (estimator {self.estimator})",
        ]
        if math.isfinite(self.p_k0):
            lines.append(f"Test of H0: no missing studies: p = {_fmt_p(self.p_k0)}")
        f = self.fit
        lines.append(
            f"Adjusted estimate ({f.method}, k = {f.k}): {f.estimate:.4f} "
            f"[{f.ci_lower:.4f}, {f.ci_upper:.4f}], p = {_fmt_p(f.p_value)}; "
            f"unadjusted {self.original.estimate:.4f}"
        )
        lines.extend(f"Warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def trimfill(
    res: RMAResult,
    *,
    side: str | None = None,
    estimator: str = "L0",
    maxiter: int = 100,
) -> TrimFillResult:
    """Duval and Tweedie's trim-and-fill, as metafor's ``trimfill``.

    The side of the missing studies is, unless given, the side opposite to the one Egger's
    regression (with the model's estimator) points to. The studies are then iteratively trimmed
    from the other side, the pooled effect re-estimated with the model's estimator, and the
    number of missing studies estimated from the signed ranks of the centred effects; finally
    the mirror images of the trimmed studies are added and the model refitted (with the
    model's estimator, test and level; metafor refits with a z test at 95 %).

    Parameters
    ----------
    res : RMAResult
        A fitted inverse-variance model without moderators.
    side : {"left", "right"}, optional
        Side on which studies are missing; estimated when not given.
    estimator : {"L0", "R0"}
    maxiter : int
        Maximum number of iterations.

    Returns
    -------
    TrimFillResult

    References
    ----------
    Duval S, Tweedie R (2000). Biometrics 56:455-463. Duval S, Tweedie R (2000). A
    nonparametric "trim and fill" method of accounting for publication bias in meta-analysis.
    Journal of the American Statistical Association 95:89-98.
    """
    from evsynth.stats.models import rma

    est_name = str(estimator).upper()
    if est_name not in {"L0", "R0"}:
        raise InputError(
            f"Invalid estimator '{estimator}'; expected one of L0, R0", column="estimator"
        )
    if res.method in _NOT_INVERSE_VARIANCE:
        raise InputError("Trim-and-fill needs an inverse-variance model (rma), not MH or Peto")
    if res.p != 1:
        raise InputError("Trim-and-fill applies only to models without moderators")
    yi0 = np.asarray(res.yi, dtype=np.float64)
    vi0 = np.asarray(res.vi, dtype=np.float64)
    k = int(yi0.size)
    if k < 2:
        raise InputError("Trim-and-fill needs at least 2 studies")
    method = res.method
    if float(np.ptp(yi0)) <= 1e-12 * max(1.0, float(np.max(np.abs(yi0)))):
        # Identical effects cannot be asymmetric; metafor's iteration would chase rounding noise
        # in the centred values and stop with "did not converge".
        return TrimFillResult(
            k0=0,
            se_k0=math.nan,
            p_k0=0.5 if est_name == "R0" else math.nan,
            side=side if side in {"left", "right"} else "left",
            estimator=est_name,
            fit=res,
            filled=_readonly_bools(k),
            original=res,
            warnings=("All studies have the same effect: there is no asymmetry to fill.",),
        )

    if side is None:
        if k < 3:
            raise InputError(
                f"Trim-and-fill cannot estimate the side of the missing studies from {k} "
                "studies; give side='left' or side='right'"
            )
        try:
            egger = rma(yi0, vi0, method=method, mods=np.sqrt(vi0))
        except InputError as exc:
            raise InputError(
                f"Trim-and-fill cannot estimate the side of the missing studies ({exc.message}); "
                "give side='left' or side='right'"
            ) from None
        side = "right" if float(egger.coefficients[1]) < 0 else "left"
    elif side not in {"left", "right"}:
        raise InputError(f"Invalid side '{side}'; expected one of left, right", column="side")

    flip = -1.0 if side == "right" else 1.0
    order = np.argsort(flip * yi0, kind="stable")
    yi = flip * yi0[order]
    vi = vi0[order]

    k0, k0_prev, it = 0, -1, 0
    beta = math.nan
    se_k0 = math.nan
    while k0 != k0_prev:
        k0_prev = k0
        it += 1
        if it > maxiter:
            raise InputError(
                f"Trim-and-fill did not converge in {maxiter} iterations (the estimated number "
                "of missing studies keeps changing)"
            )
        trimmed = rma(yi[: k - k0], vi[: k - k0], method=method)
        beta = float(trimmed.estimate)
        yc = yi - beta
        ranks = np.empty(k)
        ranks[np.argsort(np.abs(yc), kind="stable")] = np.arange(1, k + 1)
        signed = np.sign(yc) * ranks
        if est_name == "R0":
            negative = -signed[signed < 0]
            k0_raw = (k - (float(negative.max()) if negative.size else 0.0)) - 1.0
            se_k0 = math.sqrt(2.0 * max(0.0, k0_raw) + 2.0)
        else:
            sr = float(np.sum(signed[signed > 0]))
            k0_raw = (4.0 * sr - k * (k + 1)) / (2.0 * k - 1.0)
            var_sr = (
                k * (k + 1) * (2 * k + 1)
                + 10 * k0_raw**3
                + 27 * k0_raw**2
                + 17 * k0_raw
                - 18 * k * k0_raw**2
                - 18 * k * k0_raw
                + 6 * k**2 * k0_raw
            ) / 24.0
            se_k0 = 4.0 * math.sqrt(var_sr) / (2.0 * k - 1.0) if var_sr >= 0 else math.nan
        # round() is round-half-even, as R's round.
        k0 = max(0, round(k0_raw))
        se_k0 = max(0.0, se_k0) if math.isfinite(se_k0) else se_k0

    p_k0 = 0.5 ** (k0 + 1) if est_name == "R0" else math.nan
    warnings: tuple[str, ...] = ()
    if k0 == 0:
        fit = res
        filled = np.zeros(k, dtype=bool)
    else:
        # Mirror images of the k0 most extreme studies about the trimmed estimate.
        mirrored = flip * (2.0 * beta - yi[k - k0 :])
        yi_fill = np.concatenate((yi0, mirrored))
        vi_fill = np.concatenate((vi0, vi[k - k0 :]))
        labels = (*res.slab, *(f"Filled {i + 1}" for i in range(k0)))
        fit = rma(
            yi_fill,
            vi_fill,
            method=method,
            test=res.test,
            level=res.level,
            slab=labels,
            measure=res.measure,
        )
        filled = np.concatenate((np.zeros(k, dtype=bool), np.ones(k0, dtype=bool)))
        warnings = (
            "Trim-and-fill imputes mirror-image studies under the assumption that funnel-plot "
            "asymmetry is caused by publication bias; the adjusted estimate is a sensitivity "
            "analysis, not a corrected result.",
        )
    filled.setflags(write=False)
    return TrimFillResult(
        k0=int(k0),
        se_k0=float(se_k0),
        p_k0=float(p_k0),
        side=side,
        estimator=est_name,
        fit=fit,
        filled=filled,
        original=res,
        warnings=warnings,
    )


def _readonly_bools(k: int) -> NDArray[np.bool_]:
    out = np.zeros(k, dtype=bool)
    out.setflags(write=False)
    return out


# ---------------------------------------------------------------------- funnel contours
def funnel_contours(
    sei: ArrayLike,
    levels: tuple[float, ...] = (90.0, 95.0, 99.0),
    center: float = 0.0,
) -> dict[float, tuple[FloatArray, FloatArray]]:
    """Bounds of the contours of statistical significance in a contour-enhanced funnel plot.

    A study with standard error ``se`` whose effect lies outside ``center -/+ z * se`` is
    significant at the two-sided level ``1 - level/100`` (``z`` the normal quantile), against
    the null value ``center`` (0 for differences and log ratios).

    Parameters
    ----------
    sei : array_like
        Standard errors at which to evaluate the bounds.
    levels : tuple of float
        Confidence levels in percent (metafor's ``funnel(level=c(90, 95, 99))``).
    center : float
        The null value on the analysis scale.

    Returns
    -------
    dict
        ``level -> (lower, upper)`` arrays.

    References
    ----------
    Peters JL, et al. (2008). J Clin Epidemiol 61:991-996.
    """
    from statistics import NormalDist

    se = np.asarray(sei, dtype=np.float64)
    out: dict[float, tuple[FloatArray, FloatArray]] = {}
    for level in levels:
        lv = float(level)
        if not 0.0 < lv < 100.0:
            raise InputError(f"Invalid contour level {level}; expected a percentage in (0, 100)")
        z = NormalDist().inv_cdf(1.0 - (1.0 - lv / 100.0) / 2.0)
        out[lv] = (center - z * se, center + z * se)
    return out


# ---------------------------------------------------------------------- helpers
def _clean(x: float) -> float | None:
    v = float(x)
    return v if math.isfinite(v) else None


def _fmt_p(p: float) -> str:
    if math.isnan(p):
        return "NA"
    return "<.0001" if p < 1e-4 else f"{p:.4f}"
