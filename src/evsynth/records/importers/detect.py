"""Which export format a file is, from its content first and its extension second.

Content wins because exports are often renamed (``.txt`` for MEDLINE, RIS and tab-delimited Web of
Science alike); the extension only breaks ties for tables.
"""

from __future__ import annotations

import re
from pathlib import Path

from evsynth.errors import InputError

FORMATS: tuple[str, ...] = (
    "ris",
    "wos_plain",
    "cochrane",
    "medline",
    "pubmed_xml",
    "endnote_xml",
    "bibtex",
    "csv",
    "excel",
)

_RIS = re.compile(r"^TY  ?- ", re.MULTILINE)
_MEDLINE = re.compile(r"^PMID- ", re.MULTILINE)
_WOS_PLAIN = re.compile(r"^(?:FN |PT [A-Z]\s*$)", re.MULTILINE)
_BIBTEX = re.compile(r"^\s*@[A-Za-z]+\s*[{(]", re.MULTILINE)


def detect_format(data: bytes, path: str | Path) -> str:
    """The format name (one of :data:`FORMATS`) of an export given its bytes and file name."""
    suffix = Path(path).suffix.lower()
    if data.startswith(b"PK\x03\x04") and suffix not in {".docx", ".zip"}:
        return "excel"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(
            "old binary Excel (.xls) is not supported; save it as .xlsx or CSV", file=str(path)
        )
    if b"\x00" in data[:65536] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("this is a binary file, not a text export", file=str(path))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = data[:65536].decode("utf-16", errors="replace")
    else:
        head = data[:65536].decode("utf-8", errors="replace")
    head = head.lstrip("\ufeff \t\r\n")
    if head.startswith("<"):
        if re.search(r"<PubmedArticle(Set)?[\s>]|<PubmedBookArticle", head):
            return "pubmed_xml"
        if re.search(r"<records?[\s>]", head) and re.search(r"<xml|<ref-type|<record", head):
            return "endnote_xml"
        raise InputError(
            "XML file that is neither PubMed XML nor EndNote XML", file=str(path), row=1
        )
    if head.startswith("FN ") or (_WOS_PLAIN.search(head) and re.search(r"^ER\s*$", head, re.M)):
        return "wos_plain"
    if re.match(r"Record #\d+ of \d+", head):
        return "cochrane"
    if _MEDLINE.search(head):
        return "medline"
    if _RIS.search(head):
        return "ris"
    if _BIBTEX.search(head):
        return "bibtex"
    if suffix in {".ris"}:
        return "ris"
    if suffix in {".nbib"}:
        return "medline"
    if suffix in {".bib", ".bibtex"}:
        return "bibtex"
    first = head.split("\n", 1)[0]
    if suffix in {".csv", ".tsv", ".txt", ".tab"} or "," in first or "\t" in first:
        return "csv"
    raise InputError(
        "cannot tell the export format (expected RIS, MEDLINE, PubMed XML, EndNote XML, BibTeX, "
        "CSV or Excel)",
        file=str(path),
        row=1,
    )
