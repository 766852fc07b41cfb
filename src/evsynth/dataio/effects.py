"""The effect-size table of ``evsynth meta``: columns named as metafor's escalc arguments.

Column sets (names are matched without regard to case):

=========================================  ===================================================
columns                                    measures
=========================================  ===================================================
``ai bi ci di`` (or ``ai n1i ci n2i``)     RR, OR (inferred), RD
``m1i sd1i n1i m2i sd2i n2i``              MD (inferred), SMD, SMDH, ROM
``m1i sd1i m2i sd2i ni ri``                MC, SMCC, SMCR (never inferred: give the measure;
                                           ``ri`` may come from ``pre_post_r``; SMCR needs no
                                           ``sd2i``)
``xi ni`` (or ``xi mi``)                   PR (inferred), PLN, PLO, PAS, PFT
``ri ni``                                  ZCOR (inferred), COR
``yi vi`` or ``yi sei``                    GEN (inferred), or any measure as a label of the scale
=========================================  ===================================================

Without a measure the first rule that applies wins: ``yi`` -> GEN; 2x2 columns -> OR; two-group
means -> MD; ``xi`` -> PR; ``ri`` with ``ni`` and no means -> ZCOR. With a measure whose own
columns are absent but ``yi`` is present, ``yi`` with ``vi``/``sei`` is used and the measure names
its scale (as metafor's escalc does).

A label column ``study`` (or ``slab``, ``author``) names the studies; every other column is kept
in the returned table as a possible moderator. Each problem a person can fix raises
:class:`evsynth.errors.InputError` naming the file, the line and the column.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from evsynth.dataio.tables import Table, parse_bytes, read_table
from evsynth.errors import InputError
from evsynth.stats.escalc import (
    CHANGE,
    CORRELATIONS,
    MEASURES,
    PROPORTIONS,
    TWO_BY_TWO,
    TWO_GROUP_MEANS,
    EffectSizes,
    escalc,
)

if TYPE_CHECKING:
    import pandas as pd

LABEL_COLUMNS = ("study", "slab", "author")
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
MISSING_WORDS = {"", "na", "n/a", "nan", "null", "none", "-", "."}


class _Columns:
    """Case-insensitive access to a table's columns, parsed as numbers on request."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.index = {name.lower(): i for i, name in enumerate(table.header)}
        # keyed by (column, allow_missing): a strict read must not reuse a lenient one
        self.cache: dict[tuple[str, bool], np.ndarray] = {}

    def has(self, name: str) -> bool:
        return name in self.index

    def name(self, key: str) -> str:
        return self.table.header[self.index[key]]

    def numbers(self, key: str, *, allow_missing: bool = False) -> np.ndarray:
        if (key, allow_missing) in self.cache:
            return self.cache[key, allow_missing]
        i = self.index[key]
        out = _numbers([row[i] for row in self.table.rows], self.table, self.name(key),
                       allow_missing)  # fmt: skip
        self.cache[key, allow_missing] = out
        return out


def _fast_numbers(cells: list[Any], text: bool) -> np.ndarray | None:
    """The column as floats when every cell is a plain finite number, else None.

    numpy converts a whole column at C speed; anything unusual (a blank, text, a decimal comma,
    an infinity, Python's digit separators) falls back to the cell-by-cell path that names it.
    """
    if not text and any(isinstance(c, bool) for c in cells):
        return None
    try:
        out = np.asarray(cells, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if not np.all(np.isfinite(out)):
        return None
    joined = "".join(cells) if text else "".join(c for c in cells if isinstance(c, str))
    if "_" in joined:
        return None
    return out


def _numbers(cells: list[Any], table: Table, column: str, allow_missing: bool) -> np.ndarray:
    fast = _fast_numbers(cells, table.text_cells)
    if fast is not None:
        return fast
    return np.array(
        [
            _number(c, table.file, line, column, allow_missing)
            for c, line in zip(cells, table.lines, strict=True)
        ],
        dtype=np.float64,
    )


def _number(cell: Any, file: str, line: int, column: str, allow_missing: bool) -> float:
    if isinstance(cell, bool):
        raise InputError(f"expected a number, found {cell}", file=file, row=line, column=column)
    if isinstance(cell, int | float):
        value = float(cell)
    else:
        text = "" if cell is None else str(cell).strip()
        if text.lower() in MISSING_WORDS:
            if allow_missing:
                return math.nan
            raise InputError("missing value", file=file, row=line, column=column)
        if not NUMBER.match(text):
            hint = " (use a dot as the decimal mark)" if re.match(r"^-?\d+,\d+$", text) else ""
            raise InputError(
                f"expected a number, found '{text}'{hint}", file=file, row=line, column=column
            )
        value = float(text)
    if not math.isfinite(value):
        raise InputError(f"expected a finite number, found {value}", file=file, row=line,
                         column=column)  # fmt: skip
    return value


def _required_columns(measure: str, cols: _Columns, has_r: bool) -> list[str]:
    """The columns the measure needs, choosing among alternatives the ones present."""
    if measure in TWO_BY_TWO:
        b = "bi" if cols.has("bi") or not cols.has("n1i") else "n1i"
        d = "di" if cols.has("di") or not cols.has("n2i") else "n2i"
        return ["ai", b, "ci", d]
    if measure in TWO_GROUP_MEANS:
        return ["m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"]
    if measure in CHANGE:
        need = (
            ["m1i", "sd1i", "m2i", "sd2i", "ni"]
            if measure != "SMCR"
            else ["m1i", "sd1i", "m2i", "ni"]
        )
        return need if has_r else [*need, "ri"]
    if measure in PROPORTIONS:
        return ["xi", "mi" if cols.has("mi") and not cols.has("ni") else "ni"]
    if measure in CORRELATIONS:
        return ["ri", "ni"]
    return ["yi", "vi" if cols.has("vi") or not cols.has("sei") else "sei"]


def infer_measure(columns: list[str] | tuple[str, ...]) -> str:
    """The measure a table's columns imply (rule in the module docstring)."""
    have = {c.lower() for c in columns}
    if "yi" in have:
        return "GEN"
    if {"ai", "ci"} <= have and ({"bi", "di"} <= have or {"n1i", "n2i"} <= have):
        return "OR"
    if {"m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"} <= have:
        return "MD"
    if "xi" in have and ("ni" in have or "mi" in have):
        return "PR"
    if {"m1i", "m2i", "ni"} <= have:
        raise InputError(
            "the columns describe change from baseline (m1i, m2i, ni): choose the measure "
            "MC, SMCC or SMCR",
            row=1,
        )
    if {"ri", "ni"} <= have:
        return "ZCOR"
    raise InputError(
        "cannot tell the measure from the columns; expected ai bi ci di, "
        "m1i sd1i n1i m2i sd2i n2i, xi ni, ri ni, or yi with vi or sei",
        row=1,
    )


# ---- value checks: each returns the rows that are wrong and what is wrong with them ----------


def _at_least(
    v: dict[str, np.ndarray], keys: tuple[str, ...], minimum: float, why: str
) -> list[tuple[np.ndarray, str, str]]:
    return [(v[k] < minimum, k, f"sample size below {minimum:g}{why}") for k in keys if k in v]


def _checks(measure: str, v: dict[str, np.ndarray]) -> list[tuple[np.ndarray, str, str]]:
    """(bad rows, column, message) in the order a person would want to fix them."""
    out: list[tuple[np.ndarray, str, str]] = []
    for k in ("ai", "bi", "ci", "di", "xi", "mi"):
        if k in v:
            out.append((v[k] < 0, k, "negative count"))
    for k in ("sd1i", "sd2i"):
        if k in v:
            out.append((v[k] < 0, k, "negative standard deviation"))
    if "vi" in v:
        out.append((v["vi"] < 0, "vi", "negative variance"))
    if "sei" in v:
        out.append((v["sei"] < 0, "sei", "negative standard error"))
    if "ri" in v:
        out.append((np.abs(v["ri"]) > 1, "ri", "correlation outside [-1, 1]"))
    if measure in TWO_BY_TWO:
        out.extend(_at_least(v, ("n1i", "n2i"), 1, ""))
        for events, size in (("ai", "n1i"), ("ci", "n2i")):
            if size in v:
                out.append((v[events] > v[size], events, f"events exceed the group size {size}"))
    elif measure in TWO_GROUP_MEANS:
        out.extend(_at_least(v, ("n1i", "n2i"), 2, " (a standard deviation needs n of 2 or more)"))
        if measure == "ROM":
            for k in ("m1i", "m2i"):
                out.append((v[k] <= 0, k, "ROM needs positive means (a ratio of means)"))
    elif measure in CHANGE:
        if measure == "MC":
            out.extend(_at_least(v, ("ni",), 2, " (a standard deviation needs n of 2 or more)"))
        else:
            out.extend(_at_least(v, ("ni",), 3, " (the bias correction needs n of 3 or more)"))
    elif measure in PROPORTIONS:
        if "ni" in v:
            out.extend(_at_least(v, ("ni",), 1, ""))
            out.append((v["xi"] > v["ni"], "xi", "events exceed the sample size ni"))
    elif measure in CORRELATIONS:
        out.extend(
            _at_least(v, ("ni",), 4, " (the variance of a correlation needs n of 4 or more)")
        )
        if measure == "ZCOR":
            out.append(
                (np.abs(v["ri"]) == 1, "ri", "a correlation of exactly 1 or -1 has no Fisher z")
            )
    return out


def _labels(cols: _Columns) -> tuple[str, ...] | None:
    for key in LABEL_COLUMNS:
        if cols.has(key):
            i = cols.index[key]
            labels = []
            for row, line in zip(cols.table.rows, cols.table.lines, strict=True):
                cell = row[i]
                text = "" if cell is None else str(cell).strip()
                if not text:
                    raise InputError("missing study label", file=cols.table.file, row=line,
                                     column=cols.name(key))  # fmt: skip
                labels.append(text)
            return tuple(labels)
    return None


def _frame(table: Table, measure: str, parsed: dict[str, np.ndarray]) -> pd.DataFrame:
    """The table as read: numbers where a whole column is numeric, text otherwise; indexed by the
    line number of each row in the file. ``parsed`` holds the columns already converted."""
    import pandas as pd  # imported here, so that modules that only import this one start fast

    data: dict[str, Any] = {}
    for i, name in enumerate(table.header):
        if name.lower() in parsed:
            data[name] = parsed[name.lower()]
            continue
        cells = [row[i] for row in table.rows]
        try:
            data[name] = _numbers(cells, table, name, allow_missing=True)
        except InputError:
            data[name] = ["" if c is None else str(c).strip() for c in cells]
    frame = pd.DataFrame(data, index=pd.Index(table.lines, name="line"))
    frame.attrs["file"] = table.file
    frame.attrs["measure"] = measure
    return frame


def effects_from_table(
    table: Table, measure: str | None = None, *, pre_post_r: float | None = None
) -> tuple[EffectSizes, pd.DataFrame]:
    """Compute effect sizes from a parsed :class:`~evsynth.dataio.tables.Table`."""
    es, measure, parsed = _effects(table, measure, pre_post_r)
    return es, _frame(table, measure, parsed)


def effect_sizes_from_table(
    table: Table, measure: str | None = None, *, pre_post_r: float | None = None
) -> EffectSizes:
    """The effect sizes of :func:`effects_from_table` (the same checks and messages) without
    the DataFrame of the table, so without importing pandas: for commands that need no
    moderators (``evsynth gosh`` starts faster). :func:`table_frame` builds the frame later."""
    return _effects(table, measure, pre_post_r)[0]


def table_frame(table: Table, measure: str) -> pd.DataFrame:
    """The table as :func:`effects_from_table` returns it, for a table already checked by
    :func:`effect_sizes_from_table` (numeric columns are parsed again: same values)."""
    return _frame(table, measure, {})


def _effects(
    table: Table, measure: str | None, pre_post_r: float | None
) -> tuple[EffectSizes, str, dict[str, np.ndarray]]:
    file = table.file
    cols = _Columns(table)
    if pre_post_r is not None and not -1 <= pre_post_r <= 1:
        raise InputError(f"pre_post_r must be between -1 and 1, not {pre_post_r:g}",
                         column="pre_post_r")  # fmt: skip
    if measure is None:
        try:
            measure = infer_measure(table.header)
        except InputError as exc:
            raise exc.located(file=file) from None
    else:
        measure = measure.upper()
        if measure not in MEASURES:
            raise InputError(
                f"Invalid measure '{measure}'; expected one of {', '.join(MEASURES)}",
                column="measure",
            )
    has_r = pre_post_r is not None
    need = _required_columns(measure, cols, has_r)
    if measure != "GEN" and cols.has("yi") and not all(cols.has(k) for k in need):
        need = _required_columns("GEN", cols, has_r)  # precomputed yi, labelled with the measure
    for key in need:
        if not cols.has(key):
            raise InputError(f"measure {measure} needs this column", file=file, row=1, column=key)
    values = {key: cols.numbers(key) for key in need}
    if measure in CHANGE:
        if cols.has("ri"):
            # A blank ri cell takes the assumed correlation when one is given.
            r = cols.numbers("ri", allow_missing=has_r)
            fill = float(pre_post_r) if pre_post_r is not None else math.nan
            values["ri"] = np.where(np.isnan(r), fill, r)
        else:
            values["ri"] = np.full(len(table.rows), float(pre_post_r))  # type: ignore[arg-type]
        if measure == "SMCR" and cols.has("sd2i"):
            values["sd2i"] = cols.numbers("sd2i", allow_missing=True)
    # Report the first row with a problem (and its first problem), as a person reads the file.
    found = [
        (int(np.flatnonzero(bad)[0]), order, key, message)
        for order, (bad, key, message) in enumerate(_checks(measure, values))
        if np.any(bad)
    ]
    if found:
        j, _, key, message = min(found)
        column = cols.name(key) if cols.has(key) else key
        raise InputError(message, file=file, row=table.lines[j], column=column)
    if "ai" in values and "bi" in values and cols.has("n1i"):
        _consistent(cols, values, "n1i", ("ai", "bi"))
    if "ci" in values and "di" in values and cols.has("n2i"):
        _consistent(cols, values, "n2i", ("ci", "di"))
    labels = _labels(cols)
    try:
        arrays: dict[str, Any] = dict(values)
        es = escalc(measure, slab=labels, **arrays)
    except InputError as exc:  # a check above should have caught it; keep the file at least
        raise exc.located(file=file) from None
    return es, measure, {k: v for (k, _), v in cols.cache.items()}


def _consistent(
    cols: _Columns, values: dict[str, np.ndarray], total: str, parts: tuple[str, str]
) -> None:
    n = cols.numbers(total, allow_missing=True)
    bad = ~np.isnan(n) & (n != values[parts[0]] + values[parts[1]])
    if np.any(bad):
        j = int(np.flatnonzero(bad)[0])
        raise InputError(f"{total} is not {parts[0]} + {parts[1]}", file=cols.table.file,
                         row=cols.table.lines[j], column=cols.name(total))  # fmt: skip


def read_effect_table(
    path: str | Path, measure: str | None = None, *, pre_post_r: float | None = None
) -> tuple[EffectSizes, pd.DataFrame]:
    """Read a CSV or .xlsx effect-size table and compute its effect sizes.

    Parameters
    ----------
    path : str or Path
        CSV (UTF-8, a BOM is accepted; comma, or semicolon/tab when the header uses them) or
        ``.xlsx`` (first worksheet).
    measure : str, optional
        metafor's measure code; inferred from the columns when omitted (see the module docstring).
    pre_post_r : float, optional
        The correlation between baseline and follow-up assumed for MC/SMCC/SMCR when the table
        has no ``ri`` column, or for its blank cells.

    Returns
    -------
    (EffectSizes, pandas.DataFrame)
        The effect sizes (labels from ``study``/``slab``/``author``) and the table as read,
        indexed by file line number, for moderators and reports.

    Raises
    ------
    evsynth.errors.InputError
        Naming the file, the line (header = line 1; Excel: the sheet row) and the column.
    """
    return effects_from_table(read_table(path), measure, pre_post_r=pre_post_r)


def parse_effect_table(
    data: bytes, name: str, measure: str | None = None, *, pre_post_r: float | None = None
) -> tuple[EffectSizes, pd.DataFrame]:
    """As :func:`read_effect_table`, for content already in memory (an upload); ``name`` decides
    CSV or Excel and appears in error messages."""
    return effects_from_table(parse_bytes(data, name), measure, pre_post_r=pre_post_r)
