"""The records layer's objects from the database and back (imports go through its importers)."""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path, PurePath
from typing import Any

from django.db import transaction
from django.db.models import Max

from evsynth.records.model import Link, Record, RecordSet, Source
from evsynth.web.reviews.models import Review
from evsynth.web.screening.models import LinkRow
from evsynth.web.screening.models import Record as RecordRow
from evsynth.web.screening.models import Source as SourceRow


def _score(text: Any) -> float | None:
    return None if text in (None, "") else float(text)


def link_from_row(row: dict[str, Any]) -> Link:
    return Link(
        link_id=str(row["link_id"]),
        kind=str(row["kind"]),
        record_a=str(row["record_a"]),
        record_b=str(row["record_b"]),
        score=_score(row.get("score")),
        decided_by=str(row.get("decided_by", "")),
        status=str(row.get("status", "active")),
        created_at=str(row.get("created_at", "")),
    )


def record_set(review: Review) -> RecordSet:
    """The review's records, sources and link history as the records layer's RecordSet."""
    records = tuple(Record.from_dict(r.data) for r in RecordRow.objects.filter(review=review))
    links = tuple(link_from_row(r.row) for r in LinkRow.objects.filter(review=review))
    return RecordSet(records, sources_of(review), links)


def sources_of(review: Review) -> tuple[Source, ...]:
    """The review's sources (the rows of sources.csv) in import order."""
    return tuple(
        Source(
            source=str(s.row["source"]),
            database=str(s.row.get("database", "")),
            file=str(s.row.get("file", "")),
            format=str(s.row.get("format", "")),
            imported_at=str(s.row.get("imported_at", "")),
            records=int(s.row.get("records") or 0),
        )
        for s in SourceRow.objects.filter(review=review)
    )


def import_upload(review: Review, data: bytes, filename: str, source: str | None) -> dict[str, Any]:
    """Parse an uploaded export with the records layer's importer and store its records."""
    from evsynth.records.importers import import_file

    # The importer detects the format from the content and the file's extension; keep only the
    # base name so that a crafted upload name cannot point outside the temporary folder.
    safe_name = PurePath(filename).name or "upload"
    with tempfile.TemporaryDirectory(prefix="evsynth-upload-") as tmp:
        path = Path(tmp) / safe_name
        path.write_bytes(data)
        result = import_file(path, source or None)
    with transaction.atomic():
        # Lock the review row so that two imports at once number their records one after the other.
        Review.objects.select_for_update().get(pk=review.pk)
        before = record_set(review)
        after = before.with_import(result.records, result.source)
        new_records = after.records[len(before.records) :]
        start = (RecordRow.objects.filter(review=review).aggregate(m=Max("position"))["m"] or 0) + 1
        RecordRow.objects.bulk_create(
            RecordRow(
                review=review,
                record_id=r.id,
                position=start + i,
                line=json.dumps(r.to_dict(), ensure_ascii=False),
                data=r.to_dict(),
            )
            for i, r in enumerate(new_records)
        )
        position = SourceRow.objects.filter(review=review).count()
        SourceRow.objects.create(review=review, row=after.sources[-1].to_row(), position=position)
    return {
        "records": len(new_records),
        "format": result.format,
        "source": after.sources[-1].source,
        "problems": [str(p) for p in result.problems][:50],
        "problem_count": len(result.problems),
        # What `evsynth import` prints, each kind of problem once, named by the upload's name.
        "warnings": [
            line.strip().removeprefix("warning: ")
            for line in replace(
                result, problems=tuple(replace(p, file=safe_name) for p in result.problems)
            )
            .summary(limit=50)
            .splitlines()[1:]
        ],
    }
