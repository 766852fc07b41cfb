"""Argument checks shared by the pooling models (private).

Each check names the parameter, the value and what is allowed, and raises
:class:`evsynth.errors.InputError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from evsynth.errors import InputError
from evsynth.stats._linalg import FloatArray, has_full_rank
from evsynth.stats.tau2 import FIXED_METHODS, METHODS

TESTS = ("z", "knha")


def check_method(method: str) -> str:
    """Validate an estimator name (case-insensitive) and return metafor's spelling."""
    m = str(method).upper()
    if m not in METHODS:
        raise InputError(
            f"Invalid method '{method}'; expected one of {', '.join(METHODS)}", column="method"
        )
    return m


def check_test(test: str) -> str:
    """Validate the test for the coefficients: z or knha (Knapp-Hartung)."""
    t = str(test).lower()
    if t == "hksj":
        t = "knha"
    if t not in TESTS:
        raise InputError(f"Invalid test '{test}'; expected one of z, knha", column="test")
    return t


def check_level(level: float) -> float:
    """Confidence level in percent; metafor's convention that 0.95 also means 95 % applies."""
    try:
        lv = float(level)
    except (TypeError, ValueError):
        raise InputError(f"Invalid level '{level}'; expected a number between 0 and 100") from None
    if 0.0 < lv < 1.0:
        lv *= 100.0
    if not 0.0 < lv < 100.0:
        raise InputError(f"Invalid level '{level}'; expected a number between 0 and 100")
    return lv


def as_vector(x: ArrayLike, name: str) -> FloatArray:
    """A one-dimensional float array of finite numbers, or an InputError naming ``name``."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"'{name}' must contain numbers only", column=name) from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise InputError(f"'{name}' must be one-dimensional, got shape {arr.shape}", column=name)
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise InputError(
            f"'{name}' has a missing or non-finite value at position {bad[0] + 1}", column=name
        )
    return arr


def outcomes_and_variances(
    yi: ArrayLike, vi: ArrayLike | None, sei: ArrayLike | None
) -> tuple[FloatArray, FloatArray]:
    """Check ``yi`` with ``vi`` or ``sei`` and return (yi, vi)."""
    y = as_vector(yi, "yi")
    if vi is None and sei is None:
        raise InputError("Give the sampling variances 'vi' or the standard errors 'sei'")
    if vi is not None:
        v = as_vector(vi, "vi")
        name = "vi"
    else:
        assert sei is not None
        s = as_vector(sei, "sei")
        name = "sei"
        if np.any(s <= 0):
            pos = int(np.flatnonzero(s <= 0)[0]) + 1
            raise InputError(
                f"'sei' must be positive; study {pos} has {s[pos - 1]:g}", column="sei"
            )
        v = s**2
    if v.shape != y.shape:
        raise InputError(
            f"'yi' has {y.size} values but '{name}' has {v.size}; they must have the same length",
            column=name,
        )
    if np.any(v <= 0):
        pos = int(np.flatnonzero(v <= 0)[0]) + 1
        raise InputError(f"'{name}' must be positive; study {pos} has {v[pos - 1]:g}", column=name)
    if y.size == 0:
        raise InputError("No studies to pool: 'yi' is empty", column="yi")
    return y, v


def study_labels(slab: Sequence[Any] | None, k: int) -> tuple[str, ...]:
    """Study labels as strings; ``Study 1`` ... when none are given."""
    if slab is None:
        return tuple(f"Study {i + 1}" for i in range(k))
    labels = tuple(str(s) for s in slab)
    if len(labels) != k:
        raise InputError(f"'slab' has {len(labels)} labels for {k} studies", column="slab")
    return labels


def check_design(X: FloatArray, method: str) -> None:
    """Enough studies for the model's coefficients (and tau^2), and moderators not collinear:
    the checks of every fit, with their messages (``rma`` and the GOSH's model alike)."""
    k, p = X.shape
    fixed = method in FIXED_METHODS
    if not (k == 1 and p == 1) and (p if fixed else p + 1) > k:
        raise InputError(
            f"The model has {p} coefficient(s){'' if fixed else ' and tau^2'} to estimate "
            f"from only {k} studies"
        )
    if not has_full_rank(X):
        raise InputError("The moderators are collinear (model matrix not of full rank)")
