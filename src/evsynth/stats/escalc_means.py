"""Effect sizes from means and correlations, as metafor 3.8's ``escalc`` computes them.

Two independent groups: MD, SMD (Hedges' g), SMDH, ROM. One group measured twice (change from
baseline, ``m1i``/``sd1i`` the later measurement, ``m2i``/``sd2i`` the earlier, ``ri`` their
correlation): MC, SMCC, SMCR. Correlations: COR, ZCOR. Each function returns ``(yi, vi, ni)``.
"""

from __future__ import annotations

import numpy as np

from evsynth.errors import InputError
from evsynth.stats.escalc_common import FloatArray, bias_correction, check, vtype_check, wmean


def two_groups(
    measure: str,
    m1i: FloatArray,
    sd1i: FloatArray,
    n1i: FloatArray,
    m2i: FloatArray,
    sd2i: FloatArray,
    n2i: FloatArray,
    *,
    vtype: str,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """MD, SMD, SMDH or ROM for two independent groups.

    References
    ----------
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and related
    estimators. Journal of Educational Statistics, 6(2), 107-128.

    Bonett, D. G. (2009). Meta-analytic interval estimation for standardized and unstandardized
    mean differences. Psychological Methods, 14(3), 225-238. (SMDH)

    Hedges, L. V., Gurevitch, J., & Curtis, P. S. (1999). The meta-analysis of response ratios in
    experimental ecology. Ecology, 80(4), 1150-1156. (ROM)
    """
    allowed = {
        "MD": ("UB", "LS", "HO"),
        "SMD": ("UB", "LS", "LS2", "AV"),
        "SMDH": ("LS", "LS2"),
        "ROM": ("LS", "HO", "AV", "AVHO"),
    }[measure]
    vtype_check(measure, vtype, allowed)
    check(sd1i < 0, sd1i, "sd1i", "standard deviation is negative")
    check(sd2i < 0, sd2i, "sd2i", "standard deviation is negative")
    check(n1i <= 0, n1i, "n1i", "group size is not positive")
    check(n2i <= 0, n2i, "n2i", "group size is not positive")
    ni = n1i + n2i
    mi = ni - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        sdpi = np.sqrt(((n1i - 1) * sd1i**2 + (n2i - 1) * sd2i**2) / mi)
        if measure == "MD":
            yi = m1i - m2i
            if vtype == "HO":
                vi = sdpi**2 * (1 / n1i + 1 / n2i)
            else:
                vi = sd1i**2 / n1i + sd2i**2 / n2i
        elif measure == "SMD":
            cmi = bias_correction(mi)
            di = (m1i - m2i) / sdpi
            yi = cmi * di
            if vtype == "UB":
                vi = 1 / n1i + 1 / n2i + (1 - (mi - 2) / (mi * cmi**2)) * yi**2
            elif vtype == "LS":
                vi = 1 / n1i + 1 / n2i + yi**2 / (2 * ni)
            elif vtype == "LS2":
                vi = cmi**2 * (1 / n1i + 1 / n2i + di**2 / (2 * ni))
            else:  # AV: the sample-size weighted mean effect replaces each study's own
                vi = 1 / n1i + 1 / n2i + wmean(yi, ni) ** 2 / (2 * ni)
        elif measure == "SMDH":
            cmi = bias_correction(mi)
            s2 = sd1i**2 + sd2i**2
            yi = cmi * (m1i - m2i) / np.sqrt(s2 / 2)
            if vtype == "LS":
                vi = yi**2 * (sd1i**4 / (n1i - 1) + sd2i**4 / (n2i - 1)) / (2 * s2**2) + (
                    sd1i**2 / (n1i - 1) + sd2i**2 / (n2i - 1)
                ) / (s2 / 2)
                vi = cmi**2 * vi
            else:  # LS2
                vi = (
                    yi**2 * sd1i**2 / (2 * n1i * s2**2)
                    + yi**2 * sd2i**2 / (2 * n2i * s2**2)
                    + 2 * sd1i**2 / (n1i * s2)
                    + 2 * sd2i**2 / (n2i * s2)
                )
        else:  # ROM
            yi = np.log(m1i / m2i)
            cv1, cv2 = sd1i / m1i, sd2i / m2i
            if vtype == "LS":
                vi = sd1i**2 / (n1i * m1i**2) + sd2i**2 / (n2i * m2i**2)
            elif vtype == "HO":
                vi = sdpi**2 / (n1i * m1i**2) + sdpi**2 / (n2i * m2i**2)
            elif vtype == "AV":
                vi = wmean(cv1, n1i) ** 2 / n1i + wmean(cv2, n2i) ** 2 / n2i
            else:  # AVHO: one coefficient of variation pooled over both arms of all studies
                ok = ~(np.isnan(n1i) | np.isnan(n2i) | np.isnan(cv1) | np.isnan(cv2))
                pooled = (np.sum(n1i[ok] * cv1[ok]) + np.sum(n2i[ok] * cv2[ok])) / np.sum(ni[ok])
                vi = pooled**2 * (1 / n1i + 1 / n2i)
    return yi, vi, ni


def change_scores(
    measure: str,
    m1i: FloatArray,
    sd1i: FloatArray,
    m2i: FloatArray,
    sd2i: FloatArray | None,
    ni: FloatArray,
    ri: FloatArray,
    *,
    vtype: str,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """MC (raw mean change), SMCC (change-score standardised) or SMCR (raw-score standardised).

    References
    ----------
    Gibbons, R. D., Hedeker, D. R., & Davis, J. M. (1993). Estimation of effect size from a series
    of experiments involving paired comparisons. Journal of Educational Statistics, 18(3),
    271-279. (SMCC)

    Becker, B. J. (1988). Synthesizing standardized mean-change measures. British Journal of
    Mathematical and Statistical Psychology, 41(2), 257-278. (SMCR)
    """
    if measure in ("SMCC", "SMCR"):
        vtype_check(measure, vtype, ("LS", "LS2"))
    check(sd1i < 0, sd1i, "sd1i", "standard deviation is negative")
    if sd2i is not None:
        check(sd2i < 0, sd2i, "sd2i", "standard deviation is negative")
    check(np.abs(ri) > 1, ri, "ri", "correlation is outside [-1, 1]")
    check(ni <= 0, ni, "ni", "sample size is not positive")
    mi = ni - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "SMCR":
            cmi = bias_correction(mi)
            di = (m1i - m2i) / sd1i
            yi = cmi * di
            if vtype == "LS":
                vi = 2 * (1 - ri) / ni + yi**2 / (2 * ni)
            else:
                vi = cmi**2 * (2 * (1 - ri) / ni + di**2 / (2 * ni))
            return yi, vi, ni.copy()
        if sd2i is None:
            raise InputError(f"Measure {measure} needs the argument(s) sd2i", column="sd2i")
        var_change = sd1i**2 + sd2i**2 - 2 * ri * sd1i * sd2i
        if measure == "MC":
            yi = m1i - m2i
            vi = var_change / ni
        else:  # SMCC
            cmi = bias_correction(mi)
            di = (m1i - m2i) / np.sqrt(var_change)
            yi = cmi * di
            if vtype == "LS":
                vi = 1 / ni + yi**2 / (2 * ni)
            else:
                vi = cmi**2 * (1 / ni + di**2 / (2 * ni))
    return yi, vi, ni.copy()


def correlation(
    measure: str, ri: FloatArray, ni: FloatArray, *, vtype: str
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """COR (raw correlation) or ZCOR (Fisher's r-to-z); variance undefined for ``ni <= 3``.

    References
    ----------
    Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation deduced from a
    small sample. Metron, 1, 3-32.
    """
    check(np.abs(ri) > 1, ri, "ri", "correlation is outside [-1, 1]")
    check(ni <= 0, ni, "ni", "sample size is not positive")
    if measure == "COR":
        vtype_check(measure, vtype, ("LS", "AV"))
    elif vtype == "UB":
        raise InputError("vtype 'UB' is only defined for measure UCOR", column="vtype")
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "COR":
            yi = ri.copy()
            r = wmean(yi, ni) if vtype == "AV" else yi
            vi = (1 - r**2) ** 2 / (ni - 1)
        else:
            yi = 0.5 * np.log((1 + ri) / (1 - ri))
            vi = 1 / (ni - 3)
    return yi, vi, ni.copy()
