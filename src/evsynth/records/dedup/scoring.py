"""Compare two records field by field and decide: duplicate, uncertain, same study, or distinct.

The decision is a set of explicit rules rather than a learned model, so that every automatic
merge can be explained in one line ("title 0.98, same DOI, same first page"). Precision comes
first: a false merge hides a study from the review, while a missed duplicate only costs a
screener one extra click. So a pair is merged automatically only when the title agrees and at
least two independent fields confirm it with no field contradicting it; any contradiction of the
kind that separates two reports of one study (year, volume, pages, journal, abstract vs article,
erratum or reply, part 1 vs part 2) makes it a ``same_study`` link instead, unless stronger
evidence says the field is noise: the citation, one identifier, or one paper printed or indexed
twice (:func:`same_work`).

References
----------
Rathbone J, Carter M, Hoffmann T, Glasziou P. Better duplicate detection for systematic
reviewers: evaluation of Systematic Review Assistant-Deduplication Module. Syst Rev 2015;4:6.
Bramer WM, Giustini D, de Jonge GB, Holland L, Bekhuis T. De-duplication of database search
results for systematic reviews in EndNote. J Med Libr Assoc 2016;104(3):240-3.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein

from evsynth.records.dedup.normalise import (
    NormRecord,
    is_article_number,
    journal_abbreviates,
    journal_acronym,
)
from evsynth.records.dedup.notices import MERGED_NOTICES, notice_link

DUPLICATE = "duplicate"
UNCERTAIN = "uncertain"
SAME_STUDY = "same_study"
DISTINCT = "distinct"

# Title similarity (0-1, RapidFuzz normalised Indel similarity on normalised titles).
TITLE_SAME = 0.95  # spelling, hyphens, a dropped word: still the same title
TITLE_CLOSE = 0.85  # a related paper by the same people (reports of one study)


@dataclass(frozen=True)
class PairScore:
    """The comparison of two records: similarity, the decision and the reasons for it."""

    a: str
    b: str
    score: float
    decision: str
    reasons: tuple[str, ...]
    #: The two are certainly different records (different identifiers, years two or more apart,
    #: other pages, a notice, another part): no group may ever contain both.
    conflict: bool = False
    #: ``erratum`` or ``reply`` when one record is a notice about the other (see
    #: :mod:`evsynth.records.dedup.notices`), with the notice's ID in ``notice``.
    relation: str = ""
    notice: str = ""

    def explain(self) -> str:
        return f"{self.a} ~ {self.b}: {self.decision} ({self.score:.3f}; {', '.join(self.reasons)})"


def title_similarity(x: NormRecord, y: NormRecord) -> float:
    if not x.title or not y.title:
        return 0.0
    if x.title_compact == y.title_compact:
        return 1.0
    return (
        max(
            fuzz.ratio(x.title_compact, y.title_compact),
            fuzz.token_sort_ratio(x.title, y.title),
        )
        / 100.0
    )


def _family_match(f: str, g: str) -> bool:
    if f == g:
        return True
    if len(f) >= 4 and len(g) >= 4 and (f.startswith(g) or g.startswith(f)):
        return True  # "lequintrec" vs "le" + "quintrec" spellings, "grundstrm" typos
    return len(f) >= 5 and len(g) >= 5 and fuzz.ratio(f, g) >= 85


def _author_match(x: NormRecord, i: int, y: NormRecord, j: int) -> bool:
    f, g = x.authors[i][0], y.authors[j][0]
    if _family_match(f, g):
        return True
    # Name order flipped by an export ("Ching-yi, Wu" / "Wu, Ching-yi"): family in the other name.
    return (len(f) > 1 and f in y.author_tokens[j]) or (len(g) > 1 and g in x.author_tokens[i])


def author_agreement(x: NormRecord, y: NormRecord) -> float | None:
    """Share of the shorter author list found in the other (``None`` when one list is empty).

    Lists of one length are compared both ways and the lower share counts, so the result does
    not depend on which record comes first ("Racz, Racz, Racz" / "Heavner, Racz, Racz").
    """
    if not any(f for f, _ in x.authors) or not any(f for f, _ in y.authors):
        return None
    if len(x.authors) > len(y.authors):
        x, y = y, x
    elif len(x.authors) == len(y.authors):
        return min(_share_found(x, y), _share_found(y, x))
    return _share_found(x, y)


def _share_found(x: NormRecord, y: NormRecord) -> float:
    found = sum(
        1
        for i in range(len(x.authors))
        if any(_author_match(x, i, y, j) for j in range(len(y.authors)))
    )
    first = _author_match(x, 0, y, 0)
    fa = x.authors
    share = found / len(fa)
    # The first author is the strongest single author signal; a different first author halves it.
    return share if first else share * 0.5


def _names_agree(a: str, b: str) -> float:
    if a == b:
        return 1.0
    a, b = sorted((a, b), key=len)
    if (
        journal_abbreviates(a, b)
        or journal_acronym(a, b)
        or a.replace(" ", "") == b.replace(" ", "")
    ):
        return 0.95
    if set(a.split()) <= set(b.split()):
        # "Pain" in "Pain Medicine", "Haematologica" in "Haematologica the Hematology Journal":
        # a subtitle or another journal; neither confirms nor contradicts.
        return 0.75
    return max(fuzz.token_sort_ratio(a, b), fuzz.ratio(a, b)) / 100.0


def journal_agreement(x: NormRecord, y: NormRecord) -> float | None:
    """Similarity of the journal names (abbreviations and acronyms count as the same).

    Names are compared with and without their subtitle (``Stroke; a journal of cerebral
    circulation`` is ``Stroke``); the better agreement counts.
    """
    if not x.journal or not y.journal:
        return None
    small, large = sorted((x.venue_tokens, y.venue_tokens), key=len)
    if x.is_abstract and y.is_abstract and len(small) >= 4 and small <= large:
        # One meeting written with and without its journal: "J Thromb Haemost. Conference:
        # 23rd Congress of the ISTH ..." and "23rd Congress of the ISTH ...".
        return 0.9
    return max(_names_agree(x.journal, y.journal), _names_agree(x.journal_whole, y.journal_whole))


def same_volume_raw(x: NormRecord, y: NormRecord) -> bool:
    return bool(x.volume and x.volume == y.volume)


def title_contained(x: NormRecord, y: NormRecord) -> bool:
    """One title is the other with words added or cut (a subtitle dropped, a heading prefixed).

    Only for titles of four words or more, so that ``Stroke`` is not "contained" in every title.
    """
    a, b = sorted((x.title, y.title), key=len)
    if len(a.split()) < 4:
        return False
    return fuzz.partial_ratio(a, b) >= 95


def _near(word: str, others: frozenset[str]) -> bool:
    """A typo of one of ``others`` (one edit or swap; two in long words) or a truncation."""
    for other in others:
        if min(len(word), len(other)) >= 4 and (other.startswith(word) or word.startswith(other)):
            return True
        allowed = (
            2 if min(len(word), len(other)) >= 8 else 1 if min(len(word), len(other)) >= 4 else 0
        )
        if DamerauLevenshtein.distance(word, other, score_cutoff=allowed) <= allowed:
            return True
    return False


def substituted_words(x: NormRecord, y: NormRecord) -> bool:
    """Whether each title has a word the other lacks that is not a typo of one of its words.

    "in vivo" / "in vitro", "men" / "women", "adults" / "children": titles that differ by a
    substituted word are different papers however similar the strings are. A word only added on
    one side (a subtitle, a heading) is not a substitution.
    """
    a, b = sorted((x.title_compact, y.title_compact), key=len)
    if a == b or (len(a) >= 100 and b.startswith(a)):
        # "p16INK4a" / "p16(INK4a)": the same letters, split otherwise; or a long title cut
        # short by one export in its last word ("... lung can" / "... lung canc").
        return False
    only_x, only_y = x.tokens - y.tokens, y.tokens - x.tokens
    if not only_x or not only_y:
        return False
    real_x = any(not _near(w, only_y) for w in only_x)
    real_y = any(not _near(w, only_x) for w in only_y)
    return real_x and real_y


def _pages(r: NormRecord) -> int:
    """Number of pages (0 when unknown)."""
    return r.span[1] - r.span[0] + 1 if r.span is not None else 0


def pages_compatible(x: NormRecord, y: NormRecord) -> bool:
    """Pages that differ in form but not in substance: an electronic article number in one export
    and a page range in the other (``e12724`` / ``1-6``, ``c1804`` / ``1014``), or ranges that
    overlap (``488`` / ``487-488``). They neither confirm nor contradict."""
    if not x.page or not y.page:
        return False
    ex, ey = is_article_number(x.page), is_article_number(y.page)
    if ex != ey:
        return True
    if x.span is None or y.span is None:
        return False
    return max(x.span[0], y.span[0]) <= min(x.span[1], y.span[1])


def shifted_citation(x: NormRecord, y: NormRecord) -> bool:
    """One export lost its volume and moved the rest up: issue holds the other's volume and pages
    hold its issue (``-, 26, p. 9`` / ``26, 9, p. 1746``). Such fields neither agree nor
    contradict."""
    for s, o in ((x, y), (y, x)):
        if not s.volume and s.issue and s.page and s.issue == o.volume and s.page == o.issue:
            return True
    return False


def abstract_in_its_journal(x: NormRecord, y: NormRecord) -> bool:
    """A conference record without a citation and a one-page item in the same journal: the
    meeting abstract as exported by two databases (``Scand J Immunol. Conference: ...`` without
    pages / ``Scand J Immunol 71(6):507``), not an abstract and its full article."""
    if x.is_abstract == y.is_abstract:
        return False
    ab, other = (x, y) if x.is_abstract else (y, x)
    return (
        not ab.volume and not ab.page and other.span is not None and other.span[0] == other.span[1]
    )


def reworded_title(x: NormRecord, y: NormRecord, asim: float | None) -> bool:
    """The same three or more authors in the same order and half the title's words in common."""
    if asim is None or asim < 0.9 or min(len(x.authors), len(y.authors)) < 3:
        return False
    if x.authors[:3] != y.authors[:3]:
        return False
    common = len(x.tokens & y.tokens)
    return common >= 3 and common >= 0.5 * min(len(x.tokens), len(y.tokens))


_CORRECTIONS = frozenset(
    {"erratum", "errata", "corrigendum", "correction", "retraction", "retracted", "addendum"}
)
_PLACE_CONTRADICTIONS = frozenset(
    {
        "different pages",
        "different volume",
        "different journal",
        "different issue",
        "conference abstract vs article",
    }
)
MIN_WORK_TITLE_WORDS = 6


def same_work(
    x: NormRecord,
    y: NormRecord,
    *,
    tsim: float,
    asim: float | None,
    jsim: float | None,
    same_year: bool,
) -> str:
    """Why two records are one paper printed or indexed twice, or ``""``.

    The same specific title (six content words or more, no word substituted) by the same
    authors in the same year, with no volume, identifier, part, number or notice telling them
    apart (a volume missing in one export tells nothing); and one of

    * the same journal and the same issue, whatever the pages: one export gave the page count,
      an abstract number or a garbled range (``23`` / ``6123-6132``);
    * both items of one size (three pages or more, or both one or two pages in one issue) in the
      same journal, two or more authors: a translated journal's English edition at other pages,
      an abstract printed twice in one supplement. An abstract (one or two pages) is never one
      paper with a full article, and errata and replies are notices
      (:mod:`evsynth.records.dedup.notices`);
    * the same volume and issue, pages missing in one export, two or more authors: a journal
      under its other name ("Jinko Chino Gakkai Ronbunshi" for "Transactions of the Japanese
      Society for Artificial Intelligence").

    Guidelines printed at once in several journals, or one abstract at two meetings, are in
    other journals and volumes, so they stay apart.
    """
    if not same_year or asim is None or asim < 0.9 or tsim < TITLE_SAME:
        return ""
    one_volume = bool(x.volume and x.volume == y.volume)
    if x.volume and y.volume and not one_volume:
        return ""
    if min(len(x.tokens), len(y.tokens)) < MIN_WORK_TITLE_WORDS:
        return ""
    if (x.doi and y.doi and x.doi != y.doi) or (x.pmid and y.pmid and x.pmid != y.pmid):
        return ""
    # "... response to hypoxia", "Letter: ..." on both sides is one kind of item; an erratum
    # never is (two corrections of one article are two notices).
    if x.notice != y.notice or x.notice & _CORRECTIONS or x.parts != y.parts:
        return ""
    if x.numbers != y.numbers or substituted_words(x, y):
        return ""
    one_issue = bool(x.issue_number and x.issue_number == y.issue_number)
    if one_issue and jsim is not None and jsim >= 0.9:
        return "same journal and issue"
    if min(len(x.authors), len(y.authors)) < 2:
        return ""
    if x.span is None or y.span is None:
        if one_volume and one_issue:
            return "same volume and issue, pages missing in one export"
        return ""
    if jsim is None or jsim < (0.75 if one_volume else 0.9):
        return ""
    px, py = _pages(x), _pages(y)
    if px >= 3 and py >= 3:
        return "both full articles in the journal"
    if px <= 2 and py <= 2 and not (x.issue and y.issue and x.issue != y.issue):
        # In one issue: two one-page errata of one article are printed in other issues.
        return "both one- or two-page items in one issue of the journal"
    return ""


_LIVING_REVIEWS = re.compile(r"cochrane|^(?:bmj )?clin(?:ical)? evid(?:ence)?$")


def review_versions(x: NormRecord, y: NormRecord, *, tsim: float, asim: float | None) -> bool:
    """Two versions of one review in a database of reviews kept up to date (the Cochrane
    Database of Systematic Reviews without the review number in one export, BMJ Clinical
    Evidence): the same title by the same authors, whatever the years. A review's title is
    unique in such a database; each update is a new version of it."""
    if x.cochrane and y.cochrane:
        return False
    if not _LIVING_REVIEWS.search(x.journal) or not _LIVING_REVIEWS.search(y.journal):
        return False
    return tsim >= TITLE_SAME and asim is not None and asim >= 0.75


def compare(
    x: NormRecord, y: NormRecord, *, merge_notices: Collection[str] = MERGED_NOTICES
) -> PairScore:
    """Score and classify one candidate pair.

    ``merge_notices``: the kinds of notice (``erratum``, ``reply``; see
    :mod:`evsynth.records.dedup.notices`) found with their article that count as duplicates;
    a notice of another kind is linked as a report of the same study.
    """
    reasons: list[str] = []
    hard: list[str] = []  # contradictions that separate two different reports
    soft: list[str] = []  # contradictions that citation identity overrides (noisy fields)
    support = 0

    same_doi = bool(x.doi and x.doi == y.doi)
    same_pmid = bool(x.pmid and x.pmid == y.pmid)
    ident = same_doi or same_pmid
    if x.doi and y.doi and not same_doi:
        hard.append("different DOI")
    if x.pmid and y.pmid and not same_pmid:
        hard.append("different PMID")
    if same_doi:
        support += 2
        reasons.append("same DOI")
    if same_pmid:
        support += 2
        reasons.append("same PMID")

    tsim = title_similarity(x, y)
    reasons.append(f"title {tsim:.2f}")

    asim = author_agreement(x, y)
    if asim is not None:
        reasons.append(f"authors {asim:.2f}")
        if asim >= 0.75:
            support += 1
    authors_differ = asim is not None and asim < 0.5

    same_year = x.year is not None and x.year == y.year
    near_year = same_year
    if x.year is not None and y.year is not None:
        if same_year:
            support += 1
            reasons.append("same year")
        elif abs(x.year - y.year) == 1:
            # E-pub year in one database, print year in another: only the citation or an
            # identifier can say which; without them it separates two reports.
            near_year = True
            if ident:
                reasons.append("year off by one (e-pub vs print)")
            else:
                soft.append(f"years {x.year}/{y.year}")
        else:
            hard.append(f"years {x.year}/{y.year}")

    shifted = shifted_citation(x, y)
    if shifted:
        reasons.append("citation fields shifted in one export (issue as volume)")
    same_volume = bool(x.volume and x.volume == y.volume)
    # A typo in the first page of a full range ("2297-2108" / "2097-2108"): one edit away and the
    # same last page. Not for a one-page item: a reply on p. 945 after a letter on pp. 943-945.
    # Front matter is paged in roman numerals afresh in every issue ("Editor's Comments", iii-xi,
    # in issues 2 and 3): there the first page identifies nothing without the issue.
    roman_page = bool(x.page) and not any(c.isdigit() for c in x.page)
    other_issue = bool(x.issue and y.issue and x.issue != y.issue)
    same_page = (
        bool(x.page and x.page == y.page and not (roman_page and other_issue))
        or bool(x.page_text and x.page_text == y.page_text)
        or bool(
            x.last_page
            and x.last_page == y.last_page
            and x.page != x.last_page
            and y.page != y.last_page
            and DamerauLevenshtein.distance(x.page, y.page) <= 1
            and same_volume_raw(x, y)
        )
    )
    if x.volume and y.volume and not shifted:
        if same_volume:
            support += 1
        else:
            # With one DOI or PMID and the same title: a volume garbled by one export.
            (soft if ident else hard).append("different volume")
    pages_fit = not same_page and pages_compatible(x, y)
    if pages_fit:
        reasons.append("pages compatible (article number vs pages, or overlapping ranges)")
    if x.page and y.page and not shifted:
        if same_page:
            support += 1
        elif not pages_fit:
            # One DOI or PMID with other pages: a page field garbled by one export (an article
            # number for pages, "11" for "106482") when the titles agree too.
            (soft if ident else hard).append("different pages")
    # Year, volume and first page together identify one article in one journal (the citation).
    citation = near_year and same_volume and same_page
    if citation:
        reasons.append("same volume and first page")
    elif same_volume:
        reasons.append("same volume")
    elif same_page:
        reasons.append("same first page")

    if x.issue_number and y.issue_number and x.issue_number != y.issue_number and not shifted:
        # Issue numbers are noisy (a month, a supplement), so only a soft contradiction: the
        # citation overrides it; without pages it keeps a notice apart from its article.
        soft.append("different issue")
    jsim = journal_agreement(x, y)
    if jsim is not None:
        if jsim >= 0.9:
            support += 1
            reasons.append("same journal")
        elif jsim < 0.6 and not (x.is_conference and y.is_conference):
            # Proceedings are named a dozen ways ("AMCIS 2017 Proceedings", "Americas
            # Conference on Information Systems"); only journal names can contradict.
            soft.append("different journal")

    if x.notice != y.notice:
        soft.append("notice (erratum/comment/reply) vs paper")
    if x.parts != y.parts:
        hard.append("different parts")
    if x.numbers != y.numbers and x.title and y.title:
        soft.append("different numbers in title")
    same_journal = jsim is not None and jsim >= 0.9
    if x.is_abstract != y.is_abstract:
        if same_journal and same_year and abstract_in_its_journal(x, y):
            reasons.append("conference record without pages and one-page item in its journal")
        else:
            soft.append("conference abstract vs article")
    year_soft = f"years {x.year}/{y.year}"
    if year_soft in soft and same_volume and x.issue and x.issue == y.issue and same_journal:
        # A volume and issue belong to one year: the other year is an e-pub or indexing year.
        soft.remove(year_soft)
        reasons.append("year off by one (same volume and issue)")
    elif (
        year_soft in soft
        and same_volume
        and same_journal
        and tsim >= TITLE_SAME
        and asim is not None
        and asim >= 0.75
        and (
            same_page
            or pages_fit
            # pages missing in one export only (the e-pub record): a specific title, all authors
            or (
                bool(x.page) != bool(y.page)
                and asim >= 0.9
                and min(len(x.tokens), len(y.tokens)) >= MIN_WORK_TITLE_WORDS
                and not x.notice & _CORRECTIONS
                and not y.notice & _CORRECTIONS
            )
        )
    ):
        # The same title by the same authors on the same pages of one volume of one journal:
        # the other year is the e-pub or indexing year (a volume belongs to one year).
        soft.remove(year_soft)
        reasons.append("year off by one (same title, authors, journal and volume)")
    elif (
        year_soft in soft
        and x.is_conference
        and y.is_conference
        and tsim >= TITLE_SAME
        and asim is not None
        and asim >= 0.9
        and min(len(x.tokens), len(y.tokens)) >= MIN_WORK_TITLE_WORDS
        and not substituted_words(x, y)
    ):
        # A conference paper dated by the meeting in one database and by its proceedings,
        # published the next year, in another ("ECIS 2019" / "ECIS 2020").
        soft.remove(year_soft)
        support += 1
        reasons.append("year off by one (the meeting and its proceedings)")

    if authors_differ:
        # Author lists are the noisiest field of all (a group name for its members, Chinese names
        # in either order, "Che L" for "Chen L", "Ta?a?aj" for "Talalaj"); the same title at the
        # same citation outweighs them. Otherwise other authors make another paper.
        # Not for letters (three pages or fewer): several letters on one article are printed
        # under its title on the same pages, each by other people.
        if citation and tsim >= TITLE_SAME and (asim or (_pages(x) >= 4 and _pages(y) >= 4)):
            soft.append("different authors")
        else:
            hard.append("different authors")
    work = same_work(x, y, tsim=tsim, asim=asim, jsim=jsim, same_year=same_year)
    # The same at other pages under two journal names that do not match ("Aizheng" / "Chinese
    # Journal of Cancer"): perhaps one journal in two languages, perhaps one paper printed twice.
    # A person decides; no contradiction either, so an export that names both may join them.
    renamed = (
        not work
        and "different pages" in hard
        and same_volume
        and jsim is not None
        and jsim < 0.75
        and bool(same_work(x, y, tsim=tsim, asim=asim, jsim=1.0, same_year=same_year))
    )
    if (
        "different DOI" in hard
        and citation
        and x.span is not None
        and x.span == y.span
        and x.span[1] > x.span[0]
        and tsim >= TITLE_SAME
        and asim is not None
        and asim >= 0.5
        and min(len(x.tokens), len(y.tokens)) >= MIN_WORK_TITLE_WORDS
        and not other_issue
    ):
        # One page range of one volume and issue under one specific title: two DOIs registered
        # for one article ("10.1007/BF00796210" / "10.1007/s003950050046"). Not for a recurring
        # "Editorial Introduction" printed on the same pages of every issue.
        hard.remove("different DOI")
        soft.append("different DOI")
    if work or renamed:
        # One paper printed or indexed twice: the citation fields that differ say where, not what.
        moved = [c for c in hard if c in _PLACE_CONTRADICTIONS]
        hard = [c for c in hard if c not in _PLACE_CONTRADICTIONS]
        soft = [*soft, *moved]
    conflict = bool(hard)
    # What ties two exports of one record despite noisy fields: the citation, or one DOI or
    # PMID with the same title.
    # Or the same page range of several pages with the same title and authors, a year apart at
    # most (an issue garbled, a volume missing, the conference year against the print year).
    same_span = x.span is not None and x.span == y.span and x.span[1] > x.span[0]
    span_anchor = (
        same_span and near_year and tsim >= TITLE_SAME and asim is not None and asim >= 0.75
    )
    anchor = citation or (ident and tsim >= TITLE_SAME) or span_anchor or bool(work) or renamed
    # Without it, noisy-field contradictions count as real ones.
    if not anchor:
        hard.extend(soft)
    reasons.extend(hard if not anchor else [*hard, *(f"{s} (ignored)" for s in soft)])
    # A notice has other pages in the same volume; only such pairs pay for the title check.
    link = (
        notice_link(
            x, y, same_title=tsim >= TITLE_SAME or title_contained(x, y), asim=asim, jsim=jsim
        )
        if x.title
        and y.title
        and not citation
        and same_volume
        and x.page
        and y.page
        and x.page != y.page
        else None
    )
    if link is not None:
        decision = DUPLICATE if link.kind in merge_notices else SAME_STUDY
        verdict = "merged into it" if decision == DUPLICATE else "linked, not merged"
        reasons.append(f"{link.reason()}: {verdict}")
        return PairScore(
            x.id, y.id, tsim, decision, tuple(reasons), conflict, link.kind, link.notice.id
        )
    if (
        (
            (x.cochrane and x.cochrane == y.cochrane and (tsim >= 0.8 or title_contained(x, y)))
            or review_versions(x, y, tsim=tsim, asim=asim)
        )
        and x.parts == y.parts
        # a protocol is not a version of its review: kept first, it would hide the review
        and ("protocol" in x.tokens) == ("protocol" in y.tokens)
    ):
        # Versions of one Cochrane review (its updates keep the number, with a new DOI, year
        # and often new authors): one review to screen, the versions linked as duplicates.
        if x.cochrane and x.cochrane == y.cochrane:
            reasons.append(f"versions of one Cochrane review ({x.cochrane})")
        else:
            reasons.append(f"versions of one review ({x.journal}; same title and authors)")
        return PairScore(x.id, y.id, tsim, DUPLICATE, tuple(reasons), False)
    if work and not hard:
        reasons.append(f"same title and authors in the same year, {work}")
        return PairScore(x.id, y.id, tsim, DUPLICATE, tuple(reasons), False)
    if renamed and not hard:
        reasons.append("same title, authors, year and volume under another journal name")
        return PairScore(x.id, y.id, tsim, UNCERTAIN, tuple(reasons), False)
    authors_ok = asim is None or asim >= 0.75
    # The same page range of several pages, by the same authors in the same year: one article
    # whatever its title (translated, "Review article:" for "Review-Artikel:", a subtitle cut).
    same_range = (
        same_span
        and same_year
        and asim is not None
        and asim >= 0.75
        # Some journals print other papers by the same author on the same pages of each issue.
        and not (x.issue_number and y.issue_number and x.issue_number != y.issue_number)
    )
    score = tsim
    if not x.title or not y.title:
        # Without a title, only an identifier can carry a merge, and only for a person to confirm.
        decision = UNCERTAIN if ident or support >= 4 else DISTINCT
        return PairScore(x.id, y.id, score, decision, tuple(reasons), conflict)
    # Reports of one study: a specific title (four content words or more) by the same people.
    # Without authors, "Editorial" and "Editorial" are not one study; such links feed the
    # PRISMA count of studies, so they need the same care as merges.
    related = tsim >= TITLE_CLOSE and asim is not None and asim >= 0.5 and len(x.tokens) >= 4
    if hard:
        decision = SAME_STUDY if related else DISTINCT
    elif (
        tsim >= TITLE_SAME
        and support >= 2
        and (ident or citation or (len(x.tokens) >= 3 and not substituted_words(x, y)))
    ):
        # Short generic titles ("Editorial", "Stroke rehabilitation") and titles with a word
        # substituted need an identifier or the citation as well.
        decision = DUPLICATE
    elif ident and (tsim >= 0.8 or title_contained(x, y) or (citation and authors_ok)):
        decision = DUPLICATE  # translated or re-punctuated title with the same identifier
    elif same_range and (
        same_volume or ((not x.volume or not y.volume) and (tsim >= 0.8 or title_contained(x, y)))
    ):
        decision = DUPLICATE  # translated title in the same volume, or reworded in proceedings
        reasons.append("same authors, year and page range")
    elif (
        citation
        and same_span
        and _pages(x) >= 4
        and asim is None
        and jsim is not None
        and jsim >= 0.6  # named in both, not contradicting ("Dtsch Med Wochenschr")
        and tsim >= 0.5
    ):
        # Authors missing from one export, a translated title: one journal, volume and page
        # range of four pages or more is one article.
        decision = DUPLICATE
        reasons.append("same journal, volume and page range; authors missing in one export")
    elif citation and authors_ok and asim is not None and (tsim >= 0.8 or title_contained(x, y)):
        decision = DUPLICATE  # subtitle dropped or heading added; the citation is the same
    elif citation and asim is None and tsim >= 0.9 and jsim is not None and jsim >= 0.9:
        decision = DUPLICATE  # authors missing from one export; title, journal and citation agree
    elif tsim >= TITLE_CLOSE or (title_contained(x, y) and authors_ok):
        decision = UNCERTAIN
    elif reworded_title(x, y, asim) and same_year and same_journal:
        # A title changed between the online and the print version (a person decides).
        decision = UNCERTAIN
        reasons.append("title reworded; same authors, journal and year")
    else:
        decision = DISTINCT
    return PairScore(x.id, y.id, score, decision, tuple(reasons), conflict)
