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

# A tag line: two characters, then spaces or tabs, a hyphen, and the value after one space or tab.
# The standard is two spaces ("AU  - "); some exporters and hand-edited files use one space or a
# tab ("A1<tab>- "). Such lines are rewritten in the standard form before rispy reads them, so
# that each stays its own field instead of being glued onto the previous one.
_TAG = re.compile(r"^([A-Z][A-Z0-9])[ \t]+-(?:[ \t](.*)|)$")
_KNOWN = set(rispy.TAG_KEY_MAPPING)
_NO_PAGES = re.compile(r"^no\W*(?:pagination\W*)?specified$", re.IGNORECASE)
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


# Tags that carry a record's own content: lines outside a record holding one of them are a record
# whose TY line is missing, not a trailer of the record before.
_CONTENT_TAGS = frozenset({"TI", "T1", "AU", "A1", "PY", "Y1", "DO", "AB", "N2", "JO", "JF", "T2"})


def _chunks(text: str, file: str, problems: list[ImportProblem]) -> list[tuple[int, list[str]]]:
    """Split RIS text into entries: (line of the first tag, the entry's lines ending in ER).

    Tag lines after a record's ER and before the next TY (Ovid writes its journal abbreviation,
    ``NL``, there) belong to that record unless they hold a title, authors, year, DOI, abstract
    or journal: then they are a record of its own whose TY line is missing, kept with a warning.
    """
    entries: list[tuple[int, list[str]]] = []
    current: list[str] | None = None
    start = 0
    # Tag lines met after an ER (line number, tag, the line and its continuation lines), until
    # it is clear what they are.
    orphans: list[tuple[int, str, list[str]]] = []
    previous_blank = True

    def settle_orphans() -> None:
        if not orphans:
            return
        tags = {tag for _, tag, _ in orphans}
        if entries and not tags & _CONTENT_TAGS:
            _, lines = entries[-1]
            for number, tag, own in orphans:
                lines[-1:-1] = own
                problems.append(
                    ImportProblem(
                        file, number, f"{tag} after the record's ER line; kept with that record"
                    )
                )
        else:
            first = orphans[0][0]
            problems.append(
                ImportProblem(file, first, "record starts without a 'TY  -' line; kept")
            )
            own_lines = [line for _, _, own in orphans for line in own]
            entries.append((first, ["TY  - GEN", *own_lines, "ER  - "]))
        orphans.clear()

    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip()
        match = _TAG.match(line)
        tag = match.group(1) if match else None
        if match:
            line = f"{tag}  - {match.group(2) or ''}".rstrip()
        if tag == "TY":
            settle_orphans()
            if current is not None:
                problems.append(
                    ImportProblem(file, start, "record has no closing 'ER  -' line; kept")
                )
                current.append("ER  - ")
                entries.append((start, current))
            current, start = [line], number
        elif tag == "ER":
            if current is None:
                settle_orphans()
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
            orphans.append((number, tag, [line]))
        elif line.strip() and orphans and not previous_blank:
            orphans[-1][2].append(line)  # a continuation line of a tag outside a record
        elif line.strip():
            problems.append(ImportProblem(file, number, "text outside any record ignored"))
        previous_blank = not line.strip()
    settle_orphans()
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
        if _NO_PAGES.match(draft.pages):
            draft.pages = ""  # Ovid's "No Pagination Specified" (split over SP and EP)
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
        unknown = entry.get("unknown_tag") or {}
        for tag, values in unknown.items() if isinstance(unknown, dict) else ():
            text_values = [values] if isinstance(values, str) else values
            draft.extra[str(tag or "unknown")] = "; ".join(map(str, text_values))
        drafts.append(draft)
    return drafts, database
