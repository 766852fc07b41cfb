"""PubMed XML (``PubmedArticleSet`` from PubMed "Send to: File, XML" or E-utilities efetch).

References
----------
National Library of Medicine. PubMed XML DTD (pubmed_250101.dtd) and its element descriptions.
"""

from __future__ import annotations

from typing import Any

from evsynth.records.importers.base import Draft, ImportProblem, parse_year
from evsynth.records.importers.xmlsafe import parse_xml, text_of


def _authors(article: Any) -> list[str]:
    out: list[str] = []
    for author in article.iterfind(".//AuthorList/Author"):
        last = text_of(author.find("LastName"))
        given = text_of(author.find("ForeName")) or text_of(author.find("Initials"))
        collective = text_of(author.find("CollectiveName"))
        if last:
            out.append(f"{last}, {given}" if given else last)
        elif collective:
            out.append(collective)
    return out


def _draft(node: Any) -> Draft:
    draft = Draft(line=node.sourceline or 0)
    draft.pmid = text_of(node.find(".//PMID"))
    article = node.find(".//Article")
    if article is None:
        article = node.find(".//BookDocument")
    scope = article if article is not None else node
    draft.title = text_of(scope.find("ArticleTitle")) or text_of(scope.find(".//BookTitle"))
    vernacular = text_of(scope.find("VernacularTitle"))
    if vernacular:
        draft.extra["vernacular_title"] = vernacular
    parts = []
    for abstract in scope.iterfind(".//Abstract/AbstractText"):
        label = abstract.get("Label")
        body = text_of(abstract)
        parts.append(f"{label}: {body}" if label else body)
    draft.abstract = " ".join(parts)
    draft.authors = _authors(scope)
    journal = scope.find("Journal")
    if journal is not None:
        draft.journal = text_of(journal.find("Title"))
        abbrev = text_of(journal.find("ISOAbbreviation"))
        if abbrev:
            draft.extra["journal_abbrev"] = abbrev
        draft.volume = text_of(journal.find("JournalIssue/Volume"))
        draft.issue = text_of(journal.find("JournalIssue/Issue"))
        date = journal.find("JournalIssue/PubDate")
        draft.year = parse_year(
            text_of(date.find("Year")) or text_of(date.find("MedlineDate"))
            if date is not None
            else ""
        )
    else:
        draft.year = parse_year(text_of(scope.find(".//PubDate/Year")))
    draft.pages = text_of(scope.find("Pagination/MedlinePgn"))
    for loc in scope.iterfind("ELocationID"):
        if loc.get("EIdType") == "doi":
            draft.doi = text_of(loc)
    for aid in node.iterfind(".//PubmedData/ArticleIdList/ArticleId"):
        kind = aid.get("IdType")
        if kind == "doi" and not draft.doi:
            draft.doi = text_of(aid)
        elif kind == "pmc":
            draft.extra["pmc"] = text_of(aid)
    draft.type = "; ".join(text_of(t) for t in scope.iterfind(".//PublicationType"))
    draft.keywords = [text_of(k) for k in node.iterfind(".//MeshHeading/DescriptorName")]
    draft.keywords += [text_of(k) for k in node.iterfind(".//KeywordList/Keyword")]
    lang = text_of(scope.find("Language"))
    if lang:
        draft.extra["language"] = lang
    return draft


def parse_bytes(data: bytes, file: str, problems: list[ImportProblem]) -> tuple[list[Draft], str]:
    """Drafts from PubMed XML bytes (the database is PubMed)."""
    root = parse_xml(data, file, problems)
    nodes = [n for n in root.iter("PubmedArticle", "PubmedBookArticle")]
    if root.tag in {"PubmedArticle", "PubmedBookArticle"}:
        nodes = [root]
    drafts = []
    for node in nodes:
        draft = _draft(node)
        if not draft.pmid:
            problems.append(ImportProblem(file, draft.line, "article without a PMID (truncated?)"))
        drafts.append(draft)
    return drafts, "PubMed"
