"""The review as its project folder: export to files (zip) and import them back, losslessly.

The folder is the one the command line reads (``review.yaml``, ``studies.csv``, ``outcomes.csv``,
``appraisals.csv``, ``records/``, ``screening/``); files the app does not model are carried
verbatim. Screening decisions go through the blinding rule of the person exporting: a decision
another reviewer made on a record its pair has not decided yet is withheld, and the manifest says
how many were.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from evsynth.errors import InputError
from evsynth.records.screening import ScreeningDecision, ScreeningLog
from evsynth.records.screening.decisions import (
    DECISION_COLUMNS,
    FULLTEXT_COLUMNS,
    RESOLUTION_COLUMNS,
)
from evsynth.web.appraisal.models import TableRow
from evsynth.web.reviews.models import ProjectFile, Review
from evsynth.web.screening.models import (
    Decision,
    FullText,
    LinkRow,
    Record,
    Resolution,
    Source,
)
from evsynth.web.screening.state import may_see_all, screening_log

RECORDS_FILE = "records/records.jsonl"
SOURCES_FILE = "records/sources.csv"
LINKS_FILE = "records/links.csv"
DECISIONS_FILE = "screening/decisions.csv"
RESOLUTIONS_FILE = "screening/resolutions.csv"
FULLTEXT_FILE = "screening/fulltext.csv"
TABLE_FILES = {"studies": "studies.csv", "outcomes": "outcomes.csv", "appraisals": "appraisals.csv"}

SOURCE_COLUMNS = ("source", "database", "file", "format", "imported_at", "records")
LINK_COLUMNS = [
    "link_id",
    "kind",
    "record_a",
    "record_b",
    "score",
    "decided_by",
    "status",
    "created_at",
]
MODELLED = {
    "review.yaml",
    RECORDS_FILE,
    SOURCES_FILE,
    LINKS_FILE,
    DECISIONS_FILE,
    RESOLUTIONS_FILE,
    FULLTEXT_FILE,
    *TABLE_FILES.values(),
}
MAX_FILES = 10_000
MAX_UNPACKED_BYTES = 2 * 1024**3  # refuse zip bombs: 2 GB unpacked at most


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in columns})
    return out.getvalue()


def export_files(review: Review, viewer: str | None) -> tuple[dict[str, bytes], int]:
    """The project folder as ``{path: bytes}`` and the number of decisions withheld by blinding.

    ``viewer`` is the user name whose blinding applies; ``None`` exports everything (the
    server operator's backup, ``manage.py``-level, never a web request).
    """
    files: dict[str, bytes] = {}
    files["review.yaml"] = review.protocol_yaml.encode("utf-8")
    for table, name in TABLE_FILES.items():
        columns = review.tables.get(table)
        rows = [r.row for r in TableRow.objects.filter(review=review, table=table)]
        if columns is None and not rows:
            continue
        files[name] = csv_text(columns or _columns_of(rows), rows).encode("utf-8")
    records = list(Record.objects.filter(review=review))
    if records:
        files[RECORDS_FILE] = "".join(r.line + "\n" for r in records).encode("utf-8")
    sources = [s.row for s in Source.objects.filter(review=review)]
    if sources:
        files[SOURCES_FILE] = csv_text(SOURCE_COLUMNS, sources).encode("utf-8")
    links = [row.row for row in LinkRow.objects.filter(review=review)]
    if links:
        files[LINKS_FILE] = csv_text(LINK_COLUMNS, links).encode("utf-8")
    withheld = 0
    log = screening_log(review)
    decision_rows = []
    for d in Decision.objects.filter(review=review).select_related("record").order_by("id"):
        rid = d.record.record_id
        hidden = viewer is not None and d.reviewer_name != viewer
        if hidden and not may_see_all(log, rid, d.stage, str(viewer)):
            withheld += 1
            continue
        decision_rows.append(
            ScreeningDecision(
                rid, d.stage, d.reviewer_name, d.decision, d.reason, d.note, d.decided_at
            ).row()
        )
    if decision_rows:
        files[DECISIONS_FILE] = rows_text(DECISION_COLUMNS, decision_rows)
    if log.resolutions:
        files[RESOLUTIONS_FILE] = rows_text(RESOLUTION_COLUMNS, [r.row() for r in log.resolutions])
    if log.retrievals:
        files[FULLTEXT_FILE] = rows_text(FULLTEXT_COLUMNS, [r.row() for r in log.retrievals])
    for extra in ProjectFile.objects.filter(review=review):
        files[extra.path] = bytes(extra.content)
    return files, withheld


def rows_text(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _columns_of(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def export_zip(review: Review, viewer: str | None) -> tuple[bytes, int]:
    files, withheld = export_files(review, viewer)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            archive.writestr(path, files[path])
        if withheld:
            archive.writestr(
                "EXPORT-NOTE.txt",
                f"{withheld} screening decision(s) of other reviewers were withheld: their pair "
                "has not decided those records yet (blinding). Export again once both have.\n",
            )
    return buffer.getvalue(), withheld


# --------------------------------------------------------------------------------------- import


def read_zip(data: bytes, name: str = "upload.zip") -> dict[str, bytes]:
    """The files of a project zip, refusing unsafe paths and oversized archives."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise InputError("not a zip archive", file=name) from exc
    entries = [i for i in archive.infolist() if not i.is_dir()]
    if len(entries) > MAX_FILES:
        raise InputError(f"more than {MAX_FILES} files in the archive", file=name)
    if sum(i.file_size for i in entries) > MAX_UNPACKED_BYTES:
        raise InputError("the archive unpacks to more than 2 GB", file=name)
    files: dict[str, bytes] = {}
    for info in entries:
        path = PurePosixPath(info.filename)
        if path.is_absolute() or ".." in path.parts or "\\" in info.filename:
            raise InputError(f"unsafe path {info.filename!r} in the archive", file=name)
        files[str(path)] = archive.read(info)
    # A zip of the folder itself (review/review.yaml ...) is accepted: strip the common folder.
    if "review.yaml" not in files:
        tops = {p.split("/", 1)[0] for p in files}
        if len(tops) == 1 and all("/" in p for p in files):
            files = {p.split("/", 1)[1]: b for p, b in files.items()}
    files.pop("EXPORT-NOTE.txt", None)
    return files


def layers_check(files: Mapping[str, bytes]) -> ScreeningLog:
    """Let the evidence, records and screening layers read the folder, as the CLI would.

    Returns the screening log they read (its rows are what the review will hold).
    """
    with tempfile.TemporaryDirectory(prefix="evsynth-import-") as tmp:
        root = Path(tmp)
        for path, content in files.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        if "studies.csv" in files:
            from evsynth.evidence.project import load_project

            load_project(root)
        if RECORDS_FILE in files:
            from evsynth.records.model import RecordSet

            RecordSet.load(root)
        return ScreeningLog.load(root)


def _csv_rows(files: Mapping[str, bytes], path: str) -> tuple[list[str], list[dict[str, str]]]:
    if path not in files:
        return [], []
    try:
        text = files[path].decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError("not UTF-8 text", file=path) from exc
    reader = csv.DictReader(io.StringIO(text))
    rows = [dict(r) for r in reader]
    return list(reader.fieldnames or []), rows


@transaction.atomic
def import_files(files: Mapping[str, bytes], owner: Any, title: str = "") -> Review:
    """Create a review from project files, with ``owner`` as its lead."""
    from evsynth.web.reviews.models import Membership, Role

    log = layers_check(files)
    protocol = files.get("review.yaml", b"").decode("utf-8")
    review = Review.objects.create(
        title=title or _title_of(protocol) or "Imported review",
        protocol_yaml=protocol,
        created_by=owner,
    )
    Membership.objects.create(review=review, user=owner, role=Role.LEAD)
    tables: dict[str, list[str]] = {}
    for table, name in TABLE_FILES.items():
        columns, rows = _csv_rows(files, name)
        if name in files:
            tables[table] = columns
        TableRow.objects.bulk_create(
            TableRow(review=review, table=table, position=i, row=row) for i, row in enumerate(rows)
        )
    review.tables = tables
    review.save(update_fields=["tables"])
    by_id: dict[str, Record] = {}
    if RECORDS_FILE in files:
        objs = []
        for line_no, line in enumerate(files[RECORDS_FILE].decode("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            data = json.loads(line)
            objs.append(
                Record(
                    review=review,
                    record_id=data["id"],
                    position=line_no,
                    line=line.rstrip("\r"),
                    data=data,
                )
            )
        for rec in Record.objects.bulk_create(objs):
            by_id[rec.record_id] = rec
    _, sources = _csv_rows(files, SOURCES_FILE)
    Source.objects.bulk_create(
        Source(review=review, row=row, position=i) for i, row in enumerate(sources)
    )
    _, links = _csv_rows(files, LINKS_FILE)
    LinkRow.objects.bulk_create(
        LinkRow(review=review, row=row, position=i) for i, row in enumerate(links)
    )
    users = {u.get_username(): u for u in get_user_model().objects.all()}

    def record_of(rid: str, path: str, line: int) -> Record:
        if rid not in by_id:
            raise InputError(f"unknown record {rid!r}", file=path, row=line, column="record_id")
        return by_id[rid]

    Decision.objects.bulk_create(
        Decision(
            review=review,
            record=record_of(d.record_id, DECISIONS_FILE, line),
            stage=d.stage,
            reviewer=users.get(d.reviewer),
            reviewer_name=d.reviewer,
            decision=d.decision,
            reason=d.reason,
            note=d.note,
            decided_at=d.decided_at,
        )
        for line, d in enumerate(log.decisions, 2)
    )
    Resolution.objects.bulk_create(
        Resolution(
            review=review,
            record=record_of(r.record_id, RESOLUTIONS_FILE, line),
            stage=r.stage,
            resolver=users.get(r.resolver),
            resolver_name=r.resolver,
            decision=r.decision,
            reason=r.reason,
            decided_at=r.decided_at,
        )
        for line, r in enumerate(log.resolutions, 2)
    )
    FullText.objects.bulk_create(
        FullText(
            review=review,
            record=record_of(t.record_id, FULLTEXT_FILE, line),
            sought=t.sought,
            retrieved=t.retrieved,
        )
        for line, t in enumerate(log.retrievals, 2)
    )
    ProjectFile.objects.bulk_create(
        ProjectFile(review=review, path=path, content=content)
        for path, content in files.items()
        if path not in MODELLED
    )
    return review


def _title_of(protocol: str) -> str:
    import yaml

    try:
        data = yaml.safe_load(protocol)
    except yaml.YAMLError:
        return ""
    return str(data.get("title", "")) if isinstance(data, dict) else ""
