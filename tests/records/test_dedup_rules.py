"""The decision rules on constructed pairs: what is merged, what is only linked, what is apart.

Each case is one of the situations that the deduplication literature names (Rathbone et al. 2015;
Bramer et al. 2016): the same article exported twice with typos, initials, an abbreviated journal
or a missing DOI is a duplicate; a conference abstract and its article, an erratum, part 1 and
part 2, or the same title in another year and journal are reports of one study, never merged.
"""

from __future__ import annotations

from dataclasses import replace

from evsynth.records.dedup import find_duplicates
from evsynth.records.dedup.normalise import author_key, journal_abbreviates, norm_title
from evsynth.records.model import Record
from helpers import dedup_decision as _decision

ARTICLE = Record(
    id="a",
    title="A randomized, controlled, double-blind trial of percutaneous epidural neurolysis in "
    "post lumbar surgery syndrome",
    authors=("Manchikanti, Laxmaiah", "Singh, Vijay", "Cash, Kimberly A."),
    year=2009,
    journal="Pain Physician",
    volume="12",
    issue="6",
    pages="E341-E354",
    doi="10.36076/ppj.2009/12/E341",
)


def test_same_article_with_export_noise_is_merged() -> None:
    noisy = replace(
        ARTICLE,
        id="b",
        title="A Randomized Controlled Double Blind Trial of Percutaneous Epidural Neurolysis in "
        "Post-Lumbar Surgery Syndrome.",
        authors=("Manchikanti L", "Singh V", "Cash KA"),
        journal="Pain Physician.",
        pages="E341-54",
        doi="",
    )
    assert _decision(ARTICLE, noisy) == "duplicate"


def test_typo_in_title_and_abbreviated_journal_still_merge() -> None:
    typo = replace(
        ARTICLE,
        id="b",
        title=ARTICLE.title.replace("neurolysis", "neurolyis"),
        journal="Pain Physicn",
        doi="",
    )
    assert _decision(ARTICLE, typo) == "duplicate"


def test_conference_abstract_and_its_article_are_one_study_not_duplicates() -> None:
    abstract = replace(
        ARTICLE,
        id="b",
        type="Conference Abstract",
        journal="Pain Physician (Supplement: ASIPP Annual Meeting)",
        volume="11",
        issue="Suppl 1",
        pages="S23",
        year=2008,
        doi="",
    )
    assert _decision(ARTICLE, abstract) == "same_study"


def test_erratum_is_linked_not_merged() -> None:
    erratum = replace(ARTICLE, id="b", title="Erratum: " + ARTICLE.title, pages="E600", doi="")
    assert _decision(ARTICLE, erratum) == "same_study"


def test_part_one_and_part_two_are_not_merged() -> None:
    one = replace(ARTICLE, title="Epidural adhesiolysis outcomes. Part 1: design", doi="", pages="")
    two = replace(one, id="b", title="Epidural adhesiolysis outcomes. Part 2: design")
    assert _decision(one, two) != "duplicate"


def test_different_dois_are_not_merged_without_the_whole_citation() -> None:
    # Another DOI with the first page only: the one-page abstract of the study, not the article.
    other = replace(ARTICLE, id="b", doi="10.36076/ppj.2010/13/1", pages="E341")
    assert _decision(ARTICLE, other) == "same_study"
    # The whole page range of one issue under one title with two DOIs is one article (two DOIs
    # registered for it, or a wrong one in one export): tests/records/test_dedup_same_work.py.
    assert _decision(ARTICLE, replace(other, pages="E341-E354")) == "duplicate"


def test_same_title_other_year_and_journal_is_one_study() -> None:
    later = replace(ARTICLE, id="b", year=2012, journal="Spine", volume="37", pages="1", doi="")
    assert _decision(ARTICLE, later) == "same_study"


def test_unrelated_papers_are_distinct() -> None:
    other = replace(
        ARTICLE,
        id="b",
        title="Spinal cord stimulation for failed back surgery syndrome",
        authors=("North, R. B.",),
        doi="",
        pages="E1",
    )
    assert _decision(ARTICLE, other) == "distinct"


def test_a_record_without_title_is_only_offered_to_a_person() -> None:
    bare = replace(ARTICLE, id="b", title="")
    assert _decision(ARTICLE, bare) == "uncertain"


def test_chaining_is_refused_across_a_same_study_pair() -> None:
    # b merges with a (same DOI, title) and with c (same citation); a and c have different DOIs.
    b = replace(ARTICLE, id="b", doi="")
    c = replace(ARTICLE, id="c", doi="10.1000/other", pages="E341")
    result = find_duplicates([ARTICLE, b, c])
    groups = [set(g) for g in result.duplicate_groups]
    assert not any({"a", "c"} <= g for g in groups)
    assert len(result.uncertain_pairs) == 1


def test_result_json_fields() -> None:
    result = find_duplicates([ARTICLE, replace(ARTICLE, id="b", doi="")]).to_dict()
    assert result["records"] == 2
    assert result["duplicate_groups"] == [["a", "b"]]
    assert result["uncertain_pairs"] == [] and result["same_study_groups"] == []


def test_normalisation_helpers() -> None:
    assert norm_title("[Impact of cognitive deficit on survival]. [Spanish]") == (
        "impact of cognitive deficit on survival"
    )
    assert norm_title("Eculizumab for aHUS (vol 360, pg 542, 2009)") == "eculizumab for ahus"
    assert author_key("Le, Quintrec M.") == author_key("Le Quintrec, M.") == ("quintrec", "m")
    assert author_key("Grundström, K.") == ("grundstrom", "k")
    assert author_key("Søreide, Kjetil") == author_key("Soreide, K") == ("soreide", "k")
    assert journal_abbreviates("nat rev nephrol", "nature reviews nephrology")
    assert not journal_abbreviates("nat rev cardiol", "nature reviews nephrology")


def test_a_substituted_word_is_not_a_typo() -> None:
    # 0.95+ similar strings, but different papers (Bib-Dedupe's examples: vivo/vitro, men/women).
    vivo = replace(
        ARTICLE,
        title="Hyaluronidase spreads contrast in the epidural space in vivo: a cadaver comparison",
        doi="",
        pages="",
        volume="",
    )
    vitro = replace(vivo, id="b", title=vivo.title.replace("in vivo", "in vitro"))
    assert _decision(vivo, vitro) == "uncertain"
    typo = replace(vivo, id="b", title=vivo.title.replace("contrast", "cnotrast"))
    assert _decision(vivo, typo) == "duplicate"


def test_short_generic_titles_need_the_citation() -> None:
    one = Record(id="a", title="Editorial", authors=("Racz, G. B.",), year=2009, journal="Pain")
    two = replace(one, id="b")
    assert _decision(one, two) == "uncertain"
    cited = replace(one, volume="12", pages="1")
    assert _decision(cited, replace(cited, id="b")) == "duplicate"


def test_a_letter_about_a_paper_is_not_the_paper() -> None:
    letter = replace(ARTICLE, id="b", title="Re: " + ARTICLE.title, pages="E400", doi="")
    assert _decision(ARTICLE, letter) == "same_study"


def test_journal_acronym_is_the_same_journal() -> None:
    jama = replace(ARTICLE, journal="JAMA", doi="", pages="")
    full = replace(ARTICLE, id="b", journal="Journal of the American Medical Association", doi="")
    assert _decision(jama, full) == "duplicate"


def test_journal_names_that_only_share_a_word_do_not_confirm() -> None:
    # "Pain" is not "Pain Medicine": with the year only, an author-less copy stays uncertain.
    one = replace(ARTICLE, authors=(), journal="Pain", volume="", pages="", doi="")
    two = replace(one, id="b", journal="Pain Medicine")
    assert _decision(one, two) == "uncertain"


def test_first_page_typo_merges_but_a_reply_on_the_last_page_is_a_notice() -> None:
    base = replace(
        ARTICLE,
        doi="",
        pages="2097-2108",
        title="Disease recurrence in paediatric renal transplantation after adhesiolysis",
    )
    typo = replace(base, id="b", pages="2297-2108", title=base.title + ".")
    assert _decision(base, typo) == "duplicate"
    letter = replace(base, pages="943-945")
    reply = replace(
        letter,
        id="b",
        pages="945-945",
        authors=("Shepherd, A. B.", "Palmer, A. L."),
        title=letter.title + " - Reply",
    )
    # Not the typo rule: by default the reply is only linked to its letter (a record of its
    # own) ...
    apart = find_duplicates([letter, reply])
    assert not apart.duplicate_groups and apart.same_study_groups == (("a", "b"),)
    # ... and merged as a reply when asked (evsynth.records.dedup.notices), with a reason.
    merged = find_duplicates([letter, reply], merge_notices={"reply"})
    assert merged.duplicate_groups == (("a", "b"),)
    assert (merged.pairs[0].relation, merged.pairs[0].notice) == ("reply", "b")


def test_journal_name_variants() -> None:
    from evsynth.records.dedup.normalise import normalise
    from evsynth.records.dedup.scoring import journal_agreement

    def agree(a: str, b: str) -> float | None:
        return journal_agreement(
            normalise(Record(id="a", journal=a), 0), normalise(Record(id="b", journal=b), 1)
        )

    assert agree("Stroke; a journal of cerebral circulation", "Stroke (00392499)") == 1.0
    assert agree("CMAJ : Canadian Medical Association journal", "CMAJ") == 1.0
    assert agree("Journal of Neurosurgery: Spine", "J Neurosurg Spine") == 0.95
    # Sister journals and a journal inside another's name: neither the same nor contradicting.
    assert agree("Journal of Neurosurgery: Spine", "Journal of Neurosurgery") == 0.75
    assert agree("Pain", "Pain Medicine") == 0.75


def test_no_chaining_through_a_record_without_authors() -> None:
    # a and c have other authors (two letters printed under one title on the same page, say);
    # b lacks authors and looks like both. b may join one of them, never both.
    a = replace(ARTICLE, doi="", pages="E341-E342")
    b = replace(a, id="b", authors=())
    c = replace(a, id="c", authors=("North, R. B.", "Kidd, D. H."))
    result = find_duplicates([a, b, c])
    assert not any({"a", "c"} <= set(g) for g in result.duplicate_groups)


def test_the_same_title_at_the_same_citation_outweighs_the_author_list() -> None:
    # A group name for its members, or Chinese names in the other order, at the same article's
    # citation (cytology exports of Rathbone et al.): one article. Letters (three pages or fewer)
    # printed under one title by other people stay apart.
    a = replace(ARTICLE, doi="")
    group = replace(a, id="g", authors=("ASCUS-LSIL Triage Study Group",))
    assert any({"a", "g"} <= set(g) for g in find_duplicates([a, group]).duplicate_groups)
    letter = replace(a, pages="E341-E343")
    other = replace(letter, id="o", authors=("North, R. B.", "Kidd, D. H."))
    assert not find_duplicates([letter, other]).duplicate_groups
