"""Changing rows of studies.csv, outcomes.csv and appraisals.csv, checked by the evidence layer.

Each change is validated by loading the whole project with the change applied, the same check
``evsynth review`` makes; only a project that loads is saved, with an audit event.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max

from evsynth.evidence.study import APPRAISAL_COLUMNS, OUTCOME_COLUMNS, STUDY_COLUMNS
from evsynth.web.appraisal.models import TableRow
from evsynth.web.lib import project_run
from evsynth.web.lib.audit import record_event
from evsynth.web.lib.project_io import TABLE_FILES, csv_text
from evsynth.web.reviews.models import Review

DEFAULT_COLUMNS = {
    "studies": list(STUDY_COLUMNS),
    "outcomes": list(OUTCOME_COLUMNS),
    "appraisals": list(APPRAISAL_COLUMNS),
}


# The columns that name a row in the audit trail.
KEY_COLUMNS = {
    "studies": ("study_id",),
    "outcomes": ("study_id", "arm", "outcome", "timepoint_months"),
    "appraisals": ("study_id", "instrument", "rater", "item"),
}


def columns(review: Review, table: str) -> list[str]:
    return list(review.tables.get(table) or DEFAULT_COLUMNS[table])


def rows(review: Review, table: str) -> list[TableRow]:
    return list(TableRow.objects.filter(review=review, table=table).order_by("position"))


def save_rows(
    review: Review,
    user: User,
    table: str,
    changes: list[tuple[TableRow | None, dict[str, str]]],
    action: str,
) -> None:
    """Apply ``(existing row or None for a new one, values)`` changes if the project still loads."""
    cols = columns(review, table)
    current = rows(review, table)
    updated: list[dict[str, Any]] = []
    replaced = {id(r): v for r, v in changes if r is not None}
    for r in current:
        updated.append({**r.row, **replaced[id(r)]} if id(r) in replaced else r.row)
    updated.extend({c: "" for c in cols} | v for r, v in changes if r is None)
    override = {TABLE_FILES[table]: csv_text(cols, updated).encode("utf-8")}
    for other in ("studies",):
        # A project needs studies.csv to load; an empty one stands in until the first study.
        if other != table and not TableRow.objects.filter(review=review, table=other).exists():
            override.setdefault(TABLE_FILES[other], csv_text(columns(review, other), []).encode())
    project_run.load(review, override)  # raises InputError naming file, line and column
    with transaction.atomic():
        if table not in review.tables:
            review.tables = {**review.tables, table: cols}
            review.save(update_fields=["tables"])
        start = (
            TableRow.objects.filter(review=review, table=table).aggregate(m=Max("position"))["m"]
            or 0
        ) + 1
        for existing, values in changes:
            merged = {**(existing.row if existing else {}), **values}
            target = f"{table}: " + " ".join(
                str(merged[k]) for k in KEY_COLUMNS[table] if merged.get(k) not in (None, "")
            )
            if existing is None:
                row = {c: "" for c in cols} | values
                TableRow.objects.create(review=review, table=table, position=start, row=row)
                start += 1
                record_event(review, user, action, target, previous=None, value=row)
            else:
                before = dict(existing.row)
                existing.row = {**existing.row, **values}
                if existing.row == before:
                    continue
                existing.save(update_fields=["row"])
                record_event(review, user, action, target, previous=before, value=existing.row)
