"""Normalised forms of bibliographic fields, computed once per record for blocking and scoring.

Exports of one article differ in case, punctuation, accents, HTML tags, language tags such as
``[Chinese]``, author initials (``Zuber, J`` / ``Zuber, Julien``), abbreviated journal names
(``Nat Rev Nephrol``) and page ranges (``23-35`` / ``23-5``). These functions remove exactly those
differences and keep everything that can tell two papers apart (numbers, ``Part 2``, ``erratum``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from evsynth.records.model import Record

_TAGS = re.compile(r"<[^>]{1,40}>")
# Language notes that databases append to translated titles: "[Chinese]", "[Article in French]".
_LANG = re.compile(
    r"\[(?:article in |in )?(?:[a-z]+(?: and [a-z]+)?)\]|\((?:author's transl|in [a-z]+)\)",
    re.IGNORECASE,
)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6"}
# Words marking a notice about another paper: a notice is never a duplicate of its paper.
NOTICE_WORDS = frozenset(
    {
        "erratum",
        "errata",
        "corrigendum",
        "correction",
        "retraction",
        "retracted",
        "reply",
        "response",
        "comment",
        "commentary",
        "letter",
        "editorial",
        "addendum",
    }
)
_PART = re.compile(
    r"\b(?:part|phase|study|trial|paper|section|chapter)\s+([0-9]+|[ivx]+|one|two|three)\b"
)
_STOP_WORDS = "a an the of in on for and or to with by at from as is are was were be its their into"
_STOP = frozenset([*_STOP_WORDS.split(), "versus", "vs"])


# Letters that Unicode does not decompose into a base letter plus an accent.
_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "þ": "th",
        "ı": "i",
        # Dashes that ASCII folding would drop, gluing two words ("Toxin–Associated").
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
    }
)


def ascii_fold(text: str) -> str:
    """Lowercase ASCII: accents removed (``Grundström`` -> ``grundstrom``, ``Søreide`` ->
    ``soreide``), ligatures expanded."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return decomposed.encode("ascii", "ignore").decode("ascii").lower()


# Annotations that databases add to a title: "[Erratum appears in ...]", "[see comment]",
# "(vol 360, pg 542, 2009)", "... N Engl J Med. 2009".
_ANNOTATION = re.compile(
    r"\[[^\]]*\]?|\((?:vol|volume)\b[^)]*\)?|\.{3}\s*[A-Z][A-Za-z ]+\.?\s+(?:19|20)\d\d.*$"
    r"|\((?:[a-z ]+\(\d{4}\)[^)]*)\)?"
    # An unclosed parenthesis of four words or more at the end: a citation note cut off.
    r"|\((?:[^()\s]+\s+){3,}[^)]*$",
    re.IGNORECASE,
)


# Quotation marks that some exports keep around a whole field (``"[A new paracentesis ...]"``).
_QUOTES = "\"'\u201c\u201d\u201e\u00ab\u00bb"
# Ovid appends fields to a title: ``... LA: Chi`` (language), ``... TO: <original title>``, and
# ``... <ORIGINAL> <title in its own language>``; the English title is what precedes them.
_OVID_TAIL = re.compile(r"\s*(?:<ORIGINAL>|\bTO: |\bLA: [A-Z][a-z]{1,10}\s*$).*$", re.DOTALL)


def unquote(text: str) -> str:
    """A field without the quotation marks an export kept around all of it (or, in a field cut
    short, at its start only)."""
    return text.strip().strip(_QUOTES + " ")


def strip_annotations(title: str) -> str:
    """A title without database annotations; a title wholly in brackets (translated) unwrapped."""
    text = _OVID_TAIL.sub("", unquote(title))
    if text.startswith("[") and "]" not in text:
        text = text[1:]  # a translated title cut short before its closing bracket
    whole = re.fullmatch(r"\[(.+)\][.\s]*(\[[^\]]*\][.\s]*)?", text)
    if whole:
        text = whole.group(1)
    return _ANNOTATION.sub(" ", text)


def norm_title(title: str) -> str:
    """A title reduced to lowercase words and numbers separated by single spaces."""
    text = strip_annotations(title)
    text = _TAGS.sub(" ", text)
    text = _LANG.sub(" ", text)
    text = ascii_fold(text).replace("&", " and ")
    return _NON_ALNUM.sub(" ", text).strip()


def norm_journal(journal: str, *, cut: bool = True) -> str:
    """A journal name as lowercase words without ``the``, punctuation and ``&``/``and``.

    With ``cut``, subtitles and notes after ``;``, `` :`` or ``(`` are dropped: ``Stroke; a
    journal of cerebral circulation``, ``Stroke (00392499)`` and ``Stroke`` are one journal.
    Without it the whole name is kept.
    """
    text = ascii_fold(journal)
    if cut:
        # MEDLINE writes subtitles after " : " ("J Orthop Sci : official journal of ..."); a colon
        # without the space belongs to the name ("Journal of Neurosurgery: Spine").
        text = re.split(r";|\s:|[(\[]|\.\s*conference", text)[0]
    text = _LANG.sub(" ", text).replace("&", " ")
    words = [w for w in _NON_ALNUM.sub(" ", text).split() if w not in {"the", "and", "of"}]
    return " ".join(words)


_PARTICLE_WORDS = "van von de der den del della di da dos du le la ten ter"
_PARTICLES = frozenset(_PARTICLE_WORDS.split())


def author_key(author: str) -> tuple[str, str]:
    """(family name, first initial) of a ``"Family, Given"`` author, folded to ASCII.

    Particles are dropped from the family name (``van Kessel``, ``De Joode``, ``Le Quintrec`` are
    exported with and without them), and a given name exported as ``null`` is ignored.
    """
    author = re.sub(r",\s*null\s*$", "", author.strip(), flags=re.IGNORECASE)
    if "," in author:
        family, _, given = author.partition(",")
        words = ascii_fold(family).split()
        kept = [w for w in words if w not in _PARTICLES] or words
        if len(words) > 1:
            family = " ".join(kept)
        # "Le, Quintrec M.": a particle alone before the comma, the family name after it.
        if ascii_fold(family).strip() in _PARTICLES and given.strip():
            parts = given.split()
            family, given = parts[0], " ".join(parts[1:])
    else:
        family, given = author, ""
    fam = _NON_ALNUM.sub("", ascii_fold(family))
    giv = _NON_ALNUM.sub("", ascii_fold(given))
    if not given and " " in family.strip():
        # "Zuber J" or "Julien Zuber" without a comma.
        parts = ascii_fold(family).split()
        if re.fullmatch(r"[a-z]{1,3}", parts[-1]):
            fam, giv = _NON_ALNUM.sub("", "".join(parts[:-1])), parts[-1]
        else:
            fam, giv = _NON_ALNUM.sub("", parts[-1]), parts[0]
    return fam, giv[:1]


def volume_number(volume: str) -> str:
    """The volume as its first run of digits (``35 Suppl 1`` -> ``35``); empty without digits.

    A volume field without a digit holds something else (a month, ``(Jul)``), so it is treated as
    missing rather than as a volume that contradicts the other record's.
    """
    runs = re.findall(r"\d+", volume)
    return (runs[0].lstrip("0") or "0") if runs else ""


_MONTH = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\b", re.IGNORECASE)


def first_page(pages: str) -> str:
    """The first page (``S12`` kept with its letter, leading zeros dropped)."""
    match = re.match(r"\s*([A-Za-z]*)0*(\d+)", pages)
    if match:
        return (match.group(1) + match.group(2)).lower()
    roman = re.match(r"\s*([ivxlc]+)\b", pages, re.IGNORECASE)
    if roman:
        return roman.group(1).lower()  # front matter ("vi", "xii-xiv")
    # Anything else is a page field mangled by an export ("Suppl-29", "t-8", "A-F24_1-10"): it
    # neither confirms nor contradicts the other record's pages.
    return ""


_ARTICLE_NUMBER = re.compile(r"[a-e]\d{3,}")


def is_article_number(page: str) -> bool:
    """Whether a first page (as :func:`first_page` gives it) is an electronic article number
    (``e12724``, BMJ's ``c1804``) rather than a printed page."""
    return bool(_ARTICLE_NUMBER.fullmatch(page))


def last_page(pages: str) -> str:
    """The last page of a range written in full (``2097-2108``); empty for one page."""
    match = re.match(r"\s*[A-Za-z]*0*(\d+)\s*[-\u2013]+\s*[A-Za-z]*0*(\d+)", pages)
    if not match or len(match.group(2)) < len(match.group(1)):
        return ""  # abbreviated ranges ("1297-306") are compared by first page only
    return match.group(2)


def page_span(pages: str) -> tuple[int, int] | None:
    """First and last page as numbers (``1297-306`` -> ``(1297, 1306)``, ``945`` -> ``(945,
    945)``); ``None`` without a page number or with a range that ends before it starts. An
    abbreviated end takes the start's leading digits, carrying over a hundred (``694-03`` ->
    ``(694, 703)``).
    """
    match = re.match(r"\s*[A-Za-z]*0*(\d+)(?:\s*[-\u2013]+\s*[A-Za-z]*(\d+))?", pages)
    if not match:
        return None
    start, end = match.group(1), match.group(2) or match.group(1)
    first, last = int(start), int(end)
    if len(end) < len(start):
        last = int(start[: len(start) - len(end)] + end)
        if last < first:
            last += 10 ** len(end)
    # A range written in full that ends before it starts has a typo in it ("2297-2108").
    return (first, last) if last >= first else None


# Cross-references that databases write into a title. On an article: "[Erratum appears in
# N Engl J Med. 2009 Jun 4;360(23):2487]" (where its erratum is). On the notice itself:
# "(vol 360, pg 542, 2009)" or "(New England Journal of Medicine (2009) 360 (542-544))" (the
# article it corrects). Each gives a (volume, first page) pair.
_ERRATUM_AT = re.compile(
    r"\[\s*(?:erratum|errata|corrigendum|correction)s?\b[^\]]*?;\s*(\d+)\s*(?:\([^)]*\))?\s*:"
    r"\s*([A-Za-z]?\d+)",
    re.IGNORECASE,
)
_CORRECTS = re.compile(
    r"\(\s*vol(?:ume)?\.?\s*(\d+)\s*,?\s*(?:pg|p|pp|page)\.?\s*([A-Za-z]?\d+)"
    r"|\(\s*[A-Za-z][A-Za-z .&]+\(\s*(?:19|20)\d\d\s*\)\s*(\d+)\s*\(\s*([A-Za-z]?\d+)",
    re.IGNORECASE,
)


def _citation(volume: str, page: str) -> tuple[str, str]:
    return volume.lstrip("0") or "0", first_page(page)


def erratum_citations(title: str) -> frozenset[tuple[str, str]]:
    """(volume, first page) of the errata an article's title says were printed."""
    return frozenset(_citation(m.group(1), m.group(2)) for m in _ERRATUM_AT.finditer(title))


def corrected_citations(title: str) -> frozenset[tuple[str, str]]:
    """(volume, first page) of the article that a notice's title cites as the one it corrects."""
    found = set()
    for m in _CORRECTS.finditer(title):
        volume, page = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        found.add(_citation(volume, page))
    return frozenset(found)


def name_tokens(author: str) -> frozenset[str]:
    """Every word of an author's name (folded, no particles, no ``null``): for name-order flips."""
    words = _NON_ALNUM.sub(" ", ascii_fold(author)).split()
    return frozenset(w for w in words if len(w) > 1 and w not in _PARTICLES and w != "null")


def part_numbers(title_norm: str) -> frozenset[str]:
    """Numbers of parts/phases in a normalised title (``part 2``, ``part ii`` -> ``2``)."""
    words = {"one": "1", "two": "2", "three": "3"}
    return frozenset(
        _ROMAN.get(m.group(1), words.get(m.group(1), m.group(1)))
        for m in _PART.finditer(title_norm)
    )


@dataclass(frozen=True)
class NormRecord:
    """The normalised fields of one record (what blocking and scoring look at)."""

    index: int
    id: str
    title: str
    title_compact: str
    tokens: frozenset[str]
    authors: tuple[tuple[str, str], ...]
    author_tokens: tuple[frozenset[str], ...]
    year: int | None
    journal: str
    journal_whole: str
    venue_tokens: frozenset[str]
    volume: str
    issue: str
    page: str
    last_page: str
    #: The issue when it is a plain number ("6"; not "2-3", "Suppl 1"), else empty.
    issue_number: str
    #: First and last page as numbers (None without a page number).
    span: tuple[int, int] | None
    doi: str
    pmid: str
    notice: frozenset[str]
    parts: frozenset[str]
    numbers: frozenset[str]
    is_abstract: bool
    is_conference: bool
    #: (volume, first page) of errata the title points to ("[Erratum appears in ...]").
    erratum_at: frozenset[tuple[str, str]] = frozenset()
    #: (volume, first page) of the article a notice's title cites ("(vol 360, pg 542, 2009)").
    corrects: frozenset[tuple[str, str]] = frozenset()
    #: A page field that says nothing readable ("01-Aug", "Suppl-29"), kept as written: the same
    #: garbled text in two exports still agrees, while against a real page it says nothing.
    page_text: str = ""
    #: The Cochrane review number (``CD006320``) of a record in the Cochrane Database of
    #: Systematic Reviews, from its pages or DOI: one review across all its versions.
    cochrane: str = ""


_NOTICE_PREFIX = re.compile(
    r"^(?:notice of )?(?:erratum|errata|corrigendum|correction|retraction|retracted|reply|"
    r"response|comment|commentary|re|addendum)(?: (?:to|on|of|for|in))?(?: the article)? "
)


def normalise(record: Record, index: int) -> NormRecord:
    """The :class:`NormRecord` of a record (``index``: its position in the input)."""
    full = norm_title(record.title)
    pages = unquote(record.pages)
    page_text = ""
    if _MONTH.search(pages):
        # a range that a spreadsheet turned into a date ("1-8" -> "01-Aug")
        pages, page_text = "", ascii_fold(pages).strip()
    page = first_page(pages)
    if pages.strip() and not page:
        page_text = ascii_fold(pages).strip()
    words = full.split()
    # The notice is recorded from the full title; the title compared is the paper's own, so an
    # erratum is found (and linked as a report of the same study) rather than missed.
    title = _NOTICE_PREFIX.sub("", full)
    journal_field = unquote(record.journal)
    journal = norm_journal(journal_field)
    kind = record.type.lower()
    # A conference abstract: typed so, or printed in a supplement / abstract issue.
    is_abstract = (
        "conf" in kind
        or "abstract" in kind
        or "proceed" in kind
        or bool(
            re.search(
                r"\b(?:suppl|supplement|abstracts?|congress|meeting|conference)\b",
                ascii_fold(record.journal),
            )
        )
        or bool(re.search(r"suppl|^s\d", record.issue.lower() + " " + record.volume.lower()))
    )
    return NormRecord(
        index=index,
        id=record.id,
        title=title,
        title_compact=title.replace(" ", ""),
        tokens=frozenset(w for w in words if w not in _STOP),
        authors=tuple(author_key(a) for a in record.authors if a.strip()),
        author_tokens=tuple(name_tokens(a) for a in record.authors if a.strip()),
        year=record.year,
        journal=journal,
        journal_whole=norm_journal(journal_field, cut=False),
        venue_tokens=frozenset(_NON_ALNUM.sub(" ", ascii_fold(record.journal)).split()),
        volume=volume_number(record.volume),
        issue=_NON_ALNUM.sub("", record.issue.lower()),
        page=page,
        last_page=last_page(pages),
        span=page_span(pages),
        issue_number=record.issue.strip().lstrip("0") if record.issue.strip().isdigit() else "",
        doi=record.doi.strip().lower(),
        pmid=record.pmid.strip().lstrip("0"),
        # "Re: <title>" is how letters about a paper are titled.
        # A notice says so near the start ("Erratum: ...", "Re: ...") or at the very end
        # ("... - Reply", "...: author's response").
        notice=frozenset(w for w in words[:6] + words[-2:] if w in NOTICE_WORDS)
        | (frozenset({"reply"}) if words[:1] == ["re"] else frozenset()),
        parts=part_numbers(title),
        numbers=frozenset(w for w in words if w.isdigit()),
        is_abstract=is_abstract,
        is_conference="proceed" in kind or "conf" in kind,
        erratum_at=erratum_citations(record.title),
        corrects=corrected_citations(record.title),
        page_text=page_text,
        cochrane=cochrane_number(record.journal, pages, record.doi),
    )


_CD_NUMBER = re.compile(r"\bcd(\d{6})\b|14651858\.?cd(\d{6})", re.IGNORECASE)


def cochrane_number(journal: str, pages: str, doi: str) -> str:
    """``CD`` and six digits for a record of the Cochrane Database of Systematic Reviews, else
    empty. Each update of a review is published under the same number (and a DOI ending
    ``.pub2``, ``.pub3``)."""
    if "cochrane" not in journal.lower() and "14651858" not in doi:
        return ""
    match = _CD_NUMBER.search(f"{pages} {doi}")
    return "CD" + (match.group(1) or match.group(2)) if match else ""


def journal_abbreviates(short: str, full: str) -> bool:
    """Whether ``short`` abbreviates ``full`` word for word (``nat rev nephrol`` of ``nature
    reviews nephrology``). Every word must be abbreviated: ``pain`` does not abbreviate ``pain
    medicine``, which is another journal."""
    s_words, f_words = short.split(), full.split()
    return (
        bool(s_words)
        and len(s_words) == len(f_words)
        and all(f.startswith(w) for w, f in zip(s_words, f_words, strict=True))
    )


def journal_acronym(short: str, full: str) -> bool:
    """Whether ``short`` is the acronym of ``full`` (``cmaj``, ``jama``, ``bmj``, ``pnas``)."""
    words = full.split()
    return " " not in short and len(short) >= 3 and "".join(w[0] for w in words) == short
