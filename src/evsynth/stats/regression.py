"""Meta-regression helpers and subgroup analysis on top of :func:`evsynth.stats.models.rma`.

``rma(yi, vi, mods=...)`` fits the meta-regression itself (coefficients, omnibus QM test,
residual heterogeneity QE, pseudo R^2). This module adds what metafor does after the fit:
``predict`` for new moderator values, ``anova`` (Wald test of a set of coefficients) and
``subgroups``, which pools each subgroup separately and tests the difference between subgroups
in two ways.

References
----------
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. Journal of
Statistical Software 36(3):1-48. doi:10.18637/jss.v036.i03
Borenstein M, Hedges LV, Higgins JPT, Rothstein HR (2009). Introduction to Meta-Analysis,
chapter 19 (subgroup analyses). Wiley.
Deeks JJ, Higgins JPT, Altman DG (2022). Analysing data and undertaking meta-analyses. Cochrane
Handbook, chapter 10.11.3 (test for subgroup differences).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from evsynth.errors import InputError
from evsynth.stats import _dist
from evsynth.stats._checks import (
    check_level,
    check_method,
    check_test,
    outcomes_and_variances,
    study_labels,
)
from evsynth.stats._linalg import FloatArray
from evsynth.stats.models import fit, rma
from evsynth.stats.results import RMAResult, back_transform


# eq=False: results hold arrays, so field-wise == would be ambiguous and hashing fail;
# two results are the same object or different ones.
@dataclass(frozen=True, eq=False)
class Prediction:
    """Predicted (fitted) effects with confidence and prediction intervals (metafor's predict)."""

    pred: FloatArray
    se: FloatArray
    ci_lower: FloatArray
    ci_upper: FloatArray
    pi_lower: FloatArray
    pi_upper: FloatArray
    level: float
    measure: str = "GEN"
    ni: FloatArray | None = None

    def back_transformed(self) -> pd.DataFrame | None:
        """Predictions and intervals on the reporting scale (e.g. risk ratios), or None."""
        if back_transform(self.measure, 0.0, self.ni) is None:
            return None
        frame = self.to_frame().drop(columns="se")
        for col in frame.columns:
            frame[col] = [back_transform(self.measure, float(x), self.ni) for x in frame[col]]
        return frame

    def to_frame(self) -> pd.DataFrame:
        """One row per prediction (analysis scale)."""
        return pd.DataFrame(
            {
                "pred": self.pred,
                "se": self.se,
                "ci_lower": self.ci_lower,
                "ci_upper": self.ci_upper,
                "pi_lower": self.pi_lower,
                "pi_upper": self.pi_upper,
            }
        )


def predict(res: RMAResult, newmods: ArrayLike | None = None) -> Prediction:
    """Predicted effects for moderator values ``newmods`` (metafor's ``predict.rma``).

    Parameters
    ----------
    res : RMAResult
        A fit from :func:`rma`.
    newmods : array_like, optional
        Moderator values without the intercept: one row per prediction, one column per
        moderator column of the fit (dummy columns for categorical moderators). Without it, an
        intercept-only model gives the pooled effect and a meta-regression its fitted values.

    Returns
    -------
    Prediction
        Confidence intervals use the model's test (t with k-p df under Knapp-Hartung, normal
        otherwise); prediction intervals add tau^2 with the same critical value.
    """
    p = res.p
    has_intercept = res.coef_names[0] == "intrcpt"
    if newmods is None:
        Xn = res.X if p > 1 else np.ones((1, 1))
    else:
        arr = np.asarray(newmods, dtype=np.float64)
        width = p - 1 if has_intercept else p
        if arr.ndim <= 1:
            arr = arr.reshape(-1, width) if width > 0 else arr.reshape(-1, 0)
        if arr.shape[1] != width:
            raise InputError(
                f"'newmods' has {arr.shape[1]} columns but the model has {width} moderator "
                f"column(s): {', '.join(res.coef_names[1 if has_intercept else 0 :])}",
                column="newmods",
            )
        Xn = np.column_stack([np.ones(arr.shape[0]), arr]) if has_intercept else arr
    pred = Xn @ res.coefficients
    vpred = np.einsum("ij,jk,ik->i", Xn, res.vcov, Xn)
    se = np.sqrt(np.where(vpred < 0, np.nan, vpred))
    alpha = 1.0 - res.level / 100.0
    if res.test == "knha":
        crit = float(_dist.t_isf(alpha / 2.0, res.df)) if res.df > 0 else math.nan
    else:
        crit = float(_dist.norm_isf(alpha / 2.0))
    sd_pi = np.sqrt(vpred + res.tau2)
    return Prediction(
        pred=pred,
        se=se,
        ci_lower=pred - crit * se,
        ci_upper=pred + crit * se,
        pi_lower=pred - crit * sd_pi,
        pi_upper=pred + crit * sd_pi,
        level=res.level,
        measure=res.measure,
        ni=res.ni,
    )


@dataclass(frozen=True)
class WaldTest:
    """Omnibus test of a set of coefficients (chi^2, or F under Knapp-Hartung)."""

    coefficients: tuple[str, ...]
    statistic: float
    df: int
    df_denominator: float
    p_value: float
    distribution: str

    def summary(self) -> str:
        """One line, as metafor's anova prints it."""
        names = ", ".join(self.coefficients)
        if self.distribution == "F":
            return (
                f"Test of Moderators ({names}): F(df1 = {self.df}, df2 = {self.df_denominator:g})"
                f" = {self.statistic:.4f}, p-val = {self.p_value:.4g}"
            )
        return (
            f"Test of Moderators ({names}): QM(df = {self.df}) = {self.statistic:.4f}, "
            f"p-val = {self.p_value:.4g}"
        )


def anova(res: RMAResult, btt: Sequence[int]) -> WaldTest:
    """Wald-type test that the coefficients ``btt`` (0-based positions) are all zero.

    metafor's ``anova(res, btt=...)`` with 1-based positions; here positions are 0-based, as
    everywhere in Python (the intercept is 0).
    """
    idx = sorted({int(b) for b in btt})
    if not idx or idx[0] < 0 or idx[-1] >= res.p:
        raise InputError(
            f"Invalid btt {list(btt)}; expected positions between 0 and {res.p - 1}",
            column="btt",
        )
    b = res.coefficients[idx]
    vb = res.vcov[np.ix_(idx, idx)]
    qm = float(b @ np.linalg.solve(vb, b))
    m = len(idx)
    names = tuple(res.coef_names[i] for i in idx)
    if res.test == "knha":
        f = qm / m
        return WaldTest(names, f, m, res.df, float(_dist.f_sf(f, m, res.df)), "F")
    return WaldTest(names, qm, m, math.nan, float(_dist.chi2_sf(qm, m)), "chi2")


@dataclass(frozen=True)
class LikelihoodRatioTest:
    """Comparison of a full and a reduced model (metafor's ``anova(full, reduced)``)."""

    method: str
    parms_full: int
    parms_reduced: int
    loglik_full: float
    loglik_reduced: float
    AIC_full: float
    AIC_reduced: float
    LRT: float
    p_value: float
    QE_full: float
    QE_reduced: float
    tau2_full: float
    tau2_reduced: float
    R2: float
    warnings: tuple[str, ...] = ()

    def summary(self) -> str:
        """Two rows and the test, as metafor prints them."""
        return "\n".join(
            [
                f"{'':<8} {'df':>3} {'logLik':>10} {'AIC':>10} {'LRT':>9} {'pval':>8} "
                f"{'QE':>10} {'tau^2':>8}",
                f"{'Full':<8} {self.parms_full:>3} {self.loglik_full:10.4f} "
                f"{self.AIC_full:10.4f} {'':>9} {'':>8} {self.QE_full:10.4f} "
                f"{self.tau2_full:8.4f}",
                f"{'Reduced':<8} {self.parms_reduced:>3} {self.loglik_reduced:10.4f} "
                f"{self.AIC_reduced:10.4f} {self.LRT:9.4f} {self.p_value:8.4f} "
                f"{self.QE_reduced:10.4f} {self.tau2_reduced:8.4f}",
                f"R^2 (proportion of tau^2 accounted for by the full model): {self.R2:.2f}%",
                *self.warnings,
            ]
        )


def lrt(full: RMAResult, reduced: RMAResult) -> LikelihoodRatioTest:
    """Likelihood-ratio test of nested models fitted to the same data (metafor's ``anova``).

    The models are swapped if ``reduced`` has more parameters. Both must use the same method;
    REML comparisons of models with different moderators are reported with metafor's warning
    that they are not meaningful (refit both with ``method="ML"``).
    """
    if full.method in ("MH", "PETO") or reduced.method in ("MH", "PETO"):
        raise InputError("Likelihood-ratio tests need inverse-variance models (rma)")
    if full.parms == reduced.parms:
        raise InputError("The models have the same number of parameters; an LRT is meaningless")
    if full.parms < reduced.parms:
        full, reduced = reduced, full
    if not (np.array_equal(full.yi, reduced.yi) and np.array_equal(full.vi, reduced.vi)):
        raise InputError("The full and reduced models were not fitted to the same yi and vi")
    if full.method != reduced.method:
        raise InputError(
            f"The full model uses {full.method} and the reduced one {reduced.method}; "
            "fit both with the same method"
        )
    notes: list[str] = []
    if full.method not in ("FE", "EE", "CE", "ML", "REML"):
        notes.append("Likelihood-ratio tests should be based on ML or REML estimation.")
    if full.method == "REML" and full.coef_names != reduced.coef_names:
        notes.append(
            "REML comparisons are not meaningful for models with different fixed effects; "
            "refit both models with method='ML'."
        )
    stats_f = full.fit_reml if full.method == "REML" else full.fit_ml
    stats_r = reduced.fit_reml if full.method == "REML" else reduced.fit_ml
    assert stats_f is not None and stats_r is not None
    value = max(0.0, stats_r.deviance - stats_f.deviance)
    df = full.parms - reduced.parms
    if full.is_fixed:
        s2_f = full.Q / (full.k - full.p)
        s2_r = reduced.Q / (reduced.k - reduced.p)
        r2 = 100.0 * max(0.0, (s2_r - s2_f) / s2_r) if s2_r > 0 else 0.0
    elif reduced.tau2 == 0.0:
        r2 = 0.0
    else:
        r2 = 100.0 * max(0.0, (reduced.tau2 - full.tau2) / reduced.tau2)
    return LikelihoodRatioTest(
        method=full.method,
        parms_full=full.parms,
        parms_reduced=reduced.parms,
        loglik_full=stats_f.loglik,
        loglik_reduced=stats_r.loglik,
        AIC_full=stats_f.AIC,
        AIC_reduced=stats_r.AIC,
        LRT=value,
        p_value=float(_dist.chi2_sf(value, df)),
        QE_full=full.Q,
        QE_reduced=reduced.Q,
        tau2_full=full.tau2,
        tau2_reduced=reduced.tau2,
        R2=r2,
        warnings=tuple(notes),
    )


# eq=False: results hold arrays, so field-wise == would be ambiguous and hashing fail;
# two results are the same object or different ones.
@dataclass(frozen=True, eq=False)
class SubgroupResult:
    """Separate pooled estimates per subgroup and tests of the difference between them.

    Attributes
    ----------
    levels : tuple of str
        Subgroup names, sorted as R sorts factor levels.
    fits : tuple of RMAResult
        One model per subgroup (each with its own tau^2).
    moderator_model : RMAResult or None
        The meta-regression on subgroup indicators (a common tau^2), whose QM is metafor's test
        of subgroup differences; None when there are too few studies to fit it.
    Q_between, Q_between_df, Q_between_p : float, int, float
        The test for subgroup differences of RevMan and the Cochrane Handbook: Cochran's Q of
        the separately pooled subgroup estimates, with G-1 degrees of freedom.
    """

    levels: tuple[str, ...]
    fits: tuple[RMAResult, ...]
    moderator_model: RMAResult | None
    Q_between: float
    Q_between_df: int
    Q_between_p: float
    overall: RMAResult

    @property
    def QM(self) -> float:
        """metafor's omnibus test statistic from the moderator model."""
        return self.moderator_model.QM if self.moderator_model is not None else math.nan

    @property
    def QM_p(self) -> float:
        """p-value of :attr:`QM`."""
        return self.moderator_model.QM_p if self.moderator_model is not None else math.nan

    def to_frame(self) -> pd.DataFrame:
        """One row per subgroup plus the overall estimate."""
        rows: list[dict[str, Any]] = []
        for name, f in [*zip(self.levels, self.fits, strict=True), ("Overall", self.overall)]:
            rows.append(
                {
                    "subgroup": name,
                    "k": f.k,
                    "estimate": f.estimate,
                    "se": f.se,
                    "ci_lower": f.ci_lower,
                    "ci_upper": f.ci_upper,
                    "tau2": f.tau2,
                    "I2": f.I2,
                    "Q": f.Q,
                    "Q_p": f.Q_p,
                }
            )
        return pd.DataFrame(rows)

    def plot_forest(self, ax: Any = None, **kw: Any) -> Any:
        """Forest plot with subgroup rows (delegates to the report layer's ``forest_plot``)."""
        import importlib

        forest = importlib.import_module("evsynth.report.figures.forest")
        return forest.forest_plot(self, ax=ax, **kw)

    def summary(self) -> str:
        """A text table of the subgroups and both tests of subgroup differences."""
        lines = [f"Subgroup analysis ({self.overall.method}; measure: {self.overall.measure})", ""]
        lines.append(
            f"{'subgroup':<20} {'k':>3} {'estimate':>9} {'ci.lb':>8} {'ci.ub':>8} "
            f"{'tau2':>8} {'I2':>7}"
        )
        for name, f in [*zip(self.levels, self.fits, strict=True), ("Overall", self.overall)]:
            lines.append(
                f"{name[:20]:<20} {f.k:>3} {f.estimate:9.4f} {f.ci_lower:8.4f} "
                f"{f.ci_upper:8.4f} {f.tau2:8.4f} {f.I2:6.1f}%"
            )
        lines.append("")
        lines.append(
            "Test for subgroup differences (Q between separately pooled subgroups, as RevMan): "
            f"Q(df = {self.Q_between_df}) = {self.Q_between:.4f}, p-val = {self.Q_between_p:.4g}"
        )
        if self.moderator_model is not None:
            mm = self.moderator_model
            stat = "F" if mm.test == "knha" else "QM"
            lines.append(
                "Test of moderators in a meta-regression with a common tau^2 (as metafor): "
                f"{stat}(df = {mm.QM_df}) = {mm.QM:.4f}, p-val = {mm.QM_p:.4g}"
            )
        return "\n".join(lines)


def subgroups(
    yi: ArrayLike,
    vi: ArrayLike | None = None,
    groups: Sequence[Any] | None = None,
    *,
    sei: ArrayLike | None = None,
    method: str = "REML",
    test: str = "z",
    level: float = 95.0,
    slab: Sequence[Any] | None = None,
    measure: str = "GEN",
    control: Mapping[str, Any] | None = None,
) -> SubgroupResult:
    """Pool each subgroup separately and test the difference between subgroups.

    Parameters
    ----------
    yi, vi, sei, method, test, level, slab, measure, control
        As for :func:`evsynth.stats.models.rma` (each subgroup and the overall model are fitted
        with the same ``control``).
    groups : sequence
        The subgroup of each study.

    Returns
    -------
    SubgroupResult
    """
    method = check_method(method)
    test = check_test(test)
    level = check_level(level)
    y, v = outcomes_and_variances(yi, vi, sei)
    labels = study_labels(slab, y.size)
    if groups is None:
        raise InputError("Give the subgroup of each study in 'groups'", column="groups")
    g = np.array([str(x) for x in groups])
    if g.size != y.size:
        raise InputError(f"'groups' has {g.size} values for {y.size} studies", column="groups")
    levels = tuple(sorted(set(g.tolist())))
    if len(levels) < 2:
        raise InputError("A subgroup analysis needs at least two subgroups", column="groups")
    fits = []
    for lev in levels:
        sel = g == lev
        fits.append(
            rma(
                y[sel],
                v[sel],
                method=method,
                test=test,
                level=level,
                slab=[labels[i] for i in np.flatnonzero(sel)],
                measure=measure,
                control=control,
            )
        )
    overall = rma(
        y, v, method=method, test=test, level=level, slab=labels, measure=measure, control=control
    )
    est = np.array([f.estimate for f in fits])
    se = np.array([f.se for f in fits])
    between = fit(
        est,
        se**2,
        np.ones((len(levels), 1)),
        ("intrcpt",),
        method="FE",
        test="z",
        level=level,
        slab=levels,
        measure=measure,
        guardrails=False,
    )
    moderator_model: RMAResult | None
    try:
        moderator_model = rma(
            y,
            v,
            method=method,
            test=test,
            level=level,
            mods={"group": pd.Categorical(g, categories=list(levels))},
            slab=labels,
            measure=measure,
        )
    except InputError:
        moderator_model = None
    return SubgroupResult(
        levels=levels,
        fits=tuple(fits),
        moderator_model=moderator_model,
        Q_between=between.Q,
        Q_between_df=len(levels) - 1,
        Q_between_p=between.Q_p,
        overall=overall,
    )


def subgroups_2x2(
    ai: ArrayLike,
    bi: ArrayLike | None,
    ci: ArrayLike,
    di: ArrayLike | None,
    groups: Sequence[Any],
    *,
    measure: str = "OR",
    method: str = "MH",
    level: float = 95.0,
    slab: Sequence[Any] | None = None,
    n1i: ArrayLike | None = None,
    n2i: ArrayLike | None = None,
) -> SubgroupResult:
    """Subgroup analysis of 2x2 tables with Mantel-Haenszel or Peto pooling (as RevMan).

    Each subgroup is pooled with :func:`~evsynth.stats.binary.rma_mh` (``method="MH"``, measure
    OR, RR or RD) or :func:`~evsynth.stats.binary.rma_peto` (``method="PETO"``); the test for
    subgroup differences is Cochran's Q of the subgroup estimates with their variances. There is
    no moderator model (``moderator_model`` is None).
    """
    from evsynth.stats.binary import _tables, rma_mh, rma_peto

    m = str(method).upper()
    if m not in ("MH", "PETO"):
        raise InputError(f"Invalid method '{method}'; expected MH or PETO", column="method")
    level = check_level(level)
    a, b, c, d = _tables(ai, bi, ci, di, n1i=n1i, n2i=n2i)
    labels = study_labels(slab, a.size)
    g = np.array([str(x) for x in groups])
    if g.size != a.size:
        raise InputError(f"'groups' has {g.size} values for {a.size} studies", column="groups")
    levels = tuple(sorted(set(g.tolist())))
    if len(levels) < 2:
        raise InputError("A subgroup analysis needs at least two subgroups", column="groups")

    def pool(sel: Any) -> RMAResult:
        cells = (a[sel], b[sel], c[sel], d[sel])
        lab = [labels[i] for i in np.flatnonzero(sel)]
        if m == "MH":
            return rma_mh(*cells, measure=measure, level=level, slab=lab)
        return rma_peto(*cells, level=level, slab=lab)

    fits = tuple(pool(g == lev) for lev in levels)
    overall = pool(np.ones(a.size, dtype=bool))
    est = np.array([f.estimate for f in fits])
    se = np.array([f.se for f in fits])
    ok = np.isfinite(est) & np.isfinite(se) & (se > 0)
    if int(np.sum(ok)) >= 2:
        between = fit(
            est[ok],
            se[ok] ** 2,
            np.ones((int(np.sum(ok)), 1)),
            ("intrcpt",),
            method="FE",
            test="z",
            level=level,
            slab=tuple(lev for lev, keep in zip(levels, ok, strict=True) if keep),
            measure=overall.measure,
            guardrails=False,
            heterogeneity_ci=False,
        )
        q, q_df, q_p = between.Q, int(np.sum(ok)) - 1, between.Q_p
    else:
        q, q_df, q_p = math.nan, 0, math.nan
    return SubgroupResult(
        levels=levels,
        fits=fits,
        moderator_model=None,
        Q_between=q,
        Q_between_df=q_df,
        Q_between_p=q_p,
        overall=overall,
    )
