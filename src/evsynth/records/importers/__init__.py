"""Import search exports: one call per file, each file kept as its own source.

>>> result = import_file("pubmed.nbib")                     # doctest: +SKIP
>>> result.source.database, len(result.records), result.problems  # doctest: +SKIP

The source name defaults to the database the export came from (PubMed, Scopus, Embase ...), so
PRISMA counts per database follow from ``sources.csv``.
"""

from __future__ import annotations

import importlib
from dataclasses import replace
from pathlib import Path

from evsynth.errors import InputError
from evsynth.records.importers.base import (
    Draft,
    ImportProblem,
    ImportResult,
    decode,
    read_bytes,
    source_slug,
)
from evsynth.records.importers.detect import FORMATS, detect_format
from evsynth.records.model import Record, Source, now_iso

__all__ = ["FORMATS", "ImportProblem", "ImportResult", "detect_format", "import_file"]

# Database implied by a format when the file does not name one.
_FORMAT_DATABASE = {
    "medline": "PubMed",
    "pubmed_xml": "PubMed",
    "wos_plain": "Web of Science",
    "cochrane": "CENTRAL",
}


def import_file(
    path: str | Path,
    source: str | None = None,
    *,
    format: str | None = None,
    keep_ids: bool = False,
) -> ImportResult:
    """Read one search export into records.

    Parameters
    ----------
    path
        The export file (RIS, PubMed MEDLINE ``.nbib``/``.txt``, PubMed XML, EndNote XML,
        BibTeX, Web of Science plain text, Cochrane Library plain text, CSV/TSV or ``.xlsx``);
        the format is detected from the content.
    source
        The source name (the database searched). Default: the database named in the export or
        implied by its layout, else the file name without extension.
    format
        Force a format (one of :data:`FORMATS`) instead of detecting it.
    keep_ids
        Use the export's own record IDs (an ``ID``/``key`` column, BibTeX keys) when they are
        present and unique, instead of ``<source>-<n>``. Used to score against a benchmark whose
        truth names those IDs.

    Returns
    -------
    ImportResult
        Every entry of the file as a record (none dropped) and the recoverable problems with
        their lines.

    Raises
    ------
    InputError
        When the file cannot be read as any export (missing, binary, unsafe or malformed XML,
        no usable header).
    """
    file = str(path)
    data = read_bytes(path)
    if not data.strip():
        raise InputError("empty file: no records", file=file)
    fmt = format or detect_format(data, path)
    if fmt not in FORMATS:
        raise InputError(f"format {fmt!r}; expected one of {', '.join(FORMATS)}", file=file)
    problems: list[ImportProblem] = []
    layout = ""
    if fmt == "excel":
        from evsynth.records.importers import tabular

        drafts, layout, database = tabular.parse_excel(data, file, problems)
    elif fmt in {"pubmed_xml", "endnote_xml"}:
        module = importlib.import_module(f"evsynth.records.importers.{fmt}")
        drafts, database = module.parse_bytes(data, file, problems)
    else:
        text = decode(data, file, problems)
        if fmt == "csv":
            from evsynth.records.importers import tabular

            drafts, layout, database = tabular.parse_csv(text, file, problems)
        else:
            module = importlib.import_module(f"evsynth.records.importers.{fmt}")
            drafts, database = module.parse(text, file, problems)
    database = database or _FORMAT_DATABASE.get(fmt, "") or Path(file).stem
    name = source or database
    per_record = sorted({d.database for d in drafts if d.database})
    mixed = source is None and len(per_record) > 1
    if mixed:
        # One file, several databases (an Ovid search of Embase and MEDLINE): each record keeps
        # its own database as its source, so PRISMA counts records identified per database; the
        # file itself is one source named after the file.
        name = Path(file).stem
        database = "; ".join(per_record)
    records = _to_records(drafts, name, file, keep_ids, per_record_source=mixed)
    src = Source(
        source=name,
        database=database if source is None else source,
        file=Path(file).name,
        format=fmt,
        imported_at=now_iso(),
        records=len(records),
    )
    if fmt in _REPORT_EXTRA:
        problems.extend(_unmapped_fields(drafts, file))
    for rec in records:
        if not (rec.title or rec.doi or rec.pmid):
            problems.append(
                ImportProblem(file, rec.source_line, "record has no title, DOI or PMID")
            )
    return ImportResult(
        records=tuple(records),
        source=src,
        format=fmt,
        problems=tuple(problems),
        layout=layout,
        entries=len(drafts),
    )


# Formats whose fields beyond the mapped ones are listed once per file (tables list their
# unmapped columns themselves; MEDLINE and RIS report unknown tags line by line).
_REPORT_EXTRA = {"bibtex", "endnote_xml"}
_OWN_KEYS = {"journal_abbrev", "original_id", "unknown_tag"}


def _unmapped_fields(drafts: list[Draft], file: str) -> list[ImportProblem]:
    first: dict[str, int] = {}
    for draft in drafts:
        for key in draft.extra:
            if key not in _OWN_KEYS:
                first.setdefault(key, draft.line)
    if not first:
        return []
    names = ", ".join(f"{k} (line {n})" for k, n in sorted(first.items(), key=lambda kv: kv[1]))
    return [ImportProblem(file, min(first.values()), f"fields kept in extra (not mapped): {names}")]


def _to_records(
    drafts: list[Draft], name: str, file: str, keep_ids: bool, *, per_record_source: bool = False
) -> list[Record]:
    own = [d.original_id for d in drafts]
    use_own = keep_ids and all(own) and len(set(own)) == len(own)
    prefix = source_slug(name)
    out: list[Record] = []
    for n, draft in enumerate(drafts, start=1):
        rid = draft.original_id if use_own else f"{prefix}-{n:05d}"
        own_source = draft.database if per_record_source and draft.database else name
        rec = draft.to_record(rid, own_source, Path(file).name)
        if draft.original_id and not use_own:
            rec = replace(rec, extra={**rec.extra, "original_id": draft.original_id})
        out.append(rec)
    return out
