"""RIS exports (Ovid, Embase, Scopus, Web of Science, EndNote, Zotero, PubMed's RIS).

Entries are split here, by line, so that every record knows the line it starts on and a file cut
off before its last ``ER`` still yields that record (with a warning); the tags of each entry are
then read by rispy, the maintained parser of the tag format.

References
----------
Research Information Systems, "RIS Format Specifications" (2012).
"""

from __future__ import annotations

import re
from typing import Any

import rispy

from evsynth.records.importers.base import Draft, ImportProblem, parse_year

_TAG = re.compile(r"^([A-Z][A-Z0-9])  ?-(?: (.*)|)$")
_KNOWN = set(rispy.TAG_KEY_MAPPING)
_MAPPED = {
    "type_of_reference",
    "title",
    "primary_title",
    "authors",
    "first_authors",
    "year",
    "publication_year",
    "date",
    "secondary_title",
    "journal_name",
    "alternate_title3",
    "alternate_title1",
    "alternate_title2",
    "volume",
    "number",
    "start_page",
    "end_page",
    "doi",
    "abstract",
    "notes_abstract",
    "keywords",
    "name_of_database",
    "database_provider",
    "unknown_tag",
}


def _chunks(text: str, file: str, problems: list[ImportProblem]) -> list[tuple[int, list[str]]]:
    """Split RIS text into entries: (line of the first tag, the entry's lines ending in ER)."""
    entries: list[tuple[int, list[str]]] = []
    current: list[str] | None = None
    start = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip()
        match = _TAG.match(line)
        tag = match.group(1) if match else None
        if tag == "TY":
            if current is not None:
                problems.append(
                    ImportProblem(file, start, "record has no closing 'ER  -' line; kept")
                )
                current.append("ER  - ")
                entries.append((start, current))
            current, start = [line], number
        elif tag == "ER":
            if current is None:
                continue
            current.append("ER  - ")
            entries.append((start, current))
            current = None
        elif current is not None:
            if tag is not None and tag not in _KNOWN:
                problems.append(
                    ImportProblem(file, number, f"unknown RIS tag {tag}; kept in extra")
                )
            current.append(line)
        elif tag is not None:
            # A tag outside any entry: a record whose TY line is missing. Keep it, do not drop it.
            problems.append(
                ImportProblem(file, number, "record starts without a 'TY  -' line; kept")
            )
            current, start = ["TY  - GEN", line], number
        elif line.strip():
            problems.append(ImportProblem(file, number, "text outside any record ignored"))
    if current is not None:
        problems.append(
            ImportProblem(file, start, "file ends inside this record (truncated?); record kept")
        )
        current.append("ER  - ")
        entries.append((start, current))
    return entries


def _first(entry: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = entry.get(key)
        if isinstance(value, list):
            value = value[0] if value else ""
        if value:
            return str(value)
    return ""


def parse(text: str, file: str, problems: list[ImportProblem]) -> tuple[list[Draft], str]:
    """Drafts from RIS text, and the database named in the file (DB/DP tags) if any."""
    drafts: list[Draft] = []
    database = ""
    for start, lines in _chunks(text, file, problems):
        try:
            parsed = rispy.loads("\n".join(lines) + "\n")
        except Exception as exc:  # rispy raises plain exceptions on malformed input
            problems.append(ImportProblem(file, start, f"could not read this record ({exc})"))
            parsed = []
        entry: dict[str, Any] = parsed[0] if parsed else {}
        if not parsed:
            problems.append(ImportProblem(file, start, "empty record kept"))
        draft = Draft(line=start)
        draft.type = _first(entry, "type_of_reference")
        draft.title = _first(entry, "title", "primary_title", "translated_title")
        draft.authors = [str(a) for a in entry.get("authors", []) + entry.get("first_authors", [])]
        year_text = _first(entry, "year", "publication_year", "date")
        draft.year = parse_year(year_text)
        if year_text and draft.year is None:
            problems.append(ImportProblem(file, start, f"no year in {year_text!r}"))
        draft.journal = _first(
            entry,
            "secondary_title",
            "alternate_title3",
            "journal_name",
            "alternate_title1",
            "alternate_title2",
        )
        abbrev = _first(entry, "alternate_title1", "alternate_title2")
        if abbrev and abbrev != draft.journal:
            draft.extra["journal_abbrev"] = abbrev
        draft.volume = _first(entry, "volume")
        draft.issue = _first(entry, "number")
        sp, ep = _first(entry, "start_page"), _first(entry, "end_page")
        draft.pages = f"{sp}-{ep}" if sp and ep else sp or ep
        draft.doi = _first(entry, "doi")
        draft.abstract = _first(entry, "abstract", "notes_abstract")
        draft.keywords = [str(k) for k in entry.get("keywords", [])]
        db = _first(entry, "name_of_database", "database_provider")
        database = database or db
        draft.database = db
        accession = _first(entry, "accession_number")
        if accession.isdigit() and re.search(r"pubmed|medline", db, re.IGNORECASE):
            draft.pmid = accession
        for key, value in entry.items():
            if key in _MAPPED:
                continue
            draft.extra[key] = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
        for tag, values in dict(entry.get("unknown_tag", {})).items():
            draft.extra[tag] = "; ".join(map(str, values))
        drafts.append(draft)
    return drafts, database
