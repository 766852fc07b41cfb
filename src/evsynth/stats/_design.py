"""Design matrices from moderators, coded as R's ``model.matrix`` does (private).

Numeric columns enter as they are; text, boolean and categorical columns are expanded into
indicator columns with treatment coding, the first level (in sorted order, or the category order
of a pandas Categorical) being the reference, so coefficients match metafor's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from evsynth.errors import InputError
from evsynth.stats._linalg import FloatArray

if TYPE_CHECKING:
    import pandas as pd


def design_matrix(mods: Any, k: int, intercept: bool = True) -> tuple[FloatArray, tuple[str, ...]]:
    """Return the k x p design matrix and its column names (``intrcpt`` first)."""
    cols: list[FloatArray] = []
    names: list[str] = []
    if intercept:
        cols.append(np.ones(k))
        names.append("intrcpt")
    if mods is not None:
        # only a meta-regression needs pandas; a model without moderators starts faster
        import pandas as pd
    if mods is None:
        pass
    elif isinstance(mods, (pd.DataFrame, dict)):
        frame = pd.DataFrame(mods) if isinstance(mods, dict) else mods
        if len(frame) != k:
            raise InputError(f"'mods' has {len(frame)} rows for {k} studies", column="mods")
        for name in frame.columns:
            c, n = _expand(frame[name], str(name))
            cols.extend(c)
            names.extend(n)
    else:
        arr = np.asarray(mods)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
            base = ["mods"]
        elif arr.ndim == 2:
            base = [f"mods{j + 1}" for j in range(arr.shape[1])]
        else:
            raise InputError(f"'mods' must be a vector or matrix, got shape {arr.shape}")
        if arr.shape[0] != k:
            raise InputError(f"'mods' has {arr.shape[0]} rows for {k} studies", column="mods")
        if arr.shape[1] == 1:
            base = ["mods"]
        for j in range(arr.shape[1]):
            c, n = _expand(pd.Series(arr[:, j]), base[j])
            cols.extend(c)
            names.extend(n)
    if not cols:
        raise InputError("The model has no coefficients (no intercept and no moderators)")
    return np.column_stack(cols).astype(np.float64), tuple(names)


def _expand(series: pd.Series, name: str) -> tuple[list[FloatArray], list[str]]:
    import pandas as pd

    if series.isna().any():
        row = int(np.flatnonzero(series.isna().to_numpy())[0]) + 1
        raise InputError(f"moderator '{name}' is missing for study {row}", column=name)
    if isinstance(series.dtype, pd.CategoricalDtype):
        levels = [str(x) for x in series.cat.categories if (series == x).any()]
        values = series.astype(str).to_numpy()
    elif pd.api.types.is_bool_dtype(series.dtype):
        # R turns logical moderators into one indicator column named <name>TRUE
        return [series.to_numpy(dtype=np.float64)], [f"{name}TRUE"]
    elif pd.api.types.is_numeric_dtype(series.dtype):
        return [series.to_numpy(dtype=np.float64)], [name]
    else:
        numeric = pd.to_numeric(series, errors="coerce")
        if not numeric.isna().any():
            return [numeric.to_numpy(dtype=np.float64)], [name]
        values = series.astype(str).to_numpy()
        levels = sorted(set(values))
    return [(values == lev).astype(np.float64) for lev in levels[1:]], [
        f"{name}{lev}" for lev in levels[1:]
    ]
