"""Published results to reproduce: what a source paper printed, beside what evsynth computes.

A project may carry ``published.csv`` (columns ``analysis model statistic value source``); the
bundled examples' files live in this package's ``data/published/<slug>.csv``. Comparing is a
matter of rounding: a printed value agrees when evsynth's value rounds to it.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from evsynth.errors import InputError
from evsynth.review.methods_check import PrintedHeterogeneity
from evsynth.review.model import AnalysisRun, ReproductionRow

if TYPE_CHECKING:
    from evsynth.evidence.project import ReviewProject
    from evsynth.stats.results import RMAResult

PUBLISHED_FILE = "published.csv"
COLUMNS = ("analysis", "model", "statistic", "value", "source")


def _read(text: str, file: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS[:4] if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=file, row=1)
    rows = []
    for line, row in enumerate(reader, start=2):
        try:
            float(row["value"])
        except (TypeError, ValueError):
            raise InputError(
                f"not a number: {row['value']!r}", file=file, row=line, column="value"
            ) from None
        rows.append(row)
    return rows


def published_rows(project: ReviewProject, slug: str) -> list[dict[str, str]]:
    """The published values of ``project``: its own file, else the bundled one for ``slug``."""
    if project.path is not None:
        own = Path(project.path) / PUBLISHED_FILE
        if own.is_file():
            return _read(own.read_text(encoding="utf-8"), str(own))
    bundled = resources.files("evsynth.review").joinpath(f"data/published/{slug}.csv")
    if bundled.is_file():
        return _read(bundled.read_text(encoding="utf-8"), f"{slug}.csv")
    return []


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def _agrees_to(recomputed: float, printed: float, decimals: int) -> int | None:
    # The most decimals (up to the printed ones) at which both round to the same number; a
    # small epsilon absorbs binary representation (2.675 stored as 2.67499...).
    for d in range(decimals, -1, -1):
        if abs(recomputed - printed) <= 0.5 * 10.0**-d + 1e-12:
            return d
    return None


def reproduction(
    rows: list[dict[str, str]],
    analyses: tuple[AnalysisRun, ...],
    extra_fits: Mapping[tuple[str, str], RMAResult] | None = None,
) -> tuple[ReproductionRow, ...]:
    """Each printed value beside the recomputed one from the same model.

    ``extra_fits`` holds fits of models the run does not show but the source printed (for
    example the DerSimonian-Laird tau-squared that Comprehensive Meta-Analysis prints), keyed by
    (analysis id, model code).
    """
    by_id = {a.id: a for a in analyses}
    extra = dict(extra_fits or {})
    out = []
    for row in rows:
        a = by_id.get(row["analysis"])
        model = row["model"]
        fit = extra.get((row["analysis"], model))
        if a is not None and a.fixed.method == model:
            fit = a.fixed
        elif a is not None and a.random.method == model:
            fit = a.random
        recomputed = None
        if fit is not None and hasattr(fit, row["statistic"]):
            value = float(getattr(fit, row["statistic"]))
            recomputed = value if math.isfinite(value) else None
        printed = float(row["value"])
        d = _decimals(row["value"].strip())
        out.append(
            ReproductionRow(
                analysis=row["analysis"],
                model=model,
                statistic=row["statistic"],
                printed=printed,
                printed_text=row["value"].strip(),
                recomputed=recomputed,
                agrees_to=None if recomputed is None else _agrees_to(recomputed, printed, d),
                printed_decimals=d,
                source=row.get("source", "") or "",
            )
        )
    return tuple(out)


def models_needed(
    rows: list[dict[str, str]], analyses: tuple[AnalysisRun, ...]
) -> list[tuple[str, str]]:
    """(analysis id, model) pairs the source printed but the run did not fit."""
    fitted = {(a.id, m) for a in analyses for m in (a.fixed.method, a.random.method)}
    known = {a.id for a in analyses}
    need = []
    for row in rows:
        key = (row["analysis"], row["model"])
        if key[0] in known and key not in fitted and key not in need:
            need.append(key)
    return need


def printed_heterogeneity(rows: list[dict[str, str]]) -> tuple[PrintedHeterogeneity, ...]:
    """Printed (Q, df, p) triples, for the consistency rule of the methods check."""
    values: dict[str, dict[str, float]] = {}
    for row in rows:
        if row["statistic"] in ("Q", "Q_df", "Q_p"):
            values.setdefault(row["analysis"], {})[row["statistic"]] = float(row["value"])
    return tuple(
        PrintedHeterogeneity(aid, v["Q"], int(v["Q_df"]), v["Q_p"])
        for aid, v in values.items()
        if {"Q", "Q_df", "Q_p"} <= v.keys()
    )
