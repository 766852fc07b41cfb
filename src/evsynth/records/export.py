"""A project's records out as RIS or CSV: after deduplication, or by screening outcome.

What a team takes to a reference manager or sends to a co-author: the deduplicated library
(``unique``: one record of each duplicate group, the one screened), every imported record with
the record kept in its stead (``all``), or the records with one outcome at a stage (``included``,
``excluded``, ``conflict``, ``pending``: the full texts to fetch, the studies included, the
conflicts to discuss). Each record carries its screening outcomes; in RIS they are an ``N1``
note and the evsynth ID is the ``ID`` tag, so the file reads back into evsynth or any reference
manager.

>>> rows = select_records("my-review", "included", "full_text")   # doctest: +SKIP
>>> text = export_text(rows, "ris")                                # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evsynth.errors import InputError
from evsynth.records.model import RECORD_FIELDS, Record

SELECTIONS: tuple[str, ...] = ("unique", "all", "included", "excluded", "conflict", "pending")
FORMATS: tuple[str, ...] = ("ris", "csv")
# The record's own fields (less where in the export file it was read, and the unmapped extras),
# then where it stands.
_RECORD_COLUMNS = tuple(
    f for f in RECORD_FIELDS if f not in ("source_file", "source_line", "extra")
)
CSV_COLUMNS: tuple[str, ...] = (
    *_RECORD_COLUMNS,
    "duplicate_of",
    "duplicates",
    "removed_before_screening",
    "title_abstract",
    "full_text",
    "full_text_reason",
)
_OUTCOMES = {
    "included": "include",
    "excluded": "exclude",
    "conflict": "conflict",
    "pending": "pending",
}
_RIS_TYPES = {
    "article": "JOUR",
    "journal article": "JOUR",
    "inproceedings": "CONF",
    "conference paper": "CONF",
    "proceedings": "CONF",
    "book": "BOOK",
    "incollection": "CHAP",
    "book chapter": "CHAP",
    "phdthesis": "THES",
    "thesis": "THES",
    "techreport": "RPRT",
    "report": "RPRT",
}


@dataclass(frozen=True)
class ExportRow:
    """A record with where it stands: the kept record it duplicates (``duplicate_of``), its own
    duplicates when it is the kept one, a removal before screening (its kind), and its outcome
    at each stage (``include``, ``exclude``, ``conflict``, ``pending``; empty where the record
    does not reach the stage)."""

    record: Record
    duplicate_of: str = ""
    duplicates: tuple[str, ...] = ()
    removed_before_screening: str = ""
    title_abstract: str = ""
    full_text: str = ""
    full_text_reason: str = ""

    def note(self) -> str:
        """The screening outcomes in one line (RIS ``N1``); empty before screening."""
        if not self.title_abstract:
            return ""
        text = f"evsynth: title/abstract {self.title_abstract}"
        if self.full_text:
            text += f"; full text {self.full_text}"
            if self.full_text_reason:
                text += f" ({self.full_text_reason})"
        return text


def select_records(
    project: str | Path, select: str = "unique", stage: str = "title_abstract"
) -> list[ExportRow]:
    """The records of a project folder to export, in import order.

    Parameters
    ----------
    project
        The review project folder (``records/`` and, when screened, ``screening/``).
    select
        ``unique`` (the record kept of each duplicate group, with the records removed before
        screening), ``all`` (every imported record), or an outcome at ``stage``: ``included``,
        ``excluded``, ``conflict`` or ``pending`` (screened records not yet settled).
    stage
        ``title_abstract`` or ``full_text``; only used with an outcome.
    """
    from evsynth.records.dedup.links import duplicate_groups
    from evsynth.records.model import RecordSet
    from evsynth.records.prisma import kept_records, other_methods_listed, read_removals
    from evsynth.records.screening import ScreeningLog
    from evsynth.records.screening._io import read_protocol

    if select not in SELECTIONS:
        raise InputError(f"Invalid selection {select!r}; expected one of {', '.join(SELECTIONS)}")
    if stage not in ("title_abstract", "full_text"):
        raise InputError(f"Invalid stage {stage!r}; expected title_abstract or full_text")
    folder = Path(project)
    record_set = RecordSet.load(folder)
    if not record_set.records:
        raise InputError(
            "no records (records/records.jsonl); run `evsynth import` first", file=folder
        )
    listed = other_methods_listed(read_protocol(folder), file=folder / "review.yaml")
    removals = read_removals(folder / "screening" / "removals.csv")
    log = ScreeningLog.load(folder)
    kept = kept_records(record_set, listed)
    kept_of: dict[str, str] = {}
    others: dict[str, tuple[str, ...]] = {}
    for group in duplicate_groups(record_set):
        head = next(rid for rid in group if rid in kept)
        others[head] = tuple(rid for rid in group if rid != head)
        for rid in others[head]:
            kept_of[rid] = head
    rows = []
    for record in record_set.records:
        rid = record.id
        outcomes: dict[str, str] = {}
        if rid in kept and rid not in removals:  # screened: where it stands at each stage
            first = log.outcome(rid, "title_abstract")
            second = log.outcome(rid, "full_text") if first.outcome == "include" else None
            outcomes = {
                "title_abstract": first.outcome,
                "full_text": second.outcome if second else "",
                "full_text_reason": second.reason if second else "",
            }
        rows.append(
            ExportRow(
                record,
                duplicate_of=kept_of.get(rid, ""),
                duplicates=others.get(rid, ()),
                removed_before_screening=removals.get(rid, ""),
                **outcomes,
            )
        )
    if select == "all":
        return rows
    if select == "unique":
        return [r for r in rows if r.record.id in kept]
    wanted = _OUTCOMES[select]
    return [r for r in rows if getattr(r, stage) == wanted]


def export_text(rows: Sequence[ExportRow], fmt: str) -> str:
    """The rows as a RIS or CSV file's text."""
    if fmt == "csv":
        return _csv(rows)
    if fmt == "ris":
        return _ris(rows)
    raise InputError(f"Invalid format {fmt!r}; expected one of {', '.join(FORMATS)}")


def _csv(rows: Sequence[ExportRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        fields = row.record.to_dict()
        writer.writerow(
            [
                *(
                    "; ".join(v) if isinstance(v, list) else "" if v is None else v
                    for v in (fields[c] for c in _RECORD_COLUMNS)
                ),
                row.duplicate_of,
                "; ".join(row.duplicates),
                row.removed_before_screening,
                row.title_abstract,
                row.full_text,
                row.full_text_reason,
            ]
        )
    return out.getvalue()


def _ris(rows: Sequence[ExportRow]) -> str:
    import rispy

    entries = []
    for row in rows:
        r = row.record
        entry: dict[str, Any] = {"type_of_reference": _ris_type(r), "id": r.id}
        if r.title:
            entry["title"] = r.title
        if r.authors:
            entry["authors"] = list(r.authors)
        if r.year:
            entry["year"] = str(r.year)
        if r.journal:
            entry["secondary_title"] = r.journal
        for key, value in (("volume", r.volume), ("number", r.issue), ("doi", r.doi)):
            if value:
                entry[key] = value
        first, _, last = r.pages.partition("-")
        if first.strip():
            entry["start_page"] = first.strip()
        if last.strip():
            entry["end_page"] = last.strip()
        if r.abstract:
            entry["abstract"] = " ".join(r.abstract.split())  # one line: RIS has no line breaks
        if r.keywords:
            entry["keywords"] = list(r.keywords)
        if r.source:
            entry["name_of_database"] = r.source
        if r.pmid:
            entry["accession_number"] = r.pmid
        notes = [row.note()]
        if row.duplicate_of:
            notes.append(f"evsynth: duplicate of {row.duplicate_of}")
        if row.duplicates:
            notes.append(f"evsynth: duplicates {', '.join(row.duplicates)}")
        if row.removed_before_screening:
            notes.append(f"evsynth: removed before screening ({row.removed_before_screening})")
        if any(notes):
            entry["notes"] = [n for n in notes if n]
        entries.append(entry)

    class Writer(rispy.RisWriter):  # type: ignore[misc]  # rispy has no type hints
        def set_header(self, count: int) -> str:
            return ""  # no "1." line before each record: it is not RIS, and readers warn on it

    return str(rispy.dumps(entries, implementation=Writer))


def _ris_type(record: Record) -> str:
    """The record's RIS type when it has one, else one mapped from its BibTeX or database type
    (a journal article when it has a journal, else generic)."""
    import rispy

    given = record.type.strip()
    if given.upper() in rispy.TYPE_OF_REFERENCE_MAPPING:
        return given.upper()
    return _RIS_TYPES.get(given.lower(), "JOUR" if record.journal else "GEN")
