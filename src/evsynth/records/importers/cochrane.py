"""Cochrane Library plain-text exports (CENTRAL trials: ``Record #1 of 250``, ``TI: ...``).

Each record starts with ``Record #n of N`` and has one ``TAG: value`` per line (``AU`` once per
author). The PMID is written ``PUBMED 19935979`` in ``PM``.

References
----------
Cochrane Library. Export citations: file formats (plain text, RIS).
"""

from __future__ import annotations

import re

from evsynth.records.importers.base import Draft, ImportProblem, family_given, parse_year

_RECORD = re.compile(r"^Record #(\d+) of (\d+)\s*$")
_TAG = re.compile(r"^([A-Z]{2,3}): ?(.*)$")


def parse(text: str, file: str, problems: list[ImportProblem]) -> tuple[list[Draft], str]:
    """Drafts from a Cochrane Library plain-text export (the database is CENTRAL)."""
    drafts: list[Draft] = []
    fields: dict[str, list[str]] = {}
    start: int | None = None
    announced = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip()
        if not line.strip():
            continue
        head = _RECORD.match(line)
        if head:
            if start is not None:
                drafts.append(_draft(fields, start))
            fields, start = {}, number
            announced = int(head.group(2))
            continue
        match = _TAG.match(line)
        if match and start is not None:
            fields.setdefault(match.group(1), []).append(match.group(2).strip())
        elif start is not None and fields:
            # A wrapped long value (abstracts are sometimes broken over lines).
            last = next(reversed(fields))
            fields[last][-1] += " " + line.strip()
        else:
            problems.append(ImportProblem(file, number, "text outside any record ignored"))
    if start is not None:
        drafts.append(_draft(fields, start))
    if announced and len(drafts) < announced:
        problems.append(
            ImportProblem(
                file,
                None,
                f"the export announces {announced} records but holds {len(drafts)} "
                "(truncated or partial export?)",
            )
        )
    return drafts, "CENTRAL"


def _draft(fields: dict[str, list[str]], line: int) -> Draft:
    def one(tag: str) -> str:
        return " ".join(fields.get(tag, []))

    draft = Draft(line=line)
    draft.original_id = one("ID")
    draft.title = one("TI")
    draft.authors = [family_given(a) for a in fields.get("AU", [])]
    draft.journal = one("SO")
    draft.year = parse_year(one("YR"))
    draft.volume = one("VL")
    draft.issue = one("NO")
    draft.pages = one("PG")
    draft.doi = one("DOI")
    pm = re.search(r"\d+", one("PM"))
    draft.pmid = pm.group(0) if pm else ""
    draft.abstract = one("AB")
    draft.keywords = [k.strip() for k in one("KY").split(";") if k.strip()]
    draft.type = one("PT")
    mapped = {"ID", "TI", "AU", "SO", "YR", "VL", "NO", "PG", "DOI", "PM", "AB", "KY", "PT"}
    draft.extra = {tag: "; ".join(v) for tag, v in fields.items() if tag not in mapped}
    return draft
