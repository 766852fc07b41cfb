"""Shared pieces of the effect-size calculations: array checks and small formulas.

The checks mirror the ones metafor's ``escalc`` makes before computing, but name the argument
and the first offending study so that a person can find and fix the value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from evsynth.errors import InputError

FloatArray = NDArray[np.float64]
ArrayLike = Sequence[float] | NDArray[Any] | float | int | None


def as_array(value: Any, name: str) -> FloatArray | None:
    """Convert an array-like argument to a 1-d float array (``None`` stays ``None``).

    Missing values (``None``, NaN) become NaN, which propagates to the effect size as metafor's
    ``NA`` does.
    """
    if value is None:
        return None
    try:  # the common case at C speed; numpy turns None into NaN itself
        arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError):
        pass
    else:
        if arr.ndim != 1:
            raise InputError(f"Argument '{name}' must be one-dimensional", column=name)
        return arr.copy()
    try:
        arr = np.asarray(
            [np.nan if v is None else v for v in np.atleast_1d(np.asarray(value, dtype=object))],
            dtype=np.float64,
        )
    except (TypeError, ValueError) as exc:
        raise InputError(f"Argument '{name}' must be numeric ({exc})", column=name) from None
    if arr.ndim != 1:
        raise InputError(f"Argument '{name}' must be one-dimensional", column=name)
    return arr


def require(measure: str, **arrays: FloatArray | None) -> dict[str, FloatArray]:
    """Check that every named argument was given and that all have the same length."""
    missing = [name for name, arr in arrays.items() if arr is None]
    if missing:
        raise InputError(
            f"Measure {measure} needs the argument(s) {', '.join(missing)}",
            column=missing[0],
        )
    given = {name: arr for name, arr in arrays.items() if arr is not None}
    lengths = {len(arr) for arr in given.values()}
    if len(lengths) > 1:
        detail = ", ".join(f"{name}={len(arr)}" for name, arr in given.items())
        raise InputError(f"Arguments are not all of the same length ({detail})")
    return given


def same_length(*arrays: FloatArray | None) -> None:
    """Check that the optional arrays that were given share one length."""
    lengths = {len(a) for a in arrays if a is not None}
    if len(lengths) > 1:
        raise InputError("Arguments are not all of the same length")


def check(bad: NDArray[np.bool_], values: FloatArray, name: str, what: str) -> None:
    """Raise for the first study where ``bad`` holds (NaN comparisons are never bad)."""
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{what} (study {i + 1}: {values[i]:g})", column=name)


def wmean(x: FloatArray, w: FloatArray) -> float:
    """Weighted mean over the pairs where both are present (metafor's ``.wmean``, na.rm)."""
    ok = ~(np.isnan(x) | np.isnan(w))
    return float(np.sum(x[ok] * w[ok]) / np.sum(w[ok]))


def bias_correction(mi: FloatArray) -> FloatArray:
    """Exact small-sample correction factor c(m) of Hedges (1981) for ``mi`` degrees of freedom.

    ``c(m) = Gamma(m/2) / (sqrt(m/2) * Gamma((m-1)/2))``, undefined (NaN) for ``m <= 1`` as in
    metafor.

    References
    ----------
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and related
    estimators. Journal of Educational Statistics, 6(2), 107-128.
    """
    from scipy.special import gammaln  # imported here: only SMD-type measures need it

    out = np.full_like(mi, np.nan)
    ok = mi > 1
    m = mi[ok]
    out[ok] = np.exp(gammaln(m / 2) - np.log(np.sqrt(m / 2)) - gammaln((m - 1) / 2))
    return out


def vtype_check(measure: str, vtype: str, allowed: tuple[str, ...]) -> None:
    """Reject a variance type that metafor does not define for the measure."""
    if vtype not in allowed:
        raise InputError(
            f"Invalid vtype '{vtype}' for measure {measure}; expected one of {', '.join(allowed)}",
            column="vtype",
        )
