"""Fixed-effect pooling of 2x2 tables: Mantel-Haenszel (OR, RR, RD) and Peto's odds ratio.

These follow metafor 3.8's ``rma.mh`` and ``rma.peto``: the pooled estimate uses the tables as
they are (no continuity correction); the heterogeneity test uses the per-study estimates from
``escalc`` with its default correction (1/2 added to every cell of a table with a zero cell) and
drops tables with no events (or no non-events) in both groups.

References
----------
Mantel N, Haenszel W (1959). Statistical aspects of the analysis of data from retrospective
studies of disease. Journal of the National Cancer Institute 22:719-748.
Robins J, Breslow N, Greenland S (1986). Estimators of the Mantel-Haenszel variance consistent in
both sparse data and large-strata limiting models. Biometrics 42:311-323. (variance of log OR)
Greenland S, Robins JM (1985). Estimation of a common effect parameter from sparse follow-up
data. Biometrics 41:55-68. (variances of log RR and RD)
Yusuf S, Peto R, Lewis J, Collins R, Sleight P (1985). Beta blockade during and after myocardial
infarction: an overview of the randomized trials. Progress in Cardiovascular Diseases 27:335-371.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from evsynth.errors import InputError
from evsynth.stats import _dist
from evsynth.stats._checks import check_level, study_labels
from evsynth.stats._linalg import FloatArray
from evsynth.stats.results import NamedTest, RMAResult

MH_MEASURES = ("OR", "RR", "RD")


def _root(variance: float) -> float:
    """Square root of a variance; NaN (as R's sqrt gives) when rounding made it negative."""
    return math.sqrt(variance) if variance >= 0.0 else math.nan


def _tables(
    ai: ArrayLike, bi: ArrayLike | None, ci: ArrayLike, di: ArrayLike | None, **kw: Any
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Checked 2x2 cells (bi and di may come from n1i and n2i)."""
    from evsynth.stats.escalc import escalc

    es = escalc("OR", ai=ai, bi=bi, ci=ci, di=di, n1i=kw.get("n1i"), n2i=kw.get("n2i"))
    assert es.ai is not None and es.bi is not None and es.ci is not None and es.di is not None
    a, b, c, d = (np.asarray(x, dtype=np.float64) for x in (es.ai, es.bi, es.ci, es.di))
    if a.size == 0:
        raise InputError("No studies to pool: the tables are empty", column="ai")
    if np.any(a + b == 0) or np.any(c + d == 0):
        pos = int(np.flatnonzero((a + b == 0) | (c + d == 0))[0]) + 1
        raise InputError(f"study {pos} has an empty group (no participants)", column="n1i")
    return a, b, c, d


def _correct_only0(cells: list[FloatArray], add: float) -> list[FloatArray]:
    zero = np.zeros(cells[0].shape, dtype=bool)
    for c in cells:
        zero |= c == 0
    return [np.where(zero, c + add, c) for c in cells]


def _double_zero(a: FloatArray, b: FloatArray, c: FloatArray, d: FloatArray) -> Any:
    return ((a == 0) & (c == 0)) | ((b == 0) & (d == 0))


def _fixed_result(
    *,
    beta: float,
    se: float,
    yi: FloatArray,
    vi: FloatArray,
    Q: float,
    k_yi: int,
    weights: FloatArray,
    slab: tuple[str, ...],
    measure: str,
    method: str,
    level: float,
    notes: list[str],
    tables: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    extra_tests: tuple[NamedTest, ...] = (),
) -> RMAResult:
    crit = float(_dist.norm_isf((1.0 - level / 100.0) / 2.0))
    z = beta / se if se > 0 else math.nan
    p = float(2.0 * _dist.norm_sf(abs(z))) if not math.isnan(z) else math.nan
    lo, hi = beta - crit * se, beta + crit * se
    if k_yi > 1:
        Q_p = float(_dist.chi2_sf(Q, k_yi - 1))
        I2 = max(0.0, 100.0 * (Q - (k_yi - 1)) / Q) if Q > 0 else 0.0
        H2 = Q / (k_yi - 1)
    else:
        Q, Q_p, I2, H2 = 0.0, 1.0, 0.0, 1.0
    k = yi.size
    if k == 1:
        notes.append(
            "Only one study: there is nothing to pool and no heterogeneity can be estimated."
        )
    elif I2 >= 50.0:
        notes.append(
            f"A fixed-effect {method} model was chosen although I^2 = {I2:.1f}% indicates "
            "substantial heterogeneity; consider a random-effects model (rma with method='REML')."
        )
    if k_yi < k:
        notes.append(
            f"{k - k_yi} table(s) with no events (or no non-events) in both groups add nothing to "
            "the heterogeneity test and were left out of it, as metafor does."
        )
    return RMAResult(
        k=k,
        estimate=beta,
        se=se,
        ci_lower=lo,
        ci_upper=hi,
        statistic=z,
        p_value=p,
        tau2=0.0,
        tau=0.0,
        I2=I2,
        H2=H2,
        Q=Q,
        Q_df=max(k_yi - 1, 0),
        Q_p=Q_p,
        pi_lower=lo,
        pi_upper=hi,
        measure=measure,
        method=method,
        test="z",
        level=level,
        yi=yi,
        vi=vi,
        weights=weights,
        slab=slab,
        warnings=tuple(notes),
        coef_names=("intrcpt",),
        coefficients=np.array([beta]),
        coef_se=np.array([se]),
        coef_statistic=np.array([z]),
        coef_p=np.array([p]),
        coef_ci_lower=np.array([lo]),
        coef_ci_upper=np.array([hi]),
        vcov=np.array([[se * se]]),
        X=np.ones((k, 1)),
        QM=z * z,
        QM_df=1,
        QM_p=p,
        extra_tests=extra_tests,
        tables=tables,
    )


def rma_mh(
    ai: ArrayLike,
    bi: ArrayLike | None,
    ci: ArrayLike,
    di: ArrayLike | None,
    *,
    measure: str = "OR",
    level: float = 95.0,
    slab: Sequence[Any] | None = None,
    n1i: ArrayLike | None = None,
    n2i: ArrayLike | None = None,
    add: float = 0.5,
    correct: bool = True,
) -> RMAResult:
    """Mantel-Haenszel fixed-effect model for 2x2 tables (metafor's ``rma.mh``).

    Parameters
    ----------
    ai, bi, ci, di : array_like
        Events and non-events in group 1, then in group 2 (``bi``/``di`` may be None when
        ``n1i``/``n2i`` are given).
    measure : {"OR", "RR", "RD"}
        Odds ratio, risk ratio (both pooled on the log scale) or risk difference.
    level : float
        Confidence level in percent.
    slab : sequence, optional
        Study labels.
    n1i, n2i : array_like, optional
        Group sizes, instead of ``bi`` and ``di``.
    add : float
        Continuity correction for the per-study estimates behind the heterogeneity test only.
    correct : bool
        Continuity correction (1/2) in the Cochran-Mantel-Haenszel test (OR only).

    Returns
    -------
    RMAResult
        ``method`` is ``"MH"`` and ``tau2`` is 0; ``weights`` are the Mantel-Haenszel weights.
        For the OR, ``extra_tests`` holds the Cochran-Mantel-Haenszel test of no association and
        Tarone's test of homogeneity of the odds ratios (Breslow-Day with Tarone's correction).

    References
    ----------
    Tarone RE (1985). On heterogeneity tests based on efficient scores. Biometrika 72:91-95.
    """
    m = str(measure).upper()
    if m not in MH_MEASURES:
        raise InputError(
            f"Invalid measure '{measure}' for Mantel-Haenszel; expected one of OR, RR, RD",
            column="measure",
        )
    level = check_level(level)
    a, b, c, d = _tables(ai, bi, ci, di, n1i=n1i, n2i=n2i)
    labels = study_labels(slab, a.size)
    from evsynth.stats.escalc import escalc

    es = escalc(m, ai=a, bi=b, ci=c, di=d, add=add, to="only0", drop00=True)
    yi, vi = np.asarray(es.yi, dtype=np.float64), np.asarray(es.vi, dtype=np.float64)
    n1, n2 = a + b, c + d
    N = n1 + n2
    notes: list[str] = []
    extra: tuple[NamedTest, ...] = ()
    if m == "OR":
        Pi = (a + d) / N
        Qi = (b + c) / N
        Ri = a * d / N
        Si = b * c / N
        R, S = float(np.sum(Ri)), float(np.sum(Si))
        if R == 0.0 or S == 0.0:
            beta = se = math.nan
            notes.append("The Mantel-Haenszel odds ratio is not estimable (0 or infinite).")
        else:
            beta = math.log(R / S)
            se = _root(
                0.5
                * (
                    float(np.sum(Pi * Ri)) / R**2
                    + float(np.sum(Pi * Si + Qi * Ri)) / (R * S)
                    + float(np.sum(Qi * Si)) / S**2
                )
            )
        w = b * c / N
        extra = _cmh_tarone(a, b, c, d, beta, correct)
    elif m == "RR":
        R = float(np.sum(a * n2 / N))
        S = float(np.sum(c * n1 / N))
        if np.sum(a) == 0 or np.sum(c) == 0:
            beta = se = math.nan
            notes.append("The Mantel-Haenszel risk ratio is not estimable (0 or infinite).")
        else:
            beta = math.log(R / S)
            se = _root(float(np.sum(n1 / N * n2 / N * (a + c) - a / N * c)) / (R * S))
        w = c * n1 / N
    else:
        denom = float(np.sum(n1 * n2 / N))
        beta = float(np.sum(a * n2 / N - c * n1 / N)) / denom
        se = _root(
            (
                beta
                * float(
                    np.sum(c * (n1 / N) ** 2 - a * (n2 / N) ** 2 + n1 / N * n2 / N * (n2 - n1) / 2)
                )
                + float(np.sum(a * (n2 - c) / N + c * (n1 - a) / N)) / 2
            )
            / denom**2
        )
        w = n1 * n2 / N
    ok = ~np.isnan(yi)
    Q = 0.0
    if not math.isnan(beta):
        Q = max(0.0, float(np.sum((yi[ok] - beta) ** 2 / vi[ok])))
    total = float(np.sum(w))
    weights = 100.0 * w / total if total > 0 else np.full(a.size, math.nan)
    return _fixed_result(
        beta=beta,
        se=se,
        yi=yi,
        vi=vi,
        Q=Q,
        k_yi=int(np.sum(ok)),
        weights=weights,
        slab=labels,
        measure=m,
        method="MH",
        level=level,
        notes=notes,
        tables=(a, b, c, d),
        extra_tests=extra,
    )


def rma_peto(
    ai: ArrayLike,
    bi: ArrayLike | None,
    ci: ArrayLike,
    di: ArrayLike | None,
    *,
    level: float = 95.0,
    slab: Sequence[Any] | None = None,
    n1i: ArrayLike | None = None,
    n2i: ArrayLike | None = None,
    add: float = 0.5,
) -> RMAResult:
    """Peto's one-step odds ratio for 2x2 tables (metafor's ``rma.peto``).

    Parameters are as for :func:`rma_mh`. The result has ``measure="PETO"`` (a log odds ratio)
    and ``method="PETO"``; ``weights`` are the hypergeometric variances ``Vi`` in percent.
    """
    level = check_level(level)
    a, b, c, d = _tables(ai, bi, ci, di, n1i=n1i, n2i=n2i)
    labels = study_labels(slab, a.size)
    # per-study Peto estimates as escalc(measure="PETO", add=1/2, to="only0", drop00=TRUE)
    dz = _double_zero(a, b, c, d)
    ca, cb, cc, cd = _correct_only0([a, b, c, d], add)
    yi_c, vi_c = _peto_terms(ca, cb, cc, cd)
    yi = np.where(dz, np.nan, yi_c)
    vi = np.where(dz, np.nan, vi_c)
    # pooled estimate from the uncorrected tables
    n1, n2 = a + b, c + d
    N = n1 + n2
    xt, yt = a + c, b + d
    Ei = xt * n1 / N
    with np.errstate(divide="ignore", invalid="ignore"):
        Vi = xt * yt * (n1 / N) * (n2 / N) / (N - 1)
    Vi = np.where(np.isfinite(Vi), Vi, 0.0)
    sum_v = float(np.sum(Vi))
    notes: list[str] = []
    if sum_v == 0.0:
        raise InputError("No table has both events and non-events; Peto's odds ratio is undefined")
    beta = float(np.sum(a - Ei)) / sum_v
    se = math.sqrt(1.0 / sum_v)
    pos = Vi > 0
    Q = max(
        0.0,
        float(np.sum((a[pos] - Ei[pos]) ** 2 / Vi[pos])) - float(np.sum(a - Ei)) ** 2 / sum_v,
    )
    return _fixed_result(
        beta=beta,
        se=se,
        yi=yi,
        vi=vi,
        Q=Q,
        k_yi=int(np.sum(~dz)),
        weights=100.0 * Vi / sum_v,
        slab=labels,
        measure="PETO",
        method="PETO",
        level=level,
        notes=notes,
        tables=(a, b, c, d),
    )


def _cmh_tarone(
    a: FloatArray, b: FloatArray, c: FloatArray, d: FloatArray, beta: float, correct: bool
) -> tuple[NamedTest, ...]:
    """Cochran-Mantel-Haenszel test and Tarone's homogeneity test, as metafor's ``rma.mh``."""
    n1, n2 = a + b, c + d
    N = n1 + n2
    xt, yt = a + c, b + d
    out: list[NamedTest] = []
    if np.sum(xt) > 0 and np.sum(yt) > 0:
        cc = 0.5 if correct else 0.0
        num = (abs(float(np.sum(a - n1 / N * xt))) - cc) ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            den_terms = n1 / N * (n2 / N) * (xt * (yt / (N - 1)))
        den = float(np.nansum(den_terms))
        if den > 0.0:  # 0 when no table has both events and non-events: no information
            cmh = num / den
            p_cmh = float(_dist.chi2_sf(cmh, 1))
            out.append(NamedTest("Cochran-Mantel-Haenszel test", cmh, 1, p_cmh))
    if math.isnan(beta):
        return tuple(out)
    psi = math.exp(beta)
    if psi == 1.0:
        n11 = n1 / N * xt
    else:
        # expected cell under the common odds ratio: root of a quadratic (Breslow-Day)
        A = psi * (n1 + xt) + (n2 - xt)
        B = np.sqrt(A**2 - 4 * n1 * xt * psi * (psi - 1))
        n11 = (A - B) / (2 * (psi - 1))
    pos = (n11 > 0) & (xt > 0) & (yt > 0)
    k_pos = int(np.sum(pos))
    n11 = n11[pos]
    n12 = n1[pos] - n11
    n21 = xt[pos] - n11
    n22 = n11 - n1[pos] - xt[pos] + N[pos]
    inv = 1.0 / (1.0 / n11 + 1.0 / n12 + 1.0 / n21 + 1.0 / n22)
    dev = a[pos] - n11
    bd = max(0.0, float(np.sum(dev**2 / inv)))
    ta = max(0.0, bd - float(np.sum(dev)) ** 2 / float(np.sum(inv)))
    if k_pos > 1:
        out.append(
            NamedTest(
                "Tarone's test for heterogeneity",
                ta,
                k_pos - 1,
                float(_dist.chi2_sf(ta, k_pos - 1)),
            )
        )
    return tuple(out)


def _peto_terms(
    a: FloatArray, b: FloatArray, c: FloatArray, d: FloatArray
) -> tuple[FloatArray, FloatArray]:
    n1, n2 = a + b, c + d
    N = n1 + n2
    xt, yt = a + c, b + d
    E = xt * n1 / N
    with np.errstate(divide="ignore", invalid="ignore"):
        V = xt * yt * (n1 / N) * (n2 / N) / (N - 1)
        return (a - E) / V, 1.0 / V
