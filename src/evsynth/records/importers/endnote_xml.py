"""EndNote XML (``<xml><records><record>``, EndNote's "Export: XML"; also Zotero and Mendeley).

EndNote wraps every text in ``<style>`` elements and keeps the database a record came from in
``remote-database-name``; both are handled here.
"""

from __future__ import annotations

from typing import Any

from evsynth.records.importers.base import Draft, ImportProblem, parse_year
from evsynth.records.importers.xmlsafe import parse_xml, text_of

_MAPPED = {
    "ref-type",
    "contributors",
    "titles",
    "periodical",
    "pages",
    "volume",
    "number",
    "dates",
    "electronic-resource-num",
    "abstract",
    "keywords",
    "remote-database-name",
    "remote-database-provider",
    "accession-num",
    "rec-number",
    "foreign-keys",
}


def _draft(node: Any) -> tuple[Draft, str]:
    draft = Draft(line=node.sourceline or 0)
    ref_type = node.find("ref-type")
    draft.type = (ref_type.get("name") or text_of(ref_type)) if ref_type is not None else ""
    draft.authors = [text_of(a) for a in node.iterfind("contributors/authors/author")]
    draft.title = text_of(node.find("titles/title"))
    draft.journal = text_of(node.find("titles/secondary-title")) or text_of(
        node.find("periodical/full-title")
    )
    abbrev = text_of(node.find("periodical/abbr-1"))
    if abbrev:
        draft.extra["journal_abbrev"] = abbrev
    draft.pages = text_of(node.find("pages"))
    draft.volume = text_of(node.find("volume"))
    draft.issue = text_of(node.find("number"))
    draft.year = parse_year(text_of(node.find("dates/year")))
    draft.doi = text_of(node.find("electronic-resource-num"))
    draft.abstract = text_of(node.find("abstract"))
    draft.keywords = [text_of(k) for k in node.iterfind("keywords/keyword")]
    database = text_of(node.find("remote-database-name")) or text_of(
        node.find("remote-database-provider")
    )
    accession = text_of(node.find("accession-num"))
    from_pubmed = "pubmed" in database.lower() or "medline" in database.lower()
    if accession.isdigit() and from_pubmed:
        draft.pmid = accession
    elif accession:
        draft.extra["accession_number"] = accession
    draft.original_id = text_of(node.find("rec-number"))
    for child in node:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag and tag not in _MAPPED and text_of(child):
            draft.extra[tag] = text_of(child)
    return draft, database


def parse_bytes(data: bytes, file: str, problems: list[ImportProblem]) -> tuple[list[Draft], str]:
    """Drafts from EndNote XML bytes, and the database named by the records (if one)."""
    root = parse_xml(data, file, problems)
    drafts: list[Draft] = []
    databases: list[str] = []
    for node in root.iter("record"):
        draft, database = _draft(node)
        draft.database = database
        drafts.append(draft)
        if database:
            databases.append(database)
    # One database for the file only when all records agree (else the file name is the source).
    database = databases[0] if databases and len(set(databases)) == 1 else ""
    return drafts, database
