"""Bibliographic records, the sources they came from and the links between them.

A project's ``records/`` folder holds three human-readable files:

- ``records.jsonl``: one :class:`Record` per line (JSON object, field names as below);
- ``sources.csv``: one :class:`Source` per imported file (``source database file format
  imported_at records``), so PRISMA counts per database come from here;
- ``links.csv``: :class:`Link` rows (``link_id kind record_a record_b score decided_by status
  created_at``). Kind ``duplicate`` (the same bibliographic record) or ``same_study`` (two
  reports of one study). Rows are never deleted: undoing a link sets its status to ``undone`` and
  appends a row with the same ``link_id`` recording who undid it and when, so the file reads as an
  audit trail and ``status == "active"`` still selects exactly the links in force.

Records are never deleted either: a duplicate is a record linked to another, so every merge can be
undone and every count traced back to the export line it came from.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evsynth.errors import InputError
from evsynth.fileio import atomic_write

RECORD_FIELDS: tuple[str, ...] = (
    "id",
    "source",
    "source_file",
    "source_line",
    "title",
    "authors",
    "year",
    "journal",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "abstract",
    "keywords",
    "type",
    "extra",
)
SOURCE_FIELDS: tuple[str, ...] = ("source", "database", "file", "format", "imported_at", "records")
LINK_FIELDS: tuple[str, ...] = (
    "link_id",
    "kind",
    "record_a",
    "record_b",
    "score",
    "decided_by",
    "status",
    "created_at",
)
#: ``distinct``: a person's verdict that two records the deduplication found alike are different
#: records (kept in links.csv so that it survives export and a later run does not ask again).
LINK_KINDS: tuple[str, ...] = ("duplicate", "same_study", "distinct")
LINK_STATUSES: tuple[str, ...] = ("active", "undone")


def now_iso() -> str:
    """The current UTC time as an ISO 8601 string with seconds, as stored in the files."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Record:
    """One bibliographic record as exported by a database, with where it came from.

    ``authors`` are ``"Family, Given"`` strings in the order of the export; ``year`` is the
    publication year when the export has one; ``extra`` keeps every field the importer did not
    map, so nothing in the export is lost.
    """

    id: str
    source: str = ""
    source_file: str = ""
    source_line: int | None = None
    title: str = ""
    authors: tuple[str, ...] = ()
    year: int | None = None
    journal: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    pmid: str = ""
    abstract: str = ""
    keywords: tuple[str, ...] = ()
    type: str = ""
    extra: Mapping[str, str] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object stored in ``records.jsonl`` (lists for tuples)."""
        return {
            "id": self.id,
            "source": self.source,
            "source_file": self.source_file,
            "source_line": self.source_line,
            "title": self.title,
            "authors": list(self.authors),
            "year": self.year,
            "journal": self.journal,
            "volume": self.volume,
            "issue": self.issue,
            "pages": self.pages,
            "doi": self.doi,
            "pmid": self.pmid,
            "abstract": self.abstract,
            "keywords": list(self.keywords),
            "type": self.type,
            "extra": dict(self.extra),
        }

    def citation(self) -> str:
        """Journal, year, volume, issue and pages in Vancouver's order (``Pain Physician
        2013;16(3):185-196``), leaving out what the record lacks."""
        where = self.volume + (f"({self.issue})" if self.issue else "")
        head = " ".join(part for part in (self.journal, str(self.year or "")) if part)
        tail = where + (f":{self.pages}" if self.pages else "")
        return f"{head};{tail}" if head and tail else head or tail

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Record:
        """Build a record from its JSON object; unknown keys go to ``extra``."""
        if not isinstance(data.get("id"), str) or not data["id"]:
            raise InputError("record without an 'id'", column="id")
        year = data.get("year")
        if year is not None and not isinstance(year, int):
            try:
                year = int(str(year))
            except ValueError as exc:
                raise InputError(f"year {year!r} is not a whole number", column="year") from exc
        line = data.get("source_line")
        extra = {str(k): str(v) for k, v in dict(data.get("extra") or {}).items()}
        for key, value in data.items():
            if key not in RECORD_FIELDS:
                extra[str(key)] = str(value)
        return cls(
            id=data["id"],
            source=str(data.get("source") or ""),
            source_file=str(data.get("source_file") or ""),
            source_line=int(line) if line is not None else None,
            title=str(data.get("title") or ""),
            authors=tuple(str(a) for a in data.get("authors") or ()),
            year=year,
            journal=str(data.get("journal") or ""),
            volume=str(data.get("volume") or ""),
            issue=str(data.get("issue") or ""),
            pages=str(data.get("pages") or ""),
            doi=str(data.get("doi") or ""),
            pmid=str(data.get("pmid") or ""),
            abstract=str(data.get("abstract") or ""),
            keywords=tuple(str(k) for k in data.get("keywords") or ()),
            type=str(data.get("type") or ""),
            extra=extra,
        )


@dataclass(frozen=True)
class Source:
    """One imported file: the database it was exported from and how many records it gave."""

    source: str
    database: str
    file: str
    format: str
    imported_at: str
    records: int

    def to_row(self) -> dict[str, str]:
        return {
            "source": self.source,
            "database": self.database,
            "file": self.file,
            "format": self.format,
            "imported_at": self.imported_at,
            "records": str(self.records),
        }


@dataclass(frozen=True)
class Link:
    """A decision that two records are the same record (``duplicate``) or one study.

    ``score`` is the similarity the deduplication computed (``None`` for a link a person made
    without one); ``decided_by`` is ``"auto"`` for an automatic merge or the person's name.
    """

    link_id: str
    kind: str
    record_a: str
    record_b: str
    score: float | None
    decided_by: str
    status: str
    created_at: str

    def to_row(self) -> dict[str, str]:
        return {
            "link_id": self.link_id,
            "kind": self.kind,
            "record_a": self.record_a,
            "record_b": self.record_b,
            "score": "" if self.score is None else f"{self.score:.4f}",
            "decided_by": self.decided_by,
            "status": self.status,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class RecordSet:
    """The records of a project with their sources and links (an immutable snapshot).

    ``links`` is the full history in file order; :meth:`active_links` gives the links in force.
    """

    records: tuple[Record, ...] = ()
    sources: tuple[Source, ...] = ()
    links: tuple[Link, ...] = ()

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def by_id(self) -> dict[str, Record]:
        """Records keyed by their ID."""
        return {r.id: r for r in self.records}

    def active_links(self, kind: str | None = None) -> tuple[Link, ...]:
        """Links in force (the last row of each ``link_id`` is ``active``), optionally one kind."""
        last: dict[str, Link] = {}
        for link in self.links:
            last[link.link_id] = link
        return tuple(
            link
            for link in last.values()
            if link.status == "active" and (kind is None or link.kind == kind)
        )

    def with_import(self, records: Iterable[Record], source: Source) -> RecordSet:
        """Add one import's records, renumbering IDs that are already taken.

        IDs keep their source prefix and continue the numbering, so a second file from the same
        database gets ``medline-00101`` onwards instead of clashing with the first.
        """
        taken = {r.id for r in self.records}
        new: list[Record] = []
        counters: dict[str, int] = {}
        for rec in records:
            rid = rec.id
            if rid in taken:
                prefix = rid.rsplit("-", 1)[0] if "-" in rid else rid
                n = counters.get(prefix, _max_number(taken, prefix))
                while rid in taken:
                    n += 1
                    rid = f"{prefix}-{n:05d}"
                counters[prefix] = n
                rec = replace(rec, id=rid)
            taken.add(rid)
            new.append(rec)
        source = replace(source, records=len(new))
        return RecordSet(self.records + tuple(new), (*self.sources, source), self.links)

    def with_links(self, links: Iterable[Link]) -> RecordSet:
        """A copy with link rows appended (see :mod:`evsynth.records.dedup.links`)."""
        return RecordSet(self.records, self.sources, self.links + tuple(links))

    @classmethod
    def load(cls, project: str | Path) -> RecordSet:
        """Read ``records/`` of a project folder; a missing folder is an empty record set."""
        folder = Path(project) / "records"
        records = tuple(read_records_jsonl(folder / "records.jsonl"))
        sources = tuple(read_sources(folder / "sources.csv"))
        links = tuple(read_links(folder / "links.csv"))
        return cls(records, sources, links)

    def save(self, project: str | Path) -> None:
        """Write ``records/`` of a project folder (each file atomically)."""
        folder = Path(project) / "records"
        write_records_jsonl(folder / "records.jsonl", self.records)
        _write_csv(folder / "sources.csv", SOURCE_FIELDS, [s.to_row() for s in self.sources])
        _write_csv(folder / "links.csv", LINK_FIELDS, [k.to_row() for k in self.links])


def _max_number(taken: set[str], prefix: str) -> int:
    best = 0
    for rid in taken:
        head, _, tail = rid.rpartition("-")
        if head == prefix and tail.isdigit():
            best = max(best, int(tail))
    return best


def read_records_jsonl(path: Path) -> Iterator[Record]:
    """Records from a ``records.jsonl`` file (line numbers in errors as an editor shows them)."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if not isinstance(data, dict):
                    raise InputError("expected one JSON object per line")
                yield Record.from_dict(data)
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON ({exc.msg})", file=path, row=number) from exc
            except InputError as exc:
                raise exc.located(file=path, row=number) from exc


def write_records_jsonl(path: Path, records: Iterable[Record]) -> None:
    """Write records as JSON lines, atomically."""
    with atomic_write(path) as handle:
        for rec in records:
            handle.write(json.dumps(rec.to_dict(), ensure_ascii=False) + "\n")


def _read_csv(path: Path, fields: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    missing = [f for f in fields if f not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=path, row=1)
    for row in reader:
        yield reader.line_num, {k: (row.get(k) or "") for k in fields}


def read_sources(path: Path) -> Iterator[Source]:
    """Sources from ``sources.csv``."""
    for line, row in _read_csv(path, SOURCE_FIELDS):
        try:
            count = int(row["records"])
        except ValueError as exc:
            raise InputError(
                f"records count {row['records']!r} is not a whole number",
                file=path,
                row=line,
                column="records",
            ) from exc
        yield Source(
            row["source"], row["database"], row["file"], row["format"], row["imported_at"], count
        )


def read_links(path: Path) -> Iterator[Link]:
    """Link rows from ``links.csv``, checked against the allowed kinds and statuses."""
    for line, row in _read_csv(path, LINK_FIELDS):
        if row["kind"] not in LINK_KINDS:
            raise InputError(
                f"kind {row['kind']!r}; expected one of {', '.join(LINK_KINDS)}",
                file=path,
                row=line,
                column="kind",
            )
        if row["status"] not in LINK_STATUSES:
            raise InputError(
                f"status {row['status']!r}; expected one of {', '.join(LINK_STATUSES)}",
                file=path,
                row=line,
                column="status",
            )
        try:
            score = float(row["score"]) if row["score"] else None
        except ValueError as exc:
            raise InputError(
                f"score {row['score']!r} is not a number", file=path, row=line, column="score"
            ) from exc
        yield Link(
            row["link_id"],
            row["kind"],
            row["record_a"],
            row["record_b"],
            score,
            row["decided_by"],
            row["status"],
            row["created_at"],
        )


def _write_csv(path: Path, fields: tuple[str, ...], rows: Iterable[Mapping[str, str]]) -> None:
    with atomic_write(path) as handle:
        writer = csv.DictWriter(handle, fieldnames=list(fields), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
