"""PubMed MEDLINE format (``.nbib`` from "Send to: Citation manager", ``.txt`` "PubMed" format).

Each tag is four characters padded with spaces, then ``- ``; continuation lines start with six
spaces; records are separated by blank lines and start with ``PMID-``.

References
----------
National Library of Medicine. MEDLINE/PubMed Data Element (Field) Descriptions.
https://www.nlm.nih.gov/bsd/mms/medlineelements.html
"""

from __future__ import annotations

import re

from evsynth.records.importers.base import Draft, ImportProblem, family_given, parse_year

_TAG = re.compile(r"^([A-Z][A-Z0-9 ]{1,3})- ?(.*)$")
_KNOWN = {
    "PMID",
    "OWN",
    "STAT",
    "DCOM",
    "LR",
    "IS",
    "VI",
    "IP",
    "DP",
    "TI",
    "PG",
    "LID",
    "AB",
    "FAU",
    "AU",
    "AD",
    "LA",
    "PT",
    "DEP",
    "PL",
    "TA",
    "JT",
    "JID",
    "SB",
    "MH",
    "OT",
    "EDAT",
    "MHDA",
    "CRDT",
    "PHST",
    "AID",
    "PST",
    "SO",
    "CI",
    "GR",
    "AUID",
    "RN",
    "OTO",
    "COIS",
    "PMC",
    "MID",
    "CIN",
    "CON",
    "EIN",
    "EFR",
    "CRF",
    "CRI",
    "RIN",
    "ROF",
    "RPF",
    "RPI",
    "UIN",
    "UOF",
    "SPIN",
    "ORI",
    "TT",
    "VTI",
    "BTI",
    "CTI",
    "ECF",
    "ECI",
    "ED",
    "FED",
    "EN",
    "ISBN",
    "GN",
    "IR",
    "FIR",
    "IRAD",
    "OAB",
    "OABL",
    "PS",
    "FPS",
    "PUBM",
    "SFM",
    "SI",
    "CN",
    "NM",
    "OID",
    "PMCR",
    "RF",
    "DA",
    "DRIN",
    "DDIN",
    "CDAT",
}


def _entries(
    text: str, file: str, problems: list[ImportProblem]
) -> list[tuple[int, list[tuple[int, str, str]]]]:
    entries: list[tuple[int, list[tuple[int, str, str]]]] = []
    current: list[tuple[int, str, str]] | None = None
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip()
        if not line.strip():
            continue
        match = _TAG.match(line)
        if match and not raw.startswith(" "):
            tag, value = match.group(1).strip(), match.group(2)
            if tag == "PMID" or current is None:
                if current is None and tag != "PMID":
                    problems.append(
                        ImportProblem(file, number, "record does not start with PMID; kept")
                    )
                current = []
                entries.append((number, current))
            if tag not in _KNOWN:
                problems.append(ImportProblem(file, number, f"unknown MEDLINE tag {tag}; kept"))
            current.append((number, tag, value))
        elif current is not None and current and raw.startswith(" "):
            n, tag, value = current[-1]
            current[-1] = (n, tag, f"{value} {line.strip()}")
        else:
            problems.append(ImportProblem(file, number, "line is not a MEDLINE tag; ignored"))
    return entries


def parse(text: str, file: str, problems: list[ImportProblem]) -> tuple[list[Draft], str]:
    """Drafts from MEDLINE text (the database is PubMed)."""
    drafts: list[Draft] = []
    for start, fields in _entries(text, file, problems):
        draft = Draft(line=start)
        full: list[str] = []
        short: list[str] = []
        for _, tag, value in fields:
            value = value.strip()
            if tag == "PMID":
                draft.pmid = value
            elif tag == "TI" or (tag == "BTI" and not draft.title):
                draft.title = value
            elif tag == "AB":
                draft.abstract = value
            elif tag == "FAU":
                full.append(value)
            elif tag == "AU":
                short.append(family_given(value))
            elif tag == "DP":
                draft.year = parse_year(value)
            elif tag == "JT":
                draft.journal = value
            elif tag == "TA":
                draft.extra["journal_abbrev"] = value
            elif tag == "VI":
                draft.volume = value
            elif tag == "IP":
                draft.issue = value
            elif tag == "PG":
                draft.pages = value
            elif tag in {"LID", "AID"} and value.endswith("[doi]") and not draft.doi:
                draft.doi = value[: -len("[doi]")].strip()
            elif tag in {"MH", "OT"}:
                draft.keywords.append(value)
            elif tag == "PT":
                draft.type = f"{draft.type}; {value}" if draft.type else value
            else:
                key = tag
                draft.extra[key] = f"{draft.extra[key]}; {value}" if key in draft.extra else value
        # Full names (FAU) when given, else the short form (AU): "Zuber, Julien" vs "Zuber J".
        draft.authors = full if full and len(full) >= len(short) else short
        if not draft.journal:
            draft.journal = draft.extra.get("journal_abbrev", "")
        drafts.append(draft)
    return drafts, "PubMed"
