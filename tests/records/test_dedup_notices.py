"""Errata and replies found with their article, and the export quirks fixed with them.

The cases are the published records of the haematology benchmark (Rathbone et al. 2015) in
constructed form: the NEJM letter by Nürnberger et al. 2009 (360:542-544) and its erratum
(360:2487), the AJT case report by Le Quintrec et al. 2009 (9:1223-1229) with two one-page
errata (9:2205, 9:2647), the Pediatric Nephrology letter by Yildiz et al. 2004 (19:943-944) with
the reply on p. 945, and the IPNA congress abstract printed in Pediatr Nephrol 25(9) before the
case report in 25(12). The erratum evidence is the one PubMed and Web of Science write into the
titles (``[Erratum appears in ...]``, ``(vol 360, pg 542, 2009)``).
"""

from __future__ import annotations

from dataclasses import replace

from evsynth.records.dedup import find_duplicates
from evsynth.records.dedup.normalise import (
    corrected_citations,
    erratum_citations,
    normalise,
    page_span,
)
from evsynth.records.dedup.scoring import compare
from evsynth.records.model import Record

BOTH = ("erratum", "reply")

NEJM = Record(
    id="article",
    title="Eculizumab for atypical hemolytic-uremic syndrome.[Erratum appears in N Engl J Med. "
    "2009 Jun 4;360(23):2487 Note: Philipp, Thomas [added]]",
    authors=("Nurnberger, J.", "Philipp, T.", "Witzke, O.", "Opazo, Saez A."),
    year=2009,
    journal="New England Journal of Medicine",
    volume="360",
    issue="5",
    pages="542-544",
)
NEJM_ERRATUM = Record(
    id="erratum",
    title="Eculizumab for Atypical Hemolytic-Uremic Syndrome (vol 360, pg 542, 2009)",
    authors=("Philipp, T.",),
    year=2009,
    journal="New England Journal of Medicine",
    volume="360",
    issue="23",
    pages="2487-2487",
)
AJT = Record(
    id="ajt",
    title="Anti-Factor H Autoantibodies in a Fifth Renal Transplant Recipient with Atypical "
    "Hemolytic and Uremic Syndrome",
    authors=("Le Quintrec, M.", "Zuber, J.", "Noel, L. H.", "Thervet, E."),
    year=2009,
    journal="American Journal of Transplantation",
    volume="9",
    issue="5",
    pages="1223-1229",
)


def _pair(a: Record, b: Record, **kw: object) -> tuple[str, str, str]:
    s = compare(normalise(a, 0), normalise(b, 1), **kw)  # type: ignore[arg-type]
    return s.decision, s.relation, s.notice


def test_cross_references_in_titles_are_read() -> None:
    assert erratum_citations(NEJM.title) == {("360", "2487")}
    assert corrected_citations(NEJM_ERRATUM.title) == {("360", "542")}
    assert corrected_citations(
        "Eculizumab for atypical hemolytic-uremic syndrome (New England Journal of Medicine "
        "(2009) 360 (542-544))"
    ) == {("360", "542")}
    assert page_span("1297-306") == (1297, 1306)
    assert page_span("945") == (945, 945)
    assert page_span("694-03") == (694, 703)
    assert page_span("E341-54") == (341, 354)
    assert page_span("2297-2108") is None  # a typo: what it spans is unknown
    assert page_span("") is None


def test_an_erratum_is_linked_by_default_and_merged_on_request() -> None:
    assert _pair(NEJM, NEJM_ERRATUM) == ("same_study", "erratum", "erratum")
    assert _pair(NEJM, NEJM_ERRATUM, merge_notices=BOTH) == ("duplicate", "erratum", "erratum")
    default = find_duplicates([NEJM, NEJM_ERRATUM])
    assert not default.duplicate_groups
    assert default.same_study_groups == (("article", "erratum"),)
    merged = find_duplicates([NEJM, NEJM_ERRATUM], merge_notices=BOTH)
    assert merged.duplicate_groups == (("article", "erratum"),)


def test_a_marked_erratum_needs_no_cross_reference() -> None:
    notice = replace(
        NEJM_ERRATUM,
        title="Erratum: Eculizumab for atypical hemolytic-uremic syndrome",
        authors=("Nurnberger, J.",),
    )
    article = replace(NEJM, title="Eculizumab for atypical hemolytic-uremic syndrome")
    assert _pair(article, notice) == ("same_study", "erratum", "erratum")
    # A marked erratum by other authors altogether is not taken for this article's.
    stranger = replace(notice, authors=("Smith, A.",))
    assert _pair(article, stranger)[1] == ""


def test_two_unmarked_errata_join_their_article() -> None:
    # Two one-page items later in the volume, same title and authors: corrections. They have other
    # pages than the article and than each other; merged, all three are one group.
    first = replace(AJT, id="e1", issue="9", pages="2205-2205")
    second = replace(AJT, id="e2", issue="11", pages="2647-2647")
    merged = find_duplicates([AJT, first, second], merge_notices=BOTH)
    assert merged.duplicate_groups == (("ajt", "e1", "e2"),)
    default = find_duplicates([AJT, first, second])
    assert not default.duplicate_groups
    assert default.same_study_groups == (("ajt", "e1", "e2"),)


def test_a_one_page_item_before_the_article_is_not_an_erratum() -> None:
    # The congress abstract printed in issue 9 before the case report in issue 12.
    report = replace(
        AJT, journal="Pediatric Nephrology", volume="25", issue="12", pages="2539-2542"
    )
    abstract = replace(report, id="abs", issue="9", pages="1875-1875")
    decision, relation, _ = _pair(report, abstract, merge_notices=BOTH)
    assert (decision, relation) == ("same_study", "")


def test_a_notice_never_chains_two_articles() -> None:
    # Another article with the same title in the same volume (other authors, other pages) that
    # the erratum's title could also describe: the two articles stay apart.
    other = replace(
        NEJM,
        id="other",
        title="Eculizumab for atypical hemolytic-uremic syndrome",
        authors=("Smith, A.", "Jones, B."),
        pages="600-605",
    )
    result = find_duplicates([NEJM, NEJM_ERRATUM, other], merge_notices=BOTH)
    assert not any({"article", "other"} <= set(g) for g in result.duplicate_groups)


LETTER = Record(
    id="letter",
    title="Atypical hemolytic uremic syndrome associated with group A beta hemolytic streptococcus",
    authors=("Yildiz, B.", "Kural, N.", "Yarar, C."),
    year=2004,
    journal="Pediatric Nephrology",
    volume="19",
    issue="8",
    pages="943-944",
)
REPLY = replace(
    LETTER,
    id="reply",
    title=LETTER.title + " - Reply",
    authors=("Shepherd, A. B.", "Palmer, A. L.", "Baliga, R."),
    pages="945",
)


def test_a_reply_on_the_next_page_is_linked_to_its_letter_and_merged_on_request() -> None:
    # A reply is a record of its own (other authors, other pages, often its own DOI): by default
    # it is linked as a report of the same study, merged only with merge_notices={"reply"}.
    assert _pair(LETTER, REPLY) == ("same_study", "reply", "reply")
    assert _pair(LETTER, REPLY, merge_notices={"reply"}) == ("duplicate", "reply", "reply")


def test_a_reply_elsewhere_in_the_volume_is_not_a_bundled_reply() -> None:
    later = replace(REPLY, issue="11", pages="1402")
    assert _pair(LETTER, later)[1] == ""


def test_citation_fields_shifted_by_one_export() -> None:
    # Pediatric Nephrology 26(9):1746 exported once as volume -, issue 26, pages 9.
    base = Record(
        id="a",
        title="The treatment of atypical hus",
        authors=("Loirat, C.",),
        year=2011,
        journal="Pediatric Nephrology.Conference: 44th Annual Scientific Meeting of the ESPN",
        volume="26",
        issue="9",
        pages="1746-1746",
    )
    shifted = replace(base, id="b", volume="", issue="26", pages="9")
    assert _pair(base, shifted)[0] == "duplicate"
    # Really other pages in the same volume stay apart.
    assert _pair(base, replace(base, id="c", pages="1790"))[0] != "duplicate"


def test_a_meeting_abstract_without_pages_and_its_one_page_print() -> None:
    printed = Record(
        id="a",
        title="Activation of complement during liver transplantation - special emphasis on "
        "patients with atypical hemolytic uremic syndrome",
        authors=("Koskinen, A.", "Tukiainen, E.", "Nordin, A."),
        year=2010,
        journal="Scandinavian Journal of Immunology",
        volume="71",
        issue="6",
        pages="507-507",
    )
    conference = replace(
        printed,
        id="b",
        journal="Scandinavian Journal of Immunology.Conference: 39th Meeting of Scandinavian "
        "Society for Immunology",
        volume="",
        issue="",
        pages="",
    )
    assert _pair(printed, conference)[0] == "duplicate"
    # The full article (several pages) and the meeting abstract remain reports of one study.
    article = replace(printed, pages="501-509")
    assert _pair(article, conference)[0] == "same_study"


def test_year_off_by_one_within_one_volume_and_issue() -> None:
    a = Record(
        id="a",
        title="Safety and efficacy of eculizumab in aHUS patients resistant to plasma therapy: "
        "interim analysis from a phase II trial",
        authors=("Legendre, CM", "Babu, S", "Furman, R"),
        year=2010,
        journal="J Am Soc Nephrol",
        volume="21",
        issue="201",
    )
    assert _pair(a, replace(a, id="b", year=2011))[0] == "duplicate"
    # Without the issue to tie them, a year apart is two reports.
    assert _pair(replace(a, issue=""), replace(a, id="b", year=2011, issue=""))[0] != "duplicate"


def test_en_dash_separates_words() -> None:
    x = normalise(
        Record(id="a", title="Complement Blockade in Severe Shiga-Toxin–Associated HUS"), 0
    )
    assert x.title == "complement blockade in severe shiga toxin associated hus"


def test_a_reworded_title_by_the_same_authors_is_for_a_person() -> None:
    print_version = Record(
        id="a",
        title="Eculizumab in severe Shiga-toxin-associated HUS",
        authors=("Lapeyraque, A. L.", "Malina, M.", "Fremeaux-Bacchi, V.", "Boppel, T."),
        year=2011,
        journal="New England Journal of Medicine",
        volume="364",
        pages="2561-2563",
    )
    online = replace(
        print_version,
        id="b",
        title="Complement Blockade in Severe Shiga-Toxin–Associated HUS",
        journal="New Engl J Med",
        volume="",
        pages="",
    )
    assert _pair(print_version, online)[0] == "uncertain"


def test_an_article_without_pages_is_not_merged_with_a_later_notice() -> None:
    # The unmarked erratum repeats title and authors; the article's export lost its pages. Only
    # the issue still tells them apart, and it does (a soft contradiction the citation would
    # override, but there is no citation here).
    no_pages = replace(AJT, id="nopages", pages="")
    notice = replace(AJT, id="e1", issue="9", pages="2205-2205")
    assert _pair(no_pages, notice)[0] != "duplicate"
    # The same article exported with another issue number but the same pages is one record.
    assert _pair(AJT, replace(AJT, id="b", issue="6"))[0] == "duplicate"
