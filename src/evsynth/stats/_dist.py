"""Distribution functions of the normal, t, chi-squared and F distributions (private).

The same special functions that ``scipy.stats`` evaluates (so results are identical), called
directly: importing ``scipy.special`` takes a fraction of the time of ``scipy.stats``, which
matters for the start-up of ``evsynth meta``. Even ``scipy.special`` costs about 0.15 s to
import (it loads numpy's f2py and testing packages), so it is imported by the first call, not
with this module: commands that never ask for a p-value or a quantile never pay for it.
"""

from __future__ import annotations

from typing import Any


def norm_sf(x: Any) -> Any:
    """Upper tail of the standard normal distribution."""
    from scipy import special

    return special.ndtr(-x)


def norm_isf(q: Any) -> Any:
    """The standard normal quantile with upper tail ``q``."""
    from scipy import special

    return -special.ndtri(q)


def norm_ppf(q: Any) -> Any:
    """The standard normal quantile with lower tail ``q``."""
    from scipy import special

    return special.ndtri(q)


def t_sf(x: Any, df: Any) -> Any:
    """Upper tail of Student's t distribution."""
    from scipy import special

    return special.stdtr(df, -x)


def t_isf(q: Any, df: Any) -> Any:
    """Student's t quantile with upper tail ``q``."""
    from scipy import special

    return -special.stdtrit(df, q)


def chi2_sf(x: Any, df: Any) -> Any:
    """Upper tail of the chi-squared distribution."""
    from scipy import special

    return special.chdtrc(df, x)


def chi2_cdf(x: Any, df: Any) -> Any:
    """Lower tail of the chi-squared distribution."""
    from scipy import special

    return special.chdtr(df, x)


def chi2_isf(q: Any, df: Any) -> Any:
    """Chi-squared quantile with upper tail ``q``."""
    from scipy import special

    return special.chdtri(df, q)


def chi2_ppf(q: Any, df: Any) -> Any:
    """Chi-squared quantile with lower tail ``q``."""
    from scipy import special

    return 2.0 * special.gammaincinv(df / 2.0, q)


def f_sf(x: Any, df1: Any, df2: Any) -> Any:
    """Upper tail of the F distribution."""
    from scipy import special

    return special.fdtrc(df1, df2, x)
