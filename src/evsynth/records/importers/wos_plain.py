"""Web of Science "Plain text file" exports (``FN Clarivate Analytics Web of Science``).

Two-letter tags at the start of a line, continuation lines indented by three spaces (one author
or keyword per line), ``ER`` closing a record and ``EF`` closing the file.

References
----------
Clarivate. Web of Science Core Collection field tags ("Export: Plain text file").
"""

from __future__ import annotations

import re

from evsynth.records.importers.base import Draft, ImportProblem, parse_year

_TAG = re.compile(r"^([A-Z][A-Z0-9]) (.*)$")
# Tags whose continuation lines are separate values (one per line), not wrapped text.
_LISTS = {"AU", "AF", "CR", "C1", "BE", "BA", "BF"}


def parse(text: str, file: str, problems: list[ImportProblem]) -> tuple[list[Draft], str]:
    """Drafts from a WoS plain-text export (the database is Web of Science)."""
    drafts: list[Draft] = []
    fields: dict[str, list[str]] = {}
    start = 0
    last = ""
    ended = True

    def close() -> None:
        drafts.append(_draft(fields, start))

    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip()
        if not line:
            continue
        if line in {"ER"}:
            if not ended:
                close()
            ended, fields = True, {}
            continue
        if line == "EF" or line.startswith(("FN ", "VR ")):
            continue
        match = _TAG.match(line)
        if match:
            tag, value = match.groups()
            if tag == "PT" or ended:
                if not ended:
                    problems.append(ImportProblem(file, start, "record has no closing ER; kept"))
                    close()
                fields, start, ended = {}, number, False
            fields.setdefault(tag, []).append(value)
            last = tag
        elif raw.startswith("   ") and not ended and last:
            if last in _LISTS:
                fields[last].append(line.strip())
            else:
                fields[last][-1] += " " + line.strip()
        else:
            problems.append(ImportProblem(file, number, "line is not a WoS tag; ignored"))
    if not ended:
        problems.append(
            ImportProblem(file, start, "file ends inside this record (truncated?); record kept")
        )
        close()
    return drafts, "Web of Science"


def _draft(fields: dict[str, list[str]], line: int) -> Draft:
    def one(tag: str) -> str:
        return " ".join(fields.get(tag, []))

    draft = Draft(line=line)
    draft.title = one("TI")
    draft.authors = fields.get("AF") or fields.get("AU") or []
    draft.journal = one("SO")
    draft.year = parse_year(one("PY") or one("EA"))
    draft.volume = one("VL")
    draft.issue = one("IS")
    bp, ep = one("BP"), one("EP")
    draft.pages = f"{bp}-{ep}" if bp and ep else bp or ep or one("AR")
    draft.doi = one("DI")
    draft.pmid = one("PM")
    draft.abstract = one("AB")
    draft.keywords = [k.strip() for k in one("DE").split(";") if k.strip()]
    draft.type = one("DT") or one("PT")
    draft.original_id = one("UT")
    mapped = {
        "TI",
        "AF",
        "AU",
        "SO",
        "PY",
        "VL",
        "IS",
        "BP",
        "EP",
        "AR",
        "DI",
        "PM",
        "AB",
        "DE",
        "DT",
        "PT",
        "UT",
    }
    draft.extra = {tag: "; ".join(v) for tag, v in fields.items() if tag not in mapped}
    return draft
