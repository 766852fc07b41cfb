"""What every importer shares: decoding the file, the result type, and field clean-up.

Importers never drop a record silently: every entry found in a file becomes a :class:`Record`
(possibly with empty fields) and every recoverable oddity becomes an :class:`ImportProblem` that
names the file and the line. Problems that make the file unreadable raise
:class:`evsynth.errors.InputError`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from evsynth.errors import InputError
from evsynth.records.model import Record, Source

# Encodings tried after UTF-8, in order. cp1252 is what Windows reference managers write; latin-1
# never fails, so the last fallback always decodes, and the problem list says that it was used.
_FALLBACKS = ("cp1252", "latin-1")


@dataclass(frozen=True)
class ImportProblem:
    """A recoverable problem in an import, located by file and line (1-based, as in an editor)."""

    file: str
    line: int | None
    message: str
    column: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}"


@dataclass(frozen=True)
class ImportResult:
    """The records read from one file, the source they belong to, and what looked wrong.

    ``entries`` is the number of entries found in the file; it always equals ``len(records)``
    (nothing is dropped), and tests hold the importers to that.
    """

    records: tuple[Record, ...]
    source: Source
    format: str
    problems: tuple[ImportProblem, ...] = ()
    layout: str = ""
    entries: int = field(default=0)

    def summary(self, limit: int = 20) -> str:
        """One line for the import plus one per kind of problem (the first ``limit`` kinds).

        A problem met on many lines (an Ovid export's numbering line before every record) is
        said once with its first lines and how many more, so a rarer one is not crowded out.
        """
        head = (
            f"{self.source.file}: {len(self.records)} records from {self.source.database} "
            f"({self.format}{', ' + self.layout if self.layout else ''})"
        )
        kinds: dict[tuple[str, str, str | None], list[int | None]] = {}
        for p in self.problems:
            kinds.setdefault((p.file, p.message, p.column), []).append(p.line)
        lines = [head]
        for (file, message, column), at in list(kinds.items())[:limit]:
            if len(at) == 1:
                lines.append(f"  warning: {ImportProblem(file, at[0], message, column)}")
                continue
            shown = ", ".join(str(n) for n in at[:3] if n is not None)
            more = f" and {len(at) - 3} more" if len(at) > 3 else ""
            where = ", ".join(
                [file, f"lines {shown}{more}", *([f"column '{column}'"] if column else [])]
            )
            lines.append(f"  warning: {where}: {message}")
        if len(kinds) > limit:
            hidden = sum(len(at) for at in list(kinds.values())[limit:])
            lines.append(f"  ... and {hidden} more warnings of {len(kinds) - limit} other kinds")
        return "\n".join(lines)


@dataclass
class Draft:
    """A record being assembled by a parser (mutable; frozen into a Record at the end)."""

    line: int
    title: str = ""
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    journal: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    pmid: str = ""
    abstract: str = ""
    keywords: list[str] = field(default_factory=list)
    type: str = ""
    original_id: str = ""
    # The database this record came from, when the export names one per record (Ovid and EndNote
    # exports of a multi-database search mix Embase and MEDLINE records in one file).
    database: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def to_record(self, rid: str, source: str, source_file: str) -> Record:
        return Record(
            id=rid,
            source=source,
            source_file=source_file,
            source_line=self.line,
            title=clean_space(self.title),
            authors=tuple(a for a in (clean_space(x) for x in self.authors) if a),
            year=self.year,
            journal=clean_space(self.journal),
            volume=clean_space(self.volume),
            issue=clean_space(self.issue),
            pages=clean_space(self.pages),
            doi=clean_doi(self.doi),
            pmid=clean_space(self.pmid),
            abstract=clean_space(self.abstract),
            keywords=tuple(k for k in (clean_space(x) for x in self.keywords) if k),
            type=clean_space(self.type),
            extra=dict(self.extra),
        )


def decode(data: bytes, file: str, problems: list[ImportProblem]) -> str:
    """Decode an export: UTF-8 (with or without BOM, UTF-16 with BOM), else a reported fallback.

    Line endings are normalised to ``\\n`` so that line numbers match what an editor shows for
    CRLF and LF files alike. Binary data (NUL bytes in a file without a UTF-16 BOM) is refused.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(f"invalid UTF-16 text: {exc.reason}", file=file) from exc
    else:
        if b"\x00" in data:
            raise InputError("this is a binary file, not a text export", file=file)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = _decode_by_line(data, file, problems)
    text = text.lstrip("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_by_line(data: bytes, file: str, problems: list[ImportProblem]) -> str:
    """UTF-8 line by line, Windows-1252 for the lines that are not UTF-8.

    Line by line, because a file that is UTF-8 except for a few pasted lines keeps its accents
    right everywhere else, and a file that is wholly Windows-1252 is decoded as such.
    """
    out: list[str] = []
    bad: list[int] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            out.append(raw.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            bad.append(number)
        for encoding in _FALLBACKS:
            try:
                out.append(raw.decode(encoding))
                break
            except UnicodeDecodeError:
                continue
    problems.append(
        ImportProblem(
            file,
            bad[0],
            f"{len(bad)} line(s) not valid UTF-8 (the first here); decoded as Windows-1252, "
            "check accented names",
        )
    )
    return "\n".join(out)


_SPACE = re.compile(r"\s+")


def clean_space(text: str) -> str:
    """Collapse runs of whitespace (multi-line fields) and strip; NFC-normalise accents."""
    return unicodedata.normalize("NFC", _SPACE.sub(" ", text)).strip()


_DOI = re.compile(r"10\.\d{4,9}/\S+")


def clean_doi(text: str) -> str:
    """The bare DOI (``10.xxxx/...``) from a DOI, a ``doi:`` label or a doi.org URL."""
    match = _DOI.search(text.strip())
    if not match:
        return clean_space(text)
    return match.group(0).rstrip(".,;)]")


_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")


def parse_year(text: str) -> int | None:
    """The first plausible four-digit year in a date field (``2011 Jan``, ``2011/03/01``)."""
    match = _YEAR.search(text or "")
    return int(match.group(1)) if match else None


def family_given(name: str) -> str:
    """An author as ``"Family, Given"`` from ``Family, Given``, ``Family GI`` or ``Given Family``.

    MEDLINE and Scopus write ``Zuber J`` (family then initials); BibTeX and most RIS write
    ``Zuber, J.``; some CSV exports write ``Julien Zuber``. Without a comma, a trailing group of
    one to three capital letters is taken as initials; otherwise the last word is the family name.
    """
    name = clean_space(name).strip(";,")
    if not name or "," in name:
        return name
    parts = name.split(" ")
    if len(parts) == 1:
        return name
    if re.fullmatch(r"(?:[A-Z]\.?-?){1,4}", parts[-1]):
        return f"{' '.join(parts[:-1])}, {parts[-1]}"
    return f"{parts[-1]}, {' '.join(parts[:-1])}"


def split_authors(text: str) -> list[str]:
    """Authors from one field: separated by ``;`` or `` and `` (BibTeX), else one per comma pair.

    ``"Zuber J, Le Quintrec M"`` (Covidence, Scopus) has no semicolons: a comma separates authors
    there when no part contains a space-free ``Family, Given`` pattern.
    """
    text = clean_space(text)
    if not text:
        return []
    if ";" in text:
        parts = text.split(";")
    elif " and " in text:
        parts = re.split(r"\s+and\s+", text)
    elif "," in text:
        pieces = [p.strip() for p in text.split(",")]
        # "Zuber J, Le Quintrec M": every piece has a space and ends in initials -> many authors.
        if all(re.search(r"\s(?:[A-Z]\.?-?){1,4}$", p) for p in pieces if p):
            parts = pieces
            # PubMed closes its list with a full stop ("..., Wagenpfeil S."): not an initial's
            # when the other initials have none.
            if parts[-1].endswith(".") and not any("." in p for p in parts[:-1]):
                parts[-1] = parts[-1][:-1]
        else:
            parts = [text]
    else:
        parts = [text]
    return [family_given(p) for p in parts if p.strip()]


def source_slug(name: str) -> str:
    """A short lowercase prefix for record IDs from a source name (``Web of Science`` -> wos)."""
    known = {"web of science": "wos", "pubmed": "pubmed", "medline": "medline"}
    low = name.strip().lower()
    if low in known:
        return known[low]
    slug = re.sub(r"[^a-z0-9]+", "", low)
    return slug[:16] or "rec"


def read_bytes(path: str | Path) -> bytes:
    """The bytes of an export, with a clear message when the file cannot be read."""
    p = Path(path)
    try:
        return p.read_bytes()
    except FileNotFoundError as exc:
        raise InputError("no such file", file=str(p)) from exc
    except IsADirectoryError as exc:
        raise InputError("is a folder, not an export file", file=str(p)) from exc
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", file=str(p)) from exc
