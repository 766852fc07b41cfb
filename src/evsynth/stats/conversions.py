"""Conversions that papers force on reviewers: the SD a paper did not report, recovered from what
it did report.

- A standard error, a confidence interval, a t statistic or a two-sided p-value, to a standard
  deviation (Cochrane Handbook, section 6.5.2), for one group's mean or for a difference between
  two groups' means.
- The median with the range and/or the interquartile range, to a mean and SD: Wan et al. (2014)
  for the SD, Luo et al. (2018) (default) or Wan et al. (2014) for the mean. They assume roughly
  normal data; a paper that reports medians often does so because its data are skewed, which is
  worth a sensitivity analysis.

Every function accepts scalars or arrays (one value per study) and returns the same shape:
a float for scalar inputs, a numpy array otherwise.

References
----------
Higgins, J. P. T., Li, T., & Deeks, J. J. (Eds.). (2023). Chapter 6: Choosing effect measures and
computing estimates of effect. In Cochrane Handbook for Systematic Reviews of Interventions
(version 6.4), section 6.5.2.

Wan, X., Wang, W., Liu, J., & Tong, T. (2014). Estimating the sample mean and standard deviation
from the sample size, median, range and/or interquartile range. BMC Medical Research
Methodology, 14, 135. https://doi.org/10.1186/1471-2288-14-135

Luo, D., Wan, X., Liu, J., & Tong, T. (2018). Optimally estimating the sample mean from the sample
size, median, mid-range, and/or mid-quartile range. Statistical Methods in Medical Research,
27(6), 1785-1805. https://doi.org/10.1177/0962280216669183
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from evsynth.errors import InputError
from evsynth.stats.escalc_common import FloatArray

if TYPE_CHECKING:
    import pandas as pd

Distribution = Literal["normal", "t"]


def _arr(value: Any, name: str) -> FloatArray:
    try:
        arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError):
        raise InputError(f"Argument '{name}' must be numeric", column=name) from None
    return arr


def _shape(out: FloatArray, *inputs: Any) -> Any:
    """Return a float when every input was a scalar, else the array."""
    if all(np.ndim(v) == 0 for v in inputs if v is not None):
        return float(out.reshape(-1)[0])
    return out


# scipy.stats takes about half a second to import: only the functions that need a quantile load it
def _norm_ppf(q: Any) -> Any:
    from scipy import stats

    return stats.norm.ppf(q)


def _t_ppf(q: Any, df: Any) -> Any:
    from scipy import stats

    return stats.t.ppf(q, df)


def _fail(bad: Any, values: FloatArray, name: str, what: str) -> None:
    bad = np.broadcast_to(np.asarray(bad), values.shape)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{what} (study {i + 1}: {values.reshape(-1)[i]:g})", column=name)


def _critical(level: float, df: FloatArray | None) -> FloatArray:
    """Two-sided critical value of the normal (df None) or t distribution."""
    if not 0 < level < 100:
        raise InputError(
            f"Invalid level {level}; expected a percentage in (0, 100)", column="level"
        )
    q = 1 - (1 - level / 100) / 2
    if df is None:
        return np.atleast_1d(np.float64(_norm_ppf(q)))
    return np.asarray(_t_ppf(q, df), dtype=np.float64)


def _check_dist(dist: str) -> None:
    if dist not in ("normal", "t"):
        raise InputError(f"Invalid dist '{dist}'; expected one of normal, t", column="dist")


def _check_n(n: FloatArray, name: str, minimum: float) -> None:
    _fail(~(n >= minimum), n, name, f"sample size must be at least {minimum:g}")


def sd_from_se(se: Any, n: Any) -> Any:
    """SD of one group from the standard error of its mean: ``SD = SE * sqrt(n)``.

    References
    ----------
    Cochrane Handbook for Systematic Reviews of Interventions, section 6.5.2.2.
    """
    s, nn = _arr(se, "se"), _arr(n, "n")
    _fail(s < 0, s, "se", "standard error is negative")
    _check_n(nn, "n", 1)
    return _shape(s * np.sqrt(nn), se, n)


def se_from_ci(lower: Any, upper: Any, *, level: float = 95.0, df: Any = None) -> Any:
    """Standard error from a symmetric confidence interval: ``(upper - lower) / (2 * crit)``.

    ``crit`` is the normal quantile (1.96 for 95 %) or, with ``df``, the t quantile. For a
    ratio measure pass the interval on the log scale.
    """
    lo, hi = _arr(lower, "lower"), _arr(upper, "upper")
    _fail(hi < lo, hi, "upper", "upper confidence limit is below the lower limit")
    crit = _critical(level, None if df is None else _arr(df, "df"))
    return _shape((hi - lo) / (2 * crit), lower, upper, df)


def sd_from_ci(
    lower: Any, upper: Any, n: Any, *, level: float = 95.0, dist: Distribution = "normal"
) -> Any:
    """SD of one group from the confidence interval of its mean.

    ``SD = sqrt(n) * (upper - lower) / (2 * crit)``; ``crit`` is 1.96 for a 95 % interval, or
    with ``dist="t"`` the t quantile with ``n - 1`` degrees of freedom, which the Handbook
    recommends for small samples.

    References
    ----------
    Cochrane Handbook for Systematic Reviews of Interventions, section 6.5.2.2.
    """
    _check_dist(dist)
    nn = _arr(n, "n")
    _check_n(nn, "n", 2 if dist == "t" else 1)
    se = np.asarray(se_from_ci(_arr(lower, "lower"), _arr(upper, "upper"), level=level,
                               df=nn - 1 if dist == "t" else None))  # fmt: skip
    return _shape(se * np.sqrt(nn), lower, upper, n)


def _sd_from_se_difference(se: FloatArray, n1: FloatArray, n2: FloatArray) -> FloatArray:
    return np.asarray(se / np.sqrt(1 / n1 + 1 / n2), dtype=np.float64)


def sd_from_ci_difference(
    lower: Any,
    upper: Any,
    n1: Any,
    n2: Any,
    *,
    level: float = 95.0,
    dist: Distribution = "t",
) -> Any:
    """Within-group SD (the same for both groups) from the CI of a difference in means.

    ``SE = (upper - lower) / (2 * crit)`` with the t quantile on ``n1 + n2 - 2`` degrees of
    freedom (or the normal quantile), then ``SD = SE / sqrt(1/n1 + 1/n2)``.

    References
    ----------
    Cochrane Handbook for Systematic Reviews of Interventions, section 6.5.2.3.
    """
    _check_dist(dist)
    a, b = _arr(n1, "n1"), _arr(n2, "n2")
    _check_n(a, "n1", 1)
    _check_n(b, "n2", 1)
    df = a + b - 2 if dist == "t" else None
    if df is not None:
        _fail(df < 1, a, "n1", "n1 + n2 must be at least 3 for a t interval")
    se = np.asarray(se_from_ci(_arr(lower, "lower"), _arr(upper, "upper"), level=level, df=df))
    return _shape(_sd_from_se_difference(se, a, b), lower, upper, n1, n2)


def sd_from_t_difference(difference: Any, t: Any, n1: Any, n2: Any) -> Any:
    """Within-group SD from a two-sample t statistic: ``SE = |MD / t|``, then as above.

    References
    ----------
    Cochrane Handbook for Systematic Reviews of Interventions, section 6.5.2.3.
    """
    md, tt = _arr(difference, "difference"), _arr(t, "t")
    a, b = _arr(n1, "n1"), _arr(n2, "n2")
    _check_n(a, "n1", 1)
    _check_n(b, "n2", 1)
    _fail(tt == 0, tt, "t", "a t statistic of 0 carries no information on the SD")
    return _shape(_sd_from_se_difference(np.abs(md / tt), a, b), difference, t, n1, n2)


def sd_from_p_difference(
    difference: Any, p: Any, n1: Any, n2: Any, *, dist: Distribution = "t"
) -> Any:
    """Within-group SD from a mean difference and its two-sided p-value.

    The p-value gives the test statistic (t on ``n1 + n2 - 2`` degrees of freedom, or normal),
    ``SE = |MD| / statistic`` and ``SD = SE / sqrt(1/n1 + 1/n2)``. A p-value reported only as a
    bound ("p < 0.05") gives, taken at the bound, a conservative (larger) SD.

    References
    ----------
    Cochrane Handbook for Systematic Reviews of Interventions, section 6.5.2.3.
    """
    _check_dist(dist)
    md, pp = _arr(difference, "difference"), _arr(p, "p")
    a, b = _arr(n1, "n1"), _arr(n2, "n2")
    _fail(~((pp > 0) & (pp < 1)), pp, "p", "p-value must be between 0 and 1 (exclusive)")
    _check_n(a, "n1", 1)
    _check_n(b, "n2", 1)
    q = 1 - pp / 2
    if dist == "t":
        _fail(a + b - 2 < 1, a, "n1", "n1 + n2 must be at least 3 for a t test")
        statistic = _t_ppf(q, a + b - 2)
    else:
        statistic = _norm_ppf(q)
    se = np.abs(md) / statistic
    return _shape(_sd_from_se_difference(se, a, b), difference, p, n1, n2)


def se_from_p(estimate: Any, p: Any, *, df: Any = None) -> Any:
    """Standard error of an estimate from its two-sided p-value (normal, or t with ``df``).

    For ratio measures pass the log of the ratio.
    """
    est, pp = _arr(estimate, "estimate"), _arr(p, "p")
    _fail(~((pp > 0) & (pp < 1)), pp, "p", "p-value must be between 0 and 1 (exclusive)")
    q = 1 - pp / 2
    statistic = _norm_ppf(q) if df is None else _t_ppf(q, _arr(df, "df"))
    return _shape(np.abs(est) / statistic, estimate, p, df)


# ---- median, range and interquartile range ---------------------------------------------------


@dataclass(frozen=True)
class MeanSD:
    """A mean and SD estimated from quantiles, with how they were obtained.

    Attributes
    ----------
    mean, sd : float or numpy.ndarray
        The estimates (arrays when the inputs were arrays).
    scenario : str
        Which summary was reported: ``"min-median-max"``, ``"min-q1-median-q3-max"`` or
        ``"q1-median-q3"``.
    mean_method, sd_method : str
        ``"luo2018"`` or ``"wan2014"``; the SD is always ``"wan2014"``.
    """

    mean: Any
    sd: Any
    scenario: str
    mean_method: str
    sd_method: str = "wan2014"

    def to_frame(self) -> pd.DataFrame:
        """One row per study: mean, sd."""
        import pandas as pd

        return pd.DataFrame({"mean": np.atleast_1d(self.mean), "sd": np.atleast_1d(self.sd)})

    def summary(self) -> str:
        """How the numbers were obtained, for a methods section."""
        means = {"luo2018": "Luo et al. (2018)", "wan2014": "Wan et al. (2014)"}
        return (
            f"Mean and SD estimated from the {self.scenario} summary: mean by "
            f"{means[self.mean_method]}, SD by Wan et al. (2014)."
        )


def range_divisor(n: Any) -> Any:
    """Wan et al.'s ``xi(n) = 2 * Phi^-1((n - 0.375) / (n + 0.25))``, the expected range of a
    normal sample of size ``n`` in SD units (Blom's approximation)."""
    nn = _arr(n, "n")
    return _shape(2 * _norm_ppf((nn - 0.375) / (nn + 0.25)), n)


def iqr_divisor(n: Any) -> Any:
    """Wan et al.'s ``eta(n) = 2 * Phi^-1((0.75 n - 0.125) / (n + 0.25))``, the expected
    interquartile range of a normal sample of size ``n`` in SD units."""
    nn = _arr(n, "n")
    return _shape(2 * _norm_ppf((0.75 * nn - 0.125) / (nn + 0.25)), n)


def mean_sd_from_quantiles(
    n: Any,
    median: Any,
    *,
    minimum: Any = None,
    maximum: Any = None,
    q1: Any = None,
    q3: Any = None,
    mean_method: Literal["luo2018", "wan2014"] = "luo2018",
) -> MeanSD:
    """Estimate a sample's mean and SD from its median with the range and/or quartiles.

    Give ``minimum`` and ``maximum``, or ``q1`` and ``q3``, or all four. Formulas, with
    ``a, q1, m, q3, b`` the minimum, quartiles, median and maximum, ``xi(n)`` and ``eta(n)`` as in
    :func:`range_divisor` and :func:`iqr_divisor`:

    ============================  ===========================================  =================
    reported                      mean (Luo 2018; Wan 2014)                    SD (Wan 2014)
    ============================  ===========================================  =================
    a, m, b                       w (a+b)/2 + (1-w) m, w = 4/(4+n^0.75);       (b-a)/xi
                                  (a+2m+b)/4
    a, q1, m, q3, b               w1 (a+b)/2 + w2 (q1+q3)/2 + (1-w1-w2) m,     ((b-a)/xi +
                                  w1 = 2.2/(2.2+n^0.75), w2 = 0.7-0.72/n^0.55;  (q3-q1)/eta) / 2
                                  (a+2q1+2m+2q3+b)/8
    q1, m, q3                     w (q1+q3)/2 + (1-w) m, w = 0.7+0.39/n;       (q3-q1)/eta
                                  (q1+m+q3)/3
    ============================  ===========================================  =================

    References
    ----------
    Wan, X., Wang, W., Liu, J., & Tong, T. (2014). BMC Medical Research Methodology, 14, 135.

    Luo, D., Wan, X., Liu, J., & Tong, T. (2018). Statistical Methods in Medical Research, 27(6),
    1785-1805.
    """
    if mean_method not in ("luo2018", "wan2014"):
        raise InputError(
            f"Invalid mean_method '{mean_method}'; expected one of luo2018, wan2014",
            column="mean_method",
        )
    has_range = minimum is not None or maximum is not None
    has_iqr = q1 is not None or q3 is not None
    if has_range and (minimum is None or maximum is None):
        missing = "minimum" if minimum is None else "maximum"
        raise InputError("Give both the minimum and the maximum", column=missing)
    if has_iqr and (q1 is None or q3 is None):
        raise InputError("Give both quartiles q1 and q3", column="q1" if q1 is None else "q3")
    if not (has_range or has_iqr):
        raise InputError("Give the range (minimum, maximum) and/or the quartiles (q1, q3)")
    nn, m = _arr(n, "n"), _arr(median, "median")
    _check_n(nn, "n", 2)
    order: list[tuple[str, FloatArray]] = []
    if has_range:
        order.append(("minimum", _arr(minimum, "minimum")))
    if has_iqr:
        order.append(("q1", _arr(q1, "q1")))
    order.append(("median", m))
    if has_iqr:
        order.append(("q3", _arr(q3, "q3")))
    if has_range:
        order.append(("maximum", _arr(maximum, "maximum")))
    for (low_name, low), (high_name, high) in itertools.pairwise(order):
        _fail(high < low, high, high_name, f"{high_name} is below {low_name}")
    values = dict(order)
    xi = np.asarray(range_divisor(nn))
    eta = np.asarray(iqr_divisor(nn))
    if has_range and has_iqr:
        a, lq, uq, b = values["minimum"], values["q1"], values["q3"], values["maximum"]
        scenario = "min-q1-median-q3-max"
        sd = 0.5 * ((b - a) / xi + (uq - lq) / eta)
        if mean_method == "luo2018":
            w1 = 2.2 / (2.2 + nn**0.75)
            w2 = 0.7 - 0.72 / nn**0.55
            mean = w1 * (a + b) / 2 + w2 * (lq + uq) / 2 + (1 - w1 - w2) * m
        else:
            mean = (a + 2 * lq + 2 * m + 2 * uq + b) / 8
    elif has_range:
        a, b = values["minimum"], values["maximum"]
        scenario = "min-median-max"
        sd = (b - a) / xi
        if mean_method == "luo2018":
            w = 4 / (4 + nn**0.75)
            mean = w * (a + b) / 2 + (1 - w) * m
        else:
            mean = (a + 2 * m + b) / 4
    else:
        lq, uq = values["q1"], values["q3"]
        scenario = "q1-median-q3"
        sd = (uq - lq) / eta
        if mean_method == "luo2018":
            w = 0.7 + 0.39 / nn
            mean = w * (lq + uq) / 2 + (1 - w) * m
        else:
            mean = (lq + m + uq) / 3
    inputs = (n, median, minimum, maximum, q1, q3)
    return MeanSD(
        mean=_shape(np.asarray(mean, dtype=np.float64), *inputs),
        sd=_shape(np.asarray(sd, dtype=np.float64), *inputs),
        scenario=scenario,
        mean_method=mean_method,
    )
