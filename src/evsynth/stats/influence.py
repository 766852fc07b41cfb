"""Sensitivity diagnostics on a fitted model: leave-one-out, influence, cumulative analysis.

Each function refits the model of an :class:`~evsynth.stats.results.RMAResult` with the same
estimator, test and level, as metafor's ``leave1out``, ``influence`` and ``cumul`` do.

References
----------
Viechtbauer W, Cheung MW-L (2010). Outlier and influence diagnostics for meta-analysis. Research
Synthesis Methods 1:112-125. doi:10.1002/jrsm.11
Lau J, Antman EM, Jimenez-Silva J, Kupelnick B, Mosteller F, Chalmers TC (1992). Cumulative
meta-analysis of therapeutic trials for myocardial infarction. NEJM 327:248-254.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from evsynth.errors import InputError
from evsynth.stats import _dist
from evsynth.stats._linalg import FloatArray, Projection, inv_xwx
from evsynth.stats.models import fit
from evsynth.stats.results import RMAResult

_SEQ_FIELDS = [
    "estimate",
    "se",
    "statistic",
    "p_value",
    "ci_lower",
    "ci_upper",
    "Q",
    "Q_p",
    "tau2",
    "I2",
    "H2",
    "pi_lower",
    "pi_upper",
]


# eq=False: results hold arrays, so field-wise == would be ambiguous and hashing fail;
# two results are the same object or different ones.
@dataclass(frozen=True, eq=False)
class SequentialFits:
    """A model refitted on a series of subsets (leave-one-out or cumulative).

    Row ``i`` is the fit without study ``i`` (``kind="leave1out"``) or with the first ``i + 1``
    studies in the chosen order (``kind="cumul"``); ``slab`` names that study.
    """

    kind: str
    slab: tuple[str, ...]
    k: FloatArray
    estimate: FloatArray
    se: FloatArray
    statistic: FloatArray
    p_value: FloatArray
    ci_lower: FloatArray
    ci_upper: FloatArray
    Q: FloatArray
    Q_p: FloatArray
    tau2: FloatArray
    I2: FloatArray
    H2: FloatArray
    pi_lower: FloatArray
    pi_upper: FloatArray
    measure: str
    method: str

    def to_frame(self) -> pd.DataFrame:
        """One row per refit, labelled by study."""
        data: dict[str, Any] = {"study": list(self.slab), "k": self.k.astype(int)}
        for name in _SEQ_FIELDS:
            data[name] = getattr(self, name)
        import pandas as pd

        return pd.DataFrame(data)

    def summary(self) -> str:
        """A text table of the refits."""
        head = "Leave-one-out analysis" if self.kind == "leave1out" else "Cumulative analysis"
        lines = [f"{head} ({self.method}; measure: {self.measure})", ""]
        lines.append(
            f"{'study':<24} {'estimate':>9} {'ci.lb':>8} {'ci.ub':>8} {'pval':>8} "
            f"{'tau2':>8} {'I2':>7}"
        )
        for i, s in enumerate(self.slab):
            lines.append(
                f"{s[:24]:<24} {self.estimate[i]:9.4f} {self.ci_lower[i]:8.4f} "
                f"{self.ci_upper[i]:8.4f} {self.p_value[i]:8.4f} {self.tau2[i]:8.4f} "
                f"{self.I2[i]:6.1f}%"
            )
        return "\n".join(lines)


def _refit(res: RMAResult, idx: Any) -> RMAResult | None:
    try:
        if res.method in ("MH", "PETO") and res.tables is not None:
            # binary.py imports nothing from here, so this import cannot be circular
            from evsynth.stats.binary import rma_mh, rma_peto

            cells = [t[idx] for t in res.tables]
            slab = tuple(res.slab[i] for i in _positions(idx))
            if res.method == "MH":
                return rma_mh(*cells, measure=res.measure, level=res.level, slab=slab)
            return rma_peto(*cells, level=res.level, slab=slab)
        return fit(
            res.yi[idx],
            res.vi[idx],
            res.X[idx],
            res.coef_names,
            method=res.method,
            test=res.test,
            level=res.level,
            slab=tuple(res.slab[i] for i in _positions(idx)),
            measure=res.measure,
            guardrails=False,
            heterogeneity_ci=False,
            # a model fitted with control strict_optimum is refitted the same way
            strict_optimum=res.strict_optimum,
        )
    except (InputError, ArithmeticError, ValueError, np.linalg.LinAlgError):
        # a subset that cannot be fitted gives a row of NaN, as metafor's try() does
        return None


def _positions(idx: Any) -> Any:
    return np.flatnonzero(idx) if idx.dtype == bool else idx


def _check_refittable(
    res: RMAResult, what: str, intercept_only: bool, binary_ok: bool = False
) -> None:
    if res.method in ("MH", "PETO") and (not binary_ok or res.tables is None):
        raise InputError(
            f"{what} needs an inverse-variance model (rma); it is not defined for "
            "Mantel-Haenszel or Peto models"
        )
    if intercept_only and res.p > 1:
        raise InputError(f"{what} is only defined for models without moderators")
    if res.k < 2:
        raise InputError(f"{what} needs at least two studies")


def _sequential(kind: str, res: RMAResult, subsets: list[Any], labels: list[str]) -> SequentialFits:
    cols: dict[str, list[float]] = {name: [] for name in ["k", *_SEQ_FIELDS]}
    for idx in subsets:
        r = _refit(res, idx)
        cols["k"].append(float(np.sum(idx)) if idx.dtype == bool else float(len(idx)))
        for name in _SEQ_FIELDS:
            cols[name].append(math.nan if r is None else float(getattr(r, name)))
    arrays = {name: np.array(v, dtype=np.float64) for name, v in cols.items()}
    return SequentialFits(
        kind=kind, slab=tuple(labels), measure=res.measure, method=res.method, **arrays
    )


def leave1out(res: RMAResult) -> SequentialFits:
    """Refit the model leaving out each study in turn (metafor's ``leave1out``).

    Works for inverse-variance models without moderators and for Mantel-Haenszel and Peto
    models (refitted on the remaining tables, as metafor's ``leave1out.rma.mh``).
    """
    _check_refittable(res, "Leave-one-out analysis", intercept_only=True, binary_ok=True)
    subsets = [np.arange(res.k) != i for i in range(res.k)]
    return _sequential("leave1out", res, subsets, list(res.slab))


def cumul(res: RMAResult, order: Sequence[Any] | None = None) -> SequentialFits:
    """Cumulative meta-analysis, adding one study at a time (metafor's ``cumul``).

    Parameters
    ----------
    res : RMAResult
        An intercept-only model from :func:`rma`.
    order : sequence, optional
        Sort keys, one per study (e.g. publication year); studies are added in increasing order
        of the key, ties kept in their original order. Default: the order of the data.
    """
    _check_refittable(res, "Cumulative analysis", intercept_only=True, binary_ok=True)
    if order is None:
        perm = np.arange(res.k)
    else:
        keys = list(order)
        if len(keys) != res.k:
            raise InputError(f"'order' has {len(keys)} values for {res.k} studies", column="order")
        perm = np.array(sorted(range(res.k), key=lambda i: keys[i]), dtype=int)
    subsets = [perm[: i + 1] for i in range(res.k)]
    return _sequential("cumul", res, subsets, [res.slab[i] for i in perm])


# eq=False: results hold arrays, so field-wise == would be ambiguous and hashing fail;
# two results are the same object or different ones.
@dataclass(frozen=True, eq=False)
class InfluenceResult:
    """Case-deletion diagnostics for each study (metafor's ``influence``).

    Attributes
    ----------
    rstudent : ndarray
        Externally studentized residuals.
    dffits : ndarray
        Change in the fitted value when the study is removed, in standard errors.
    cooks_d : ndarray
        Cook's distance (all coefficients).
    cov_r : ndarray
        Covariance ratio: determinant of the coefficients' covariance without the study over
        that with it (below 1: the study improves precision).
    tau2_del, QE_del : ndarray
        tau^2 and the (residual) Q statistic without the study.
    hat : ndarray
        Leverage (diagonal of the hat matrix).
    weight : ndarray
        Weight in percent.
    dfbetas : ndarray
        k x p change in each coefficient, in standard errors.
    influential : ndarray of bool
        metafor's flag: |DFFITS| > 3 sqrt(p/(k-p)), or the chi^2(p) probability of Cook's
        distance above 0.5, or hat > 3p/k, or any |DFBETAS| > 1.
    """

    slab: tuple[str, ...]
    coef_names: tuple[str, ...]
    rstudent: FloatArray
    dffits: FloatArray
    cooks_d: FloatArray
    cov_r: FloatArray
    tau2_del: FloatArray
    QE_del: FloatArray
    hat: FloatArray
    weight: FloatArray
    dfbetas: FloatArray
    influential: Any

    def to_frame(self) -> pd.DataFrame:
        """One row per study with every diagnostic, DFBETAS columns named after coefficients."""
        data: dict[str, Any] = {
            "study": list(self.slab),
            "rstudent": self.rstudent,
            "dffits": self.dffits,
            "cooks_d": self.cooks_d,
            "cov_r": self.cov_r,
            "tau2_del": self.tau2_del,
            "QE_del": self.QE_del,
            "hat": self.hat,
            "weight": self.weight,
            "influential": self.influential,
        }
        for j, name in enumerate(self.coef_names):
            data[f"dfbetas_{name}"] = self.dfbetas[:, j]
        import pandas as pd

        return pd.DataFrame(data)

    def summary(self) -> str:
        """A text table; influential studies are marked with an asterisk, as in metafor."""
        lines = [
            f"{'study':<24} {'rstudent':>9} {'dffits':>8} {'cook.d':>8} {'cov.r':>8} "
            f"{'tau2.del':>9} {'QE.del':>9} {'hat':>7} {'weight':>7} inf"
        ]
        for i, s in enumerate(self.slab):
            lines.append(
                f"{s[:24]:<24} {self.rstudent[i]:9.4f} {self.dffits[i]:8.4f} "
                f"{self.cooks_d[i]:8.4f} {self.cov_r[i]:8.4f} {self.tau2_del[i]:9.4f} "
                f"{self.QE_del[i]:9.4f} {self.hat[i]:7.4f} {self.weight[i]:7.4f} "
                f"{'*' if self.influential[i] else ''}"
            )
        return "\n".join(lines)


def influence(res: RMAResult) -> InfluenceResult:
    """Outlier and influence diagnostics for each study (metafor's ``influence.rma.uni``)."""
    _check_refittable(res, "Influence analysis", intercept_only=False)
    k, p = res.X.shape
    X, y, v = res.X, res.yi, res.vi
    w = 1.0 / (v + res.tau2)
    hat = Projection(X, w).h.copy()
    hat[hat > 1 - 10 * np.finfo(float).eps] = 1.0
    pred_full = X @ res.coefficients
    try:
        svb: FloatArray | None = np.asarray(np.linalg.inv(res.vcov), dtype=np.float64)
    except np.linalg.LinAlgError:
        # e.g. Knapp-Hartung with a perfect fit scales the covariance to 0: Cook's distance
        # and the covariance ratio are then undefined (metafor stops with an error)
        svb = None
    det_full = float(np.linalg.det(res.vcov))
    nan = np.full(k, math.nan)
    tau2_del, qe_del, delpred, vdelpred, s2w_del = (nan.copy() for _ in range(5))
    dffits, cook, cov_r = nan.copy(), nan.copy(), nan.copy()
    dfbs = np.full((k, p), math.nan)
    for i in range(k):
        keep = np.arange(k) != i
        r = _refit(res, keep)
        if r is None:
            continue
        tau2_del[i] = r.tau2
        qe_del[i] = r.Q
        xi = X[i]
        delpred[i] = float(xi @ r.coefficients)
        vdelpred[i] = float(xi @ r.vcov @ xi)
        s2w_del[i] = r.s2w
        dffits[i] = (pred_full[i] - delpred[i]) / math.sqrt(r.s2w * hat[i] * (r.tau2 + v[i]))
        vb_del = inv_xwx(X, 1.0 / (v + r.tau2))
        dfb = res.coefficients - r.coefficients
        dfbs[i] = dfb / np.sqrt(r.s2w * np.diag(vb_del))
        if svb is not None and det_full != 0.0:
            cook[i] = float(dfb @ svb @ dfb)
            cov_r[i] = float(np.linalg.det(r.vcov)) / det_full
    resid = y - delpred
    resid[np.abs(resid) < 100 * np.finfo(float).eps] = 0.0
    se_resid = np.sqrt(v * s2w_del + vdelpred + tau2_del * s2w_del)
    rstudent = resid / se_resid
    with np.errstate(invalid="ignore"):
        flag = (
            (np.abs(dffits) > 3 * math.sqrt(p / (k - p)) if k > p else np.zeros(k, bool))
            | (_dist.chi2_cdf(cook, p) > 0.5)
            | (hat > 3 * p / k)
            | np.any(np.abs(dfbs) > 1, axis=1)
        )
    return InfluenceResult(
        slab=res.slab,
        coef_names=res.coef_names,
        rstudent=rstudent,
        dffits=dffits,
        cooks_d=cook,
        cov_r=cov_r,
        tau2_del=tau2_del,
        QE_del=qe_del,
        hat=hat,
        weight=res.weights.copy(),
        dfbetas=dfbs,
        influential=np.asarray(flag & ~np.isnan(cook), dtype=bool),
    )
