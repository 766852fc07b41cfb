"""Effect sizes from counts: 2x2 tables (RR, OR, RD) and single proportions (PR ... PFT).

Each function returns ``(yi, vi, ni)`` exactly as metafor 3.8's ``escalc`` computes them,
including its continuity correction: ``add`` is added to every cell of a table (``to="all"``),
of the tables with a zero cell (``"only0"``, the default), of all tables when any has a zero cell
(``"if0all"``) or never (``"none"``). metafor applies the correction to the risk difference too,
so a table with a zero cell gets a slightly shrunken RD; evsynth does the same, to match.
"""

from __future__ import annotations

import numpy as np

from evsynth.errors import InputError
from evsynth.stats.escalc_common import FloatArray, check, vtype_check, wmean

TO_OPTIONS = ("all", "only0", "if0all", "none")


def _cell_or_rest(
    measure: str,
    name: str,
    cell: FloatArray | None,
    events: FloatArray,
    total: FloatArray | None,
    total_name: str,
) -> FloatArray:
    """The non-event count: as given, or ``total - events`` where it is missing (metafor's
    ``replmiss``); a given count must agree with the total."""
    if cell is None and total is None:
        raise InputError(f"Measure {measure} needs {name} or {total_name}", column=name)
    events_name = {"bi": "ai", "di": "ci", "mi": "xi"}[name]
    if total is not None:
        what = "group size" if total_name != "ni" else "sample size"
        check(events > total, events, events_name, f"events are more than the {what} {total_name}")
    if cell is None:
        assert total is not None
        return total - events
    if total is None:
        return cell
    both = ~np.isnan(cell) & ~np.isnan(total) & ~np.isnan(events)
    check(both & (total != events + cell), total, total_name,
          f"{total_name} is not equal to {events_name} + {name}")  # fmt: skip
    return np.where(np.isnan(cell), total - events, cell)


def _correct(cells: list[FloatArray], add: float, to: str) -> list[FloatArray]:
    """Add ``add`` to the cells of the rows chosen by ``to`` (metafor's continuity correction)."""
    if to not in TO_OPTIONS:
        raise InputError(f"Invalid to '{to}'; expected one of {', '.join(TO_OPTIONS)}", column="to")
    if to == "none":
        return [c.copy() for c in cells]
    if to == "all":
        rows = np.ones(len(cells[0]), dtype=bool)
    else:
        rows = np.zeros(len(cells[0]), dtype=bool)
        for c in cells:
            rows |= c == 0
        if to == "if0all":
            rows[:] = bool(rows.any())
    return [np.where(rows, c + add, c) for c in cells]


def two_by_two(
    measure: str,
    ai: FloatArray,
    bi: FloatArray | None,
    ci: FloatArray,
    di: FloatArray | None,
    n1i: FloatArray | None,
    n2i: FloatArray | None,
    *,
    add: float,
    to: str,
    drop00: bool,
    vtype: str,
) -> tuple[FloatArray, FloatArray, FloatArray, tuple[FloatArray, ...]]:
    """RR (log risk ratio), OR (log odds ratio) or RD (risk difference) from 2x2 tables.

    Returns yi, vi, the total sample size and the uncorrected cells ``(ai, bi, ci, di)``.

    References
    ----------
    Fleiss, J. L., & Berlin, J. A. (2009). Effect sizes for dichotomous data. In H. Cooper,
    L. V. Hedges, & J. C. Valentine (Eds.), The handbook of research synthesis and meta-analysis
    (2nd ed., pp. 237-253). Russell Sage Foundation.
    """
    # metafor's replmiss: a missing bi/di is taken from n1i - ai / n2i - ci where those exist.
    bi = _cell_or_rest(measure, "bi", bi, ai, n1i, "n1i")
    di = _cell_or_rest(measure, "di", di, ci, n2i, "n2i")
    for name, cell in (("ai", ai), ("bi", bi), ("ci", ci), ("di", di)):
        check(cell < 0, cell, name, "count is negative")
    if measure == "RD":
        vtype_check(measure, vtype, ("UB", "LS", "AV"))
    ai, bi, ci, di = (np.asarray(c, dtype=np.float64).copy() for c in (ai, bi, ci, di))
    ni_total = ai + bi + ci + di
    if drop00:
        # Tables without events (or without non-events) in both arms carry no information on
        # a ratio; metafor drops them (NA) rather than correcting them.
        both = ((ai == 0) & (ci == 0)) | ((bi == 0) & (di == 0))
        for c in (ai, bi, ci, di):
            c[both] = np.nan
    raw = (ai.copy(), bi.copy(), ci.copy(), di.copy())
    a, b, c, d = _correct([ai, bi, ci, di], add, to)
    n1, n2 = a + b, c + d
    p1, p2 = a / n1, c / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "RR":
            yi = np.log(p1) - np.log(p2)
            vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
        elif measure == "OR":
            yi = np.log(p1 / (1 - p1)) - np.log(p2 / (1 - p2))
            vi = 1 / a + 1 / b + 1 / c + 1 / d
        else:  # RD
            yi = p1 - p2
            if vtype == "UB":
                vi = p1 * (1 - p1) / (n1 - 1) + p2 * (1 - p2) / (n2 - 1)
            elif vtype == "LS":
                vi = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
            else:  # AV: the sample-size weighted mean risk of each arm over studies
                m1, m2 = wmean(p1, n1), wmean(p2, n2)
                vi = m1 * (1 - m1) / n1 + m2 * (1 - m2) / n2
    return yi, vi, ni_total, raw


def proportion(
    measure: str,
    xi: FloatArray,
    mi: FloatArray | None,
    ni: FloatArray | None,
    *,
    add: float,
    to: str,
    vtype: str,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Single proportions: raw (PR), log (PLN), logit (PLO), arcsine (PAS), Freeman-Tukey (PFT).

    References
    ----------
    Freeman, M. F., & Tukey, J. W. (1950). Transformations related to the angular and the square
    root. The Annals of Mathematical Statistics, 21(4), 607-611.
    """
    mi = _cell_or_rest(measure, "mi", mi, xi, ni, "ni")
    check(xi < 0, xi, "xi", "count is negative")
    check(mi < 0, mi, "mi", "count is negative")
    check(xi + mi <= 0, xi + mi, "ni", "sample size is not positive")
    if measure in ("PR", "PLN", "PLO"):
        allowed = ("UB", "LS", "AV") if measure == "PR" else ("LS", "AV")
        vtype_check(measure, vtype, allowed)
    n_raw = xi + mi
    x, m = _correct([xi, mi], add, to)
    n = x + m
    p = x / n
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "PR":
            yi = p
            if vtype == "UB":
                vi = p * (1 - p) / (n - 1)
            elif vtype == "LS":
                vi = p * (1 - p) / n
            else:
                mp = wmean(p, n)
                vi = mp * (1 - mp) / n
        elif measure == "PLN":
            yi = np.log(p)
            vi = 1 / x - 1 / n if vtype == "LS" else 1 / (wmean(p, n) * n) - 1 / n
        elif measure == "PLO":
            yi = np.log(p / (1 - p))
            if vtype == "LS":
                vi = 1 / x + 1 / m
            else:
                mp = wmean(p, n)
                vi = 1 / (mp * n) + 1 / ((1 - mp) * n)
        elif measure == "PAS":
            yi = np.arcsin(np.sqrt(p))
            vi = 1 / (4 * n)
        else:  # PFT
            yi = 0.5 * (np.arcsin(np.sqrt(x / (n + 1))) + np.arcsin(np.sqrt((x + 1) / (n + 1))))
            vi = 1 / (4 * n + 2)
    return yi, vi, n_raw
