"""Notices about an article: an erratum (correction) and a reply printed with a letter.

A notice is a bibliographic record of its own (its own pages, often its own DOI), so under a
strict reading it is not a duplicate of the article. But it reports no study of its own: merging
it into its article loses no study, and reviewers rarely want to screen it apart. So notices are
found here with the evidence for them, and ``find_duplicates(merge_notices=...)`` decides which
kinds are merged and which only linked as reports of one study. The default (:data:`MERGED_NOTICES`)
merges neither: the checked groups of Rathbone et al. (2015) put errata sometimes with their
article and sometimes apart, and other sets of the same evaluation data keep replies with their
own DOIs apart from their letters (docs/decisions.md).

Evidence, weakest last; every kind needs the article's own title, the same journal and the same
volume, and a year at most one apart:

* **cross-reference**: the article's title says where its erratum is (``[Erratum appears in
  N Engl J Med. 2009 Jun 4;360(23):2487]``) or the notice's title cites the article it corrects
  (``(vol 360, pg 542, 2009)``), and the citation is the other record's volume and first page;
* **marked erratum**: the title says so (``Erratum:``, ``Correction to ...``) and the authors
  are the article's (at least the first half of the shorter list, or missing);
* **unmarked correction**: a one-page item *later* in the same volume, with the title and the
  authors of a multi-page article and no conference marking. A one-page item printed *before*
  the article is usually its meeting abstract (Pediatric Nephrology prints congress abstracts
  in issue 9), which stays a separate report of the study;
* **reply**: ``... - Reply``, ``Reply to ...``, ``Re: ...`` with the letter's title in the same
  issue, starting on the letter's pages or the page after them (other authors, as replies have).

References
----------
Rathbone J, Carter M, Hoffmann T, Glasziou P. Better duplicate detection for systematic
reviewers: evaluation of Systematic Review Assistant-Deduplication Module. Syst Rev 2015;4:6.
International Committee of Medical Journal Editors. Recommendations for the conduct, reporting,
editing, and publication of scholarly work in medical journals: corrections, retractions,
republications and version control (2019).
"""

from __future__ import annotations

from dataclasses import dataclass

from evsynth.records.dedup.normalise import NormRecord, is_article_number

ERRATUM = "erratum"
REPLY = "reply"
ERRATUM_WORDS = frozenset({"erratum", "errata", "corrigendum", "correction"})
REPLY_WORDS = frozenset({"reply", "response"})
#: The notices merged into their article by default (see the module docstring and
#: docs/decisions.md for the measurements behind it).
MERGED_NOTICES: frozenset[str] = frozenset()
MIN_TITLE_WORDS = 5  # "Reply", "Erratum", "Correction" alone name no article


@dataclass(frozen=True)
class NoticeLink:
    """``notice`` is a notice (``kind``: erratum or reply) about the article ``article``."""

    kind: str
    notice: NormRecord
    article: NormRecord
    evidence: str

    def reason(self) -> str:
        return f"{self.kind} {self.notice.id} of {self.article.id} ({self.evidence})"


def _marked_erratum(r: NormRecord) -> bool:
    return bool(r.notice & ERRATUM_WORDS or r.corrects)


def _one_way(
    n: NormRecord, a: NormRecord, asim: float | None, same_year: bool
) -> NoticeLink | None:
    """Whether ``n`` is a notice about ``a`` (the shared conditions already hold)."""
    if (a.volume, a.page) in n.corrects or (n.volume, n.page) in a.erratum_at:
        return NoticeLink(ERRATUM, n, a, "cross-reference in the title")
    if _marked_erratum(n) and not _marked_erratum(a) and (asim is None or asim >= 0.5):
        return NoticeLink(ERRATUM, n, a, "marked erratum, same journal and volume")
    if (
        n.notice & REPLY_WORDS
        and not a.notice
        and n.span is not None
        and a.span is not None
        and (not n.issue or not a.issue or n.issue == a.issue)
        and a.span[0] <= n.span[0] <= a.span[1] + 1
    ):
        return NoticeLink(REPLY, n, a, "reply on the letter's pages, same issue")
    if (
        not n.notice
        and not a.notice
        and not n.is_abstract
        and not a.is_abstract
        and same_year
        and asim is not None
        and asim >= 0.75
        and n.span is not None
        and a.span is not None
        and n.span[0] == n.span[1]
        and a.span[1] > a.span[0]
        and n.span[0] > a.span[1]
        and not is_article_number(n.page)
        and not is_article_number(a.page)
    ):
        return NoticeLink(ERRATUM, n, a, "one-page item later in the volume, same authors")
    return None


def notice_link(
    x: NormRecord,
    y: NormRecord,
    *,
    same_title: bool,
    asim: float | None,
    jsim: float | None,
) -> NoticeLink | None:
    """The notice relation between two records, if there is evidence for one.

    ``same_title``: the paper titles agree (notice prefixes such as ``Erratum:`` removed);
    ``asim``/``jsim``: author and journal agreement as computed by the scoring.
    """
    if not same_title or min(len(x.title.split()), len(y.title.split())) < MIN_TITLE_WORDS:
        return None
    if jsim is None or jsim < 0.9 or x.parts != y.parts:
        return None
    if not x.volume or x.volume != y.volume or not x.page or not y.page or x.page == y.page:
        return None
    if x.year is not None and y.year is not None and abs(x.year - y.year) > 1:
        return None
    same_year = x.year is not None and x.year == y.year
    return _one_way(x, y, asim, same_year) or _one_way(y, x, asim, same_year)
