"""Pooling models: metafor's ``rma`` (inverse-variance fixed and random effects, meta-regression).

``rma(yi, vi, method="REML")`` fits the same model as metafor 3.8's ``rma.uni`` and returns an
:class:`~evsynth.stats.results.RMAResult`. Mantel-Haenszel and Peto models live in
:mod:`evsynth.stats.binary` and are re-exported here.

References
----------
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. Journal of
Statistical Software 36(3):1-48. doi:10.18637/jss.v036.i03
Knapp G, Hartung J (2003). Improved tests for a random effects meta-regression with a single
covariate. Statistics in Medicine 22:2693-2710. doi:10.1002/sim.1482
Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis. Statistics in
Medicine 21:1539-1558. doi:10.1002/sim.1186
Viechtbauer W (2007). Confidence intervals for the amount of heterogeneity in meta-analysis.
Statistics in Medicine 26:37-52. doi:10.1002/sim.2514 (Q-profile)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
from numpy.typing import ArrayLike

from evsynth.errors import InputError
from evsynth.stats import _dist
from evsynth.stats._checks import (
    as_vector,
    check_design,
    check_level,
    check_method,
    check_test,
    outcomes_and_variances,
    study_labels,
)
from evsynth.stats._design import design_matrix
from evsynth.stats._guardrails import guardrail_warnings
from evsynth.stats._linalg import FloatArray, Projection, wls
from evsynth.stats._qprofile import q_profile_intervals
from evsynth.stats._tau2_optimum import CHECKED_METHODS, check_tau2, optimum_tau2
from evsynth.stats.results import FitStatistics, Interval, RMAResult
from evsynth.stats.tau2 import FIXED_METHODS, estimate_tau2, tau2_standard_error

EPS = 2.220446049250313e-16


# ---------------------------------------------------------------------- the model
def rma(
    yi: ArrayLike,
    vi: ArrayLike | None = None,
    *,
    sei: ArrayLike | None = None,
    method: str = "REML",
    test: str = "z",
    level: float = 95.0,
    mods: Any = None,
    slab: Sequence[Any] | None = None,
    measure: str = "GEN",
    ni: ArrayLike | None = None,
    control: Mapping[str, Any] | None = None,
) -> RMAResult:
    """Fit a fixed- or random-effects model, with optional moderators (metafor's ``rma.uni``).

    Parameters
    ----------
    yi : array_like or EffectSizes
        Observed outcomes (on the analysis scale, e.g. log risk ratios), or the result of
        :func:`evsynth.stats.escalc.escalc`, whose ``vi``, ``measure``, ``slab`` and ``ni`` are
        then used unless given here. Studies that escalc could not compute (``NaN``, e.g.
        tables without events in either group with ``drop00=True``) are then left out with a
        warning, as metafor does; in plain arrays a missing value is an error.
    vi : array_like, optional
        Sampling variances (positive). Give ``vi`` or ``sei``.
    sei : array_like, optional
        Standard errors, used when ``vi`` is not given.
    method : str
        ``FE`` (also ``EE``/``CE``), or a tau^2 estimator: DL, HE, HS, SJ, ML, REML, EB, PM.
    test : str
        ``z`` (normal) or ``knha`` (Knapp-Hartung: t with k-p df, F for the omnibus test).
    level : float
        Confidence level in percent.
    mods : array_like, dict or DataFrame, optional
        Moderators; an intercept is added. Text or categorical columns are dummy coded with the
        first level (sorted) as reference, as R's ``model.matrix``.
    slab : sequence, optional
        Study labels.
    measure : str
        The effect measure code, for labels and back-transformation.
    ni : array_like, optional
        Sample sizes; needed only to back-transform PFT (Freeman-Tukey) results.
    control : dict, optional
        ``{"strict_optimum": True}`` reports the exact maximum of the (restricted) likelihood
        (ML, REML) or root of the estimating equation (PM, EB) instead of where metafor's
        absolute stopping rules stop. By default evsynth gives metafor's number and warns when
        it misses the optimum (see :mod:`evsynth.stats._tau2_optimum`).

    Returns
    -------
    RMAResult
    """
    method = check_method(method)
    test = check_test(test)
    level = check_level(level)
    strict = _strict_optimum(control)
    omitted: list[str] = []
    if hasattr(yi, "yi") and hasattr(yi, "vi") and hasattr(yi, "measure"):
        es = yi
        measure = str(es.measure) if measure == "GEN" else measure
        yi, vi = np.asarray(es.yi, dtype=np.float64), np.asarray(es.vi, dtype=np.float64)
        slab = slab if slab is not None else getattr(es, "slab", None)
        ni = ni if ni is not None else getattr(es, "ni", None)
        keep = np.isfinite(yi) & np.isfinite(vi)
        if not np.all(keep):
            labels_all = study_labels(slab, yi.size)
            omitted = [labels_all[i] for i in np.flatnonzero(~keep)]
            yi, vi = yi[keep], vi[keep]
            slab = [labels_all[i] for i in np.flatnonzero(keep)]
            ni = None if ni is None else np.asarray(ni, dtype=np.float64)[keep]
            mods = _subset_rows(mods, keep)
    y, v = outcomes_and_variances(yi, vi, sei)
    k = y.size
    labels = study_labels(slab, k)
    X, names = design_matrix(mods, k)
    try:
        res = fit(
            y,
            v,
            X,
            names,
            method=method,
            test=test,
            level=level,
            slab=labels,
            measure=measure,
            strict_optimum=strict,
        )
    except InputError:
        raise
    except (ArithmeticError, ValueError, np.linalg.LinAlgError) as exc:
        # Only numerically degenerate data get here (e.g. variances 1e17 apart): say so
        # plainly instead of a traceback.
        ratio = float(np.max(v) / np.min(v))
        why = (
            f"the sampling variances range over a factor of {ratio:.3g}, beyond what double "
            "precision can pool stably"
            if ratio > 1e12
            else "the data are numerically degenerate for this model"
        )
        raise InputError(f"The model could not be fitted ({exc}); {why}") from exc
    if ni is not None:
        n = as_vector(ni, "ni")
        if n.shape != y.shape:
            raise InputError(f"'ni' has {n.size} values for {k} studies", column="ni")
        res = replace(res, ni=n)
    if omitted:
        note = (
            f"{len(omitted)} stud{'y' if len(omitted) == 1 else 'ies'} without an estimable "
            f"effect size ({', '.join(omitted)}) left out of the model, as metafor does."
        )
        res = replace(res, warnings=(note, *res.warnings))
    return res


CONTROL_OPTIONS = ("strict_optimum",)


def _strict_optimum(control: Mapping[str, Any] | None) -> bool:
    """The ``strict_optimum`` setting of ``control``, checked (False when not given)."""
    if control is None:
        return False
    if not isinstance(control, Mapping):
        raise InputError(
            f"Invalid control {control!r}; expected a dict such as {{'strict_optimum': True}}",
            column="control",
        )
    for key in control:
        if key not in CONTROL_OPTIONS:
            raise InputError(
                f"Invalid control option {key!r}; expected one of {', '.join(CONTROL_OPTIONS)}",
                column="control",
            )
    value = control.get("strict_optimum", False)
    if not isinstance(value, (bool, np.bool_)):
        raise InputError(
            f"Invalid control strict_optimum={value!r}; expected True or False", column="control"
        )
    return bool(value)


def _subset_rows(mods: Any, keep: Any) -> Any:
    """The moderator rows of the studies kept (mods may be an array, dict or DataFrame)."""
    if mods is None:
        return None
    import pandas as pd

    if isinstance(mods, dict):
        return pd.DataFrame(mods).loc[keep].reset_index(drop=True)
    if isinstance(mods, pd.DataFrame):
        return mods.loc[keep].reset_index(drop=True)
    return np.asarray(mods)[keep]


def fit(
    y: FloatArray,
    v: FloatArray,
    X: FloatArray,
    names: tuple[str, ...],
    *,
    method: str,
    test: str,
    level: float,
    slab: tuple[str, ...],
    measure: str,
    guardrails: bool = True,
    heterogeneity_ci: bool = True,
    strict_optimum: bool = False,
) -> RMAResult:
    """Fit with checked arguments (the engine behind :func:`rma`).

    ``guardrails=False`` skips the warnings (and the check of an iterative tau^2 against its
    defining equation) and ``heterogeneity_ci=False`` the Q-profile intervals, for the many
    refits of diagnostics and resampling. ``strict_optimum=True`` replaces metafor's ML, REML,
    EB or PM estimate by the exact optimum or root.
    """
    k, p = X.shape
    fixed = method in FIXED_METHODS
    check_design(X, method)
    notes: list[str] = []
    if k == 1 and test == "knha":
        # no residual degrees of freedom: metafor falls back to the z test, and so do we
        test = "z"
        notes.append("With one study the Knapp-Hartung adjustment is undefined; a z test was used.")
    est = estimate_tau2(method, y, v, X)
    notes.extend(est.notes)
    tau2_check = None
    if (guardrails or strict_optimum) and method in CHECKED_METHODS and k > p:
        # centred as the estimators see them (changes nothing with an intercept)
        yc0 = y - y.mean()
        try:
            tau2_check = check_tau2(method, est.tau2, yc0, v, X, y)
        except (ArithmeticError, ValueError, np.linalg.LinAlgError):
            # a check that cannot be computed (numerically degenerate data) must not turn a
            # fit metafor completes into an error; the variance-ratio warning covers such data
            if strict_optimum:
                raise
            tau2_check = None
        if strict_optimum:
            failed = tau2_check is not None and not tau2_check.ok
            exact = (
                tau2_check.optimum_tau2
                if tau2_check is not None and failed
                else optimum_tau2(method, yc0, v, X, y, est.tau2)
            )
            if failed:
                notes.append(
                    f"tau^2 = {exact:.4g} is the exact "
                    f"{'maximum' if method in ('ML', 'REML') else 'root'} of the {method} "
                    f"criterion (control strict_optimum); metafor's stopping rule gives "
                    f"{est.tau2:.4g} here."
                )
            est = replace(
                est,
                tau2=exact,
                se=tau2_standard_error(method, exact, v, X),
                converged=True,
            )
    tau2 = est.tau2
    w = 1.0 / (v + tau2)
    beta, vb = wls(X, y, w)
    s2w = 1.0
    df = math.nan
    if test == "knha":
        rss = float(np.sum(w * (y - X @ beta) ** 2))
        # metafor sets the scale to 0 (not to the residual) when the fit is exact
        s2w = 0.0 if rss <= EPS or k == p else rss / (k - p)
        df = float(k - p)
    vb = s2w * vb
    se = np.sqrt(np.diag(vb))
    with np.errstate(divide="ignore", invalid="ignore"):
        zval = beta / se
    alpha = 1.0 - level / 100.0
    if test == "knha":
        if df > 0:
            pval = 2.0 * _dist.t_sf(np.abs(zval), df)
            crit = float(_dist.t_isf(alpha / 2.0, df))
        else:
            pval = np.full(p, math.nan)
            crit = math.nan
    else:
        pval = 2.0 * _dist.norm_sf(np.abs(zval))
        crit = float(_dist.norm_isf(alpha / 2.0))
    ci_lb = beta - crit * se
    ci_ub = beta + crit * se

    # omnibus test of the moderators (all but the intercept), or of the intercept alone
    has_intercept = names[0] == "intrcpt"
    btt = list(range(1, p)) if (p > 1 and has_intercept) else list(range(p))
    QM, QM_df, QM_p = _omnibus(beta, vb, btt, test, df)

    # heterogeneity with the fixed-effect weights, as metafor
    yc = y - y.mean()
    if k > p:
        wf = 1.0 / v
        P = Projection(X, wf)
        Q = max(0.0, P.quad(yc))
        Q_p = float(_dist.chi2_sf(Q, k - p))
        vt = (k - p) / P.trace()
        if fixed:
            I2 = max(0.0, 100.0 * (Q - (k - p)) / Q) if Q > 0 else 0.0
            H2 = Q / (k - p)
        else:
            I2 = 100.0 * tau2 / (vt + tau2)
            H2 = tau2 / vt + 1.0
    else:
        Q, Q_p, I2, H2, vt = 0.0, 1.0, 0.0, 1.0, 0.0

    if p == 1:
        sd_pred = math.sqrt(float(se[0]) ** 2 + tau2)
        pi_lb = float(beta[0]) - crit * sd_pred
        pi_ub = float(beta[0]) + crit * sd_pred
    else:
        pi_lb = pi_ub = math.nan

    tau2_ci = tau_ci = I2_ci = H2_ci = None
    if heterogeneity_ci and p == 1 and not fixed and k > 1:
        tau2_ci, tau_ci, I2_ci, H2_ci = q_profile_intervals(y, v, X, tau2, vt, level)

    R2 = math.nan
    if p > 1 and has_intercept:
        R2 = _pseudo_r2(y, v, X, w, tau2, method, fixed)

    weights = 100.0 * w / float(np.sum(w))
    parms = p + (0 if fixed else 1)
    fit_ml, fit_reml = fit_statistics(y, v, X, w, beta, tau2, parms)
    result = RMAResult(
        k=k,
        estimate=float(beta[0]),
        se=float(se[0]),
        ci_lower=float(ci_lb[0]),
        ci_upper=float(ci_ub[0]),
        statistic=float(zval[0]),
        p_value=float(pval[0]),
        tau2=float(tau2),
        tau=math.sqrt(tau2),
        I2=float(I2),
        H2=float(H2),
        Q=float(Q),
        Q_df=int(k - p),
        Q_p=float(Q_p),
        pi_lower=pi_lb,
        pi_upper=pi_ub,
        measure=measure,
        method=method,
        test=test,
        level=level,
        yi=y,
        vi=v,
        weights=weights,
        slab=slab,
        coef_names=names,
        coefficients=beta,
        coef_se=se,
        coef_statistic=zval,
        coef_p=np.asarray(pval, dtype=np.float64),
        coef_ci_lower=ci_lb,
        coef_ci_upper=ci_ub,
        vcov=vb,
        X=X,
        QM=QM,
        QM_df=QM_df,
        QM_p=QM_p,
        R2=R2,
        df=df,
        s2w=s2w,
        tau2_se=est.se,
        vt=vt,
        tau2_ci=tau2_ci,
        tau_ci=tau_ci,
        I2_ci=I2_ci,
        H2_ci=H2_ci,
        converged=est.converged,
        iterations=est.iterations,
        fit_notes=tuple(notes),
        fit_ml=fit_ml,
        fit_reml=fit_reml,
        parms=parms,
        tau2_check=tau2_check,
        strict_optimum=strict_optimum,
    )
    if not guardrails:
        return result
    return replace(result, warnings=guardrail_warnings(result, _refit_with))


def _refit_with(res: RMAResult, method: str) -> RMAResult:
    return fit(
        res.yi,
        res.vi,
        res.X,
        res.coef_names,
        method=method,
        test=res.test,
        level=res.level,
        slab=res.slab,
        measure=res.measure,
        guardrails=False,
        strict_optimum=res.strict_optimum,
    )


# eq=False: results hold arrays, so field-wise == would be ambiguous and hashing fail;
# two results are the same object or different ones.
@dataclass(frozen=True, eq=False)
class ConfidenceIntervals:
    """metafor's ``confint``: coefficients and, for random-effects models, heterogeneity."""

    level: float
    coefficients: pd.DataFrame
    tau2: Interval | None
    tau: Interval | None
    I2: Interval | None
    H2: Interval | None

    def summary(self) -> str:
        """The intervals as text."""
        lines = [f"{self.level:g}% confidence intervals", ""]
        for name in self.coefficients.index:
            row = self.coefficients.loc[name]
            lines.append(
                f"{name:<12} {row['estimate']:9.4f} [{row['ci_lower']:.4f}, {row['ci_upper']:.4f}]"
            )
        for label, iv in (("tau^2", self.tau2), ("tau", self.tau), ("I^2(%)", self.I2)):
            if iv is not None:
                lines.append(
                    f"{label:<12} {iv.estimate:9.4f} [{iv.ci_lower:.4f}, {iv.ci_upper:.4f}]"
                )
        if self.H2 is not None:
            iv = self.H2
            lines.append(f"{'H^2':<12} {iv.estimate:9.4f} [{iv.ci_lower:.4f}, {iv.ci_upper:.4f}]")
        return "\n".join(lines)


def confint(res: RMAResult, level: float | None = None) -> ConfidenceIntervals:
    """Confidence intervals at another level (metafor's ``confint``; Q-profile for tau^2).

    Parameters
    ----------
    res : RMAResult
        A fit from :func:`rma`.
    level : float, optional
        Confidence level in percent; the model's own level by default.
    """
    lv = res.level if level is None else check_level(level)
    alpha = 1.0 - lv / 100.0
    if res.test == "knha":
        crit = float(_dist.t_isf(alpha / 2.0, res.df)) if res.df > 0 else math.nan
    else:
        crit = float(_dist.norm_isf(alpha / 2.0))
    import pandas as pd

    table = pd.DataFrame(
        {
            "estimate": res.coefficients,
            "ci_lower": res.coefficients - crit * res.coef_se,
            "ci_upper": res.coefficients + crit * res.coef_se,
        },
        index=list(res.coef_names),
    )
    het: tuple[Interval | None, ...] = (None, None, None, None)
    if res.method not in FIXED_METHODS and res.method not in ("MH", "PETO") and res.k > 1:
        het = q_profile_intervals(res.yi, res.vi, res.X, res.tau2, res.vt, lv)
    return ConfidenceIntervals(lv, table, *het)


def fit_statistics(
    y: FloatArray,
    v: FloatArray,
    X: FloatArray,
    w: FloatArray,
    beta: FloatArray,
    tau2: float,
    parms: int,
) -> tuple[FitStatistics, FitStatistics]:
    """metafor's ``fit.stats``: ML and REML log-likelihood, deviance, AIC, BIC and AICc.

    The REML log-likelihood includes metafor's constant ``1/2 log|X'X|`` (``REMLf = TRUE``), so
    values are comparable with metafor's; the ML deviance is relative to the saturated model.
    """
    k, p = X.shape
    rss = float(np.sum(w * (y - X @ beta) ** 2))
    log_v = float(np.sum(np.log(v + tau2)))
    ll_ml = -0.5 * k * math.log(2 * math.pi) - 0.5 * log_v - 0.5 * rss
    _s, logdet_xx = np.linalg.slogdet(X.T @ X)
    _s, logdet_xwx = np.linalg.slogdet(X.T @ (w[:, None] * X))
    ll_reml = (
        -0.5 * (k - p) * math.log(2 * math.pi)
        + 0.5 * float(logdet_xx)
        - 0.5 * log_v
        - 0.5 * float(logdet_xwx)
        - 0.5 * rss
    )
    if k > p:
        saturated = float(np.sum(-0.5 * np.log(2 * math.pi * v)))
        dev_ml = -2.0 * (ll_ml - saturated)
    else:
        dev_ml = 0.0

    def criteria(ll: float, dev: float, n: int) -> FitStatistics:
        m = max(n, parms + 2)
        return FitStatistics(
            loglik=ll,
            deviance=dev,
            AIC=-2.0 * ll + 2.0 * parms,
            BIC=-2.0 * ll + parms * math.log(n) if n > 0 else math.nan,
            AICc=-2.0 * ll + 2.0 * parms * m / (m - parms - 1),
        )

    return criteria(ll_ml, dev_ml, k), criteria(ll_reml, -2.0 * ll_reml, k - p)


def _omnibus(
    beta: FloatArray, vb: FloatArray, btt: list[int], test: str, df: float
) -> tuple[float, int, float]:
    b = beta[btt]
    sub = vb[np.ix_(btt, btt)]
    try:
        QM = float(b @ np.linalg.solve(sub, b))
    except np.linalg.LinAlgError:
        return math.nan, len(btt), math.nan
    m = len(btt)
    if test == "knha":
        QM /= m
        QM_p = float(_dist.f_sf(QM, m, df)) if df > 0 else math.nan
    else:
        QM_p = float(_dist.chi2_sf(QM, m))
    return QM, m, QM_p


def _pseudo_r2(
    y: FloatArray,
    v: FloatArray,
    X: FloatArray,
    w: FloatArray,
    tau2: float,
    method: str,
    fixed: bool,
) -> float:
    """metafor's R^2: proportional reduction in tau^2 against the intercept-only model."""
    k, p = X.shape
    if fixed:
        if k <= p:
            # A saturated model has no residual degrees of freedom: metafor reports R^2 as NA.
            return math.nan
        if np.var(y) == 0:
            return 0.0
        # adjusted R^2 of the weighted least squares regression (metafor's choice for FE)
        beta, _ = wls(X, y, w)
        rss = float(np.sum(w * (y - X @ beta) ** 2))
        ybar = float(np.sum(w * y) / np.sum(w))
        tss = float(np.sum(w * (y - ybar) ** 2))
        r2 = 1.0 - rss / tss
        adj = 1.0 - (1.0 - r2) * (k - 1) / (k - p)
        return float(max(0.0, 100.0 * adj))
    tau2_re = estimate_tau2(method, y, v, np.ones((k, 1))).tau2
    if tau2_re == 0.0:
        return 0.0
    return max(0.0, 100.0 * (tau2_re - tau2) / tau2_re)


# Mantel-Haenszel and Peto models return the same result type; offer them beside rma.
from evsynth.stats.binary import rma_mh, rma_peto  # noqa: E402

__all__ = ["ConfidenceIntervals", "confint", "fit", "rma", "rma_mh", "rma_peto"]
