"""Distribution functions of the normal, t, chi-squared and F distributions (private).

The same special functions that ``scipy.stats`` evaluates (so results are identical), called
directly: importing ``scipy.special`` takes a fraction of the time of ``scipy.stats``, which
matters for the start-up of ``evsynth meta``.
"""

from __future__ import annotations

from typing import Any

from scipy import special


def norm_sf(x: Any) -> Any:
    """Upper tail of the standard normal distribution."""
    return special.ndtr(-x)


def norm_isf(q: Any) -> Any:
    """The standard normal quantile with upper tail ``q``."""
    return -special.ndtri(q)


def norm_ppf(q: Any) -> Any:
    """The standard normal quantile with lower tail ``q``."""
    return special.ndtri(q)


def t_sf(x: Any, df: Any) -> Any:
    """Upper tail of Student's t distribution."""
    return special.stdtr(df, -x)


def t_isf(q: Any, df: Any) -> Any:
    """Student's t quantile with upper tail ``q``."""
    return -special.stdtrit(df, q)


def chi2_sf(x: Any, df: Any) -> Any:
    """Upper tail of the chi-squared distribution."""
    return special.chdtrc(df, x)


def chi2_cdf(x: Any, df: Any) -> Any:
    """Lower tail of the chi-squared distribution."""
    return special.chdtr(df, x)


def chi2_isf(q: Any, df: Any) -> Any:
    """Chi-squared quantile with upper tail ``q``."""
    return special.chdtri(df, q)


def chi2_ppf(q: Any, df: Any) -> Any:
    """Chi-squared quantile with lower tail ``q``."""
    return 2.0 * special.gammaincinv(df / 2.0, q)


def f_sf(x: Any, df1: Any, df2: Any) -> Any:
    """Upper tail of the F distribution."""
    return special.fdtrc(df1, df2, x)
