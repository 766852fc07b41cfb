"""CSV, tab-delimited and Excel exports: Covidence, Rayyan, Scopus, Web of Science, Embase.

Each tool names its columns differently. The layout is recognised from the header (columns only
that tool writes, such as Scopus's ``EID`` or Covidence's ``Covidence #``); the columns are then
mapped through one table of names per field, so an unknown layout whose columns have the usual
names still imports. Unmapped columns are kept in ``extra`` and reported once.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator

from evsynth.errors import InputError
from evsynth.records.importers.base import Draft, ImportProblem, parse_year, split_authors

# Columns that identify a layout (lowercase header names; all must be present).
LAYOUTS: dict[str, tuple[frozenset[str], str]] = {
    "covidence": (frozenset({"covidence #"}), "Covidence"),
    "rayyan": (frozenset({"key", "pubmed_id"}), "Rayyan"),
    "scopus": (frozenset({"eid", "source title"}), "Scopus"),
    "wos": (frozenset({"pt", "ut", "ti"}), "Web of Science"),
    "wos_excel": (frozenset({"ut (unique wos id)"}), "Web of Science"),
    "embase": (frozenset({"pui", "source title"}), "Embase"),
    "embase_link": (frozenset({"embase link"}), "Embase"),
    "embase_emtree": (frozenset({"author names", "emtree medical index terms"}), "Embase"),
    "pubmed_csv": (frozenset({"pmid", "citation", "journal/book"}), "PubMed"),
}

# Field -> header names (lowercase), the first one present wins.
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": (
        "id",
        "key",
        "covidence #",
        "ref",
        "record id",
        "record_id",
        "eid",
        "ut",
        "ut (unique wos id)",
        "embase accession number",
        "accession number",
    ),
    "title": ("title", "article title", "document title", "primary title", "ti"),
    "authors": ("authors", "author", "author names", "au", "author(s)", "af", "author full names"),
    "year": ("year", "publication year", "published year", "py", "date", "pubyear"),
    "journal": (
        "journal",
        "source title",
        "journal title",
        "secondary title",
        "so",
        "journal/book",
        "booktitle",
    ),
    "volume": ("volume", "vl"),
    "issue": ("issue", "number", "is"),
    "pages": ("pages", "page", "pp"),
    "start_page": ("page start", "first page", "start page", "bp"),
    "end_page": ("page end", "last page", "end page", "ep"),
    "doi": ("doi", "di"),
    "pmid": ("pmid", "pubmed id", "pubmed_id", "pubmedid", "medline pmid", "pm"),
    "abstract": ("abstract", "ab"),
    "keywords": ("keywords", "author keywords", "de"),
    "type": ("type", "entrytype", "document type", "publication type", "pt", "dt"),
}


def detect_layout(header: Iterable[str]) -> tuple[str, str]:
    """(layout name, database) for a header; ``("generic", "")`` when no tool is recognised."""
    names = {h.strip().lower() for h in header}
    for layout, (needed, database) in LAYOUTS.items():
        if needed <= names:
            return layout, database
    return "generic", ""


def _column_map(header: list[str]) -> dict[str, list[int]]:
    """Field -> the columns that may hold it, in order of preference (first non-empty wins).

    Several candidates matter: BibTeX-like tables have ``journal`` empty and ``booktitle`` filled
    for conference papers; Scopus has ``Authors`` and ``Author full names``.
    """
    lower = [h.strip().lower() for h in header]
    mapping: dict[str, list[int]] = {}
    taken: set[int] = set()
    for fld, names in COLUMNS.items():
        for name in names:
            if name in lower and lower.index(name) not in taken:
                mapping.setdefault(fld, []).append(lower.index(name))
                taken.add(lower.index(name))
    return mapping


def drafts_from_rows(
    rows: Iterator[tuple[int, list[str]]], file: str, problems: list[ImportProblem]
) -> tuple[list[Draft], str, str]:
    """Drafts from (line, cells) rows whose first row is the header; plus layout and database."""
    try:
        _, header = next(rows)
    except StopIteration as exc:
        raise InputError("empty file: no header row", file=file, row=1) from exc
    header = [h.strip() for h in header]
    layout, database = detect_layout(header)
    mapping = _column_map(header)
    if "title" not in mapping and "doi" not in mapping and "pmid" not in mapping:
        raise InputError(
            "no title, DOI or PMID column found in the header "
            f"({', '.join(h for h in header[:8] if h)}...)",
            file=file,
            row=1,
        )
    used = {i for indices in mapping.values() for i in indices}
    # Some exports have no volume, issue or pages columns: they are in one citation cell, "Source"
    # in Embase's CSV (journal and year too), "Citation" in PubMed's (kept in extra as well).
    lower = [h.lower() for h in header]
    citation_column: int | None = None
    if "citation" in lower and "pages" not in mapping:
        citation_column = lower.index("citation")
    elif "source" in lower and "journal" not in mapping:
        citation_column = lower.index("source")
    unmapped = [h for i, h in enumerate(header) if i not in used and h and i != citation_column]
    drafts: list[Draft] = []
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue  # blank line between rows: not a record
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            problems.append(
                ImportProblem(
                    file,
                    line,
                    f"{len(cells)} cells for {len(header)} columns; extra cells kept in extra",
                )
            )
        draft = Draft(line=line)

        def cell(fld: str, cells: list[str] = cells) -> str:
            for index in mapping.get(fld, ()):
                if index < len(cells) and cells[index].strip():
                    return cells[index].strip()
            return ""

        draft.original_id = cell("id")
        draft.title = cell("title")
        draft.authors = split_authors(cell("authors"))
        year_text = cell("year")
        draft.year = parse_year(year_text)
        if year_text and draft.year is None:
            problems.append(ImportProblem(file, line, f"no year in {year_text!r}", "year"))
        draft.journal = cell("journal")
        draft.volume = cell("volume")
        draft.issue = cell("issue")
        sp, ep = cell("start_page"), cell("end_page")
        draft.pages = cell("pages") or (f"{sp}-{ep}" if sp and ep else sp or ep)
        draft.doi = cell("doi")
        pmid = cell("pmid")
        draft.pmid = pmid.split(".")[0] if pmid.replace(".", "").isdigit() else pmid
        draft.abstract = cell("abstract")
        kw = cell("keywords")
        draft.keywords = [k.strip() for k in kw.split(";")] if kw else []
        draft.type = cell("type")
        if citation_column is not None and citation_column < len(cells):
            _fill_from_citation(draft, cells[citation_column].strip())
        for i, name in enumerate(header):
            if i not in used and name and i < len(cells) and cells[i].strip():
                draft.extra[name] = cells[i].strip()
        for i in range(len(header), len(cells)):
            if cells[i].strip():
                draft.extra[f"column_{i + 1}"] = cells[i].strip()
        drafts.append(draft)
    if unmapped and drafts:
        problems.append(
            ImportProblem(file, 1, f"columns kept in extra (not mapped): {', '.join(unmapped)}")
        )
    return drafts, layout, database


_CITATIONS = (
    # Embase: "Pain Physician (2013) 16:3 (185-196). Date of Publication: 1 May 2013", or with
    # "Article Number: e034567" in place of the pages.
    re.compile(
        r"^(?P<journal>.+?) \((?P<year>\d{4})\)"
        r"(?: (?P<volume>[^\s:(]+)(?::(?P<issue>[^\s(]+))?)?"
        r"(?: \((?P<pages>[^)]*)\)| Article Number:? (?P<article>[^\s.]+))?"
        r"\.?(?: Date of Publication:.*)?$"
    ),
    # NLM (PubMed): "Pain Physician. 2013 May-Jun;16(3):185-96. doi: ...", "Eur J Pain. 2022 Jan
    # 31:1-13. doi: ... Online ahead of print."
    re.compile(
        r"^(?P<journal>.+?)\. (?P<year>\d{4})(?: [^;:.]*)?"
        r"(?:;(?P<volume>[^(:;.\s]+)?(?:\((?P<issue>[^)]+)\))?)?"
        r"(?::(?P<pages>[^.;\s]+))?(?P<article>)\.(?:\s.*)?$"
    ),
)


def _fill_from_citation(draft: Draft, text: str) -> None:
    """Journal, year, volume, issue and pages from a citation cell (Embase's "Source",
    PubMed's "Citation"), where the export's own columns left them empty."""
    match = next((m for m in (c.match(text) for c in _CITATIONS) if m), None)
    if not match:
        return
    parts = match.groupdict()
    draft.journal = draft.journal or parts["journal"].strip()
    draft.year = draft.year or int(parts["year"])
    draft.volume = draft.volume or (parts["volume"] or "")
    draft.issue = draft.issue or (parts["issue"] or "")
    draft.pages = draft.pages or (parts["pages"] or parts["article"] or "")


def _csv_rows(text: str, file: str) -> Iterator[tuple[int, list[str]]]:
    first = text.split("\n", 1)[0]
    delimiter = max(("\t", ",", ";"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"malformed CSV ({exc})", file=file, row=start) from exc


def parse_csv(text: str, file: str, problems: list[ImportProblem]) -> tuple[list[Draft], str, str]:
    """Drafts from CSV or tab-delimited text (delimiter from the header line)."""
    text_end = text.rstrip("\n")
    if text_end.count('"') % 2 == 1:
        problems.append(
            ImportProblem(file, text_end.count("\n") + 1, "unbalanced quote: file truncated?")
        )
    return drafts_from_rows(_csv_rows(text, file), file, problems)


def parse_excel(
    data: bytes, file: str, problems: list[ImportProblem]
) -> tuple[list[Draft], str, str]:
    """Drafts from the first sheet of an .xlsx workbook (row numbers as Excel shows them).

    A workbook is a zip of XML parts read lazily by openpyxl (which parses them with defusedxml);
    a damaged one fails deep inside zipfile, zlib or the XML parser with whatever exception those
    raise. Any such failure is the file's fault, so it becomes an InputError naming the file.
    """
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # see the docstring: every failure here is a damaged file
        raise InputError(f"not a readable Excel workbook ({exc})", file=file) from exc
    try:
        if not book.worksheets:
            raise InputError("the workbook has no worksheet", file=file)
        sheet = book.worksheets[0]

        def rows() -> Iterator[tuple[int, list[str]]]:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, ["" if v is None else _cell_text(v) for v in values]

        try:
            return drafts_from_rows(rows(), file, problems)
        except InputError:
            raise
        except Exception as exc:  # a damaged part found while reading rows
            raise InputError(f"not a readable Excel workbook ({exc})", file=file) from exc
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
