"""One paper printed or indexed twice, and the look-alikes that are two records.

The kinds come from the held-out sets of the bib-dedupe evaluation data (respiratory, cytology
screening, digital work): a Chinese journal and its English edition at other pages of one volume,
one abstract printed twice in one supplement, a journal under its Japanese and its English name,
a Cochrane review whose number one export lost, a conference paper dated by the meeting in one
database and by its proceedings in another. Each is paired with the nearest case that must stay
apart: guidelines printed at once in several journals, a duplicate publication in another journal
and volume, an abstract against its full article, two errata of one article, a journal article a
year apart without its citation.
"""

from __future__ import annotations

from dataclasses import replace

from evsynth.records.dedup import find_duplicates
from evsynth.records.model import Record
from helpers import dedup_decision as _decision

ARTICLE = Record(
    id="a",
    title="Recombinant adenoviral p53 injection combined with cisplatin for malignant pleural "
    "effusion caused by lung cancer",
    authors=("Zhao, Wei-Zhu", "Wang, Ji-Kun", "Li, Wei", "Zhang, Xiu-Li"),
    year=2009,
    journal="Chinese Journal of Cancer",
    volume="28",
    pages="1324-1327",
)


def test_one_paper_at_other_pages_of_one_volume_is_one_record() -> None:
    edition = replace(
        ARTICLE,
        id="b",
        authors=("Zhao, W. Z.", "Wang, J. K.", "Li, W.", "Zhang, X. L."),
        pages="84-87",
    )
    assert _decision(ARTICLE, edition) == "duplicate"
    # The journal named with its other name in one export still agrees ("Ai zheng = ...").
    both_names = replace(edition, journal="Ai zheng = Aizheng = Chinese journal of cancer")
    assert _decision(ARTICLE, both_names) == "duplicate"


def test_the_same_paper_under_a_journal_name_that_does_not_match_is_for_a_person() -> None:
    chinese = replace(ARTICLE, journal="Aizheng")
    english = replace(ARTICLE, id="b", pages="84-87")
    assert _decision(chinese, english) == "uncertain"
    # Not a contradiction: an export that names both journals joins all three.
    both = replace(ARTICLE, id="c", journal="Ai zheng = Aizheng = Chinese journal of cancer")
    result = find_duplicates([chinese, english, both])
    assert result.duplicate_groups == (("a", "b", "c"),)
    # ... and the pair, already joined, is no longer asked about.
    assert result.uncertain_pairs == ()


def test_papers_in_other_volumes_or_of_other_sizes_stay_apart() -> None:
    # Joint guidelines printed at once in several journals: other journal, other volume.
    guideline = replace(
        ARTICLE, journal="CA: a Cancer Journal for Clinicians", volume="62", pages="147-172"
    )
    reprint = replace(
        guideline,
        id="b",
        journal="American Journal of Clinical Pathology",
        volume="137",
        pages="516-542",
    )
    assert _decision(guideline, reprint) != "duplicate"
    # A duplicate publication in another journal and volume.
    assert (
        _decision(
            ARTICLE, replace(ARTICLE, id="b", journal="Revue Medicale", volume="13", pages="92-94")
        )
        != "duplicate"
    )
    # An abstract (one page) and its full article in one volume: two reports of one study.
    abstract = replace(ARTICLE, id="b", pages="S42")
    assert _decision(ARTICLE, abstract) != "duplicate"
    # Other DOIs, or a number in one title only, or a single author: not enough.
    assert (
        _decision(
            replace(ARTICLE, doi="10.1/x1"), replace(ARTICLE, id="b", pages="84-87", doi="10.1/x2")
        )
        != "duplicate"
    )
    assert (
        _decision(ARTICLE, replace(ARTICLE, id="b", pages="84-87", title=ARTICLE.title + " 2"))
        != "duplicate"
    )
    alone = replace(ARTICLE, authors=("Tallman, M. S.",))
    assert _decision(alone, replace(alone, id="b", pages="S33-38")) != "duplicate"
    # Another year.
    assert _decision(ARTICLE, replace(ARTICLE, id="b", pages="84-87", year=2010)) != "duplicate"


def test_one_abstract_printed_twice_in_one_issue() -> None:
    abstract = replace(
        ARTICLE,
        journal="Archives of Physical Medicine and Rehabilitation",
        volume="91",
        issue="10",
        pages="e8-e9",
    )
    assert _decision(abstract, replace(abstract, id="b", pages="e3")) == "duplicate"
    # Without a volume (an abstract supplement indexed by its abstract number in one database)
    # the journal must be the same, not merely contain the other's name.
    bare = replace(abstract, volume="", issue="", pages="409")
    assert _decision(bare, replace(bare, id="b", pages="128")) == "duplicate"
    moved = replace(bare, id="b", pages="128", journal="Archives of Physical Medicine")
    assert _decision(bare, moved) != "duplicate"
    # Two one-page notices in other issues of the volume (two errata of one article) stay apart.
    first = replace(abstract, pages="2205", issue="9")
    assert _decision(first, replace(first, id="b", pages="2647", issue="11")) != "duplicate"


def test_a_journal_under_its_other_name_with_the_same_volume_and_issue() -> None:
    english = Record(
        id="a",
        title="Rating prediction for software developers by integrating open source communities "
        "and crowd sourcing",
        authors=("Ohsawa, Shohei", "Matsuo, Yutaka"),
        year=2016,
        journal="Transactions of the Japanese Society for Artificial Intelligence",
        volume="31",
        issue="2",
        pages="A-F24_1-10",
    )
    japanese = replace(english, id="b", journal="Jinko Chino Gakkai Ronbunshi", pages="")
    assert _decision(english, japanese) == "duplicate"
    # Another issue of the same volume is another paper or a notice.
    assert _decision(english, replace(japanese, issue="3")) != "duplicate"


def test_a_cochrane_review_whose_number_one_export_lost() -> None:
    review = Record(
        id="a",
        title="Treatment for POEMS (polyneuropathy, organomegaly, endocrinopathy, M-protein, and "
        "skin changes) syndrome",
        authors=(
            "Kuwabara, Satoshi",
            "Dispenzieri, Angela",
            "Arimura, Kimiyoshi",
            "Misawa, Sonoko",
        ),
        year=2008,
        journal="Cochrane Database of Systematic Reviews",
        pages="CD006828",
    )
    update = replace(review, id="b", year=2012, authors=(*review.authors, "Nakaseko, Chiaki"))
    unnumbered = replace(update, id="c", pages="")
    result = find_duplicates([review, update, unnumbered])
    assert result.duplicate_groups == (("a", "b", "c"),)
    # Not a protocol with its review, and not two other reviews.
    protocol = replace(review, id="p", title=review.title + " (Protocol)", pages="")
    assert _decision(protocol, update) != "duplicate"
    # BMJ Clinical Evidence keeps its reviews up to date the same way (volume = year).
    evidence = Record(
        id="e1",
        title="Head lice",
        authors=("Burgess, I.", "Silverston, P."),
        year=2015,
        journal="BMJ Clinical Evidence",
        volume="2015",
    )
    older = replace(evidence, id="e2", year=2011, volume="2011", journal="BMJ Clin Evid")
    assert _decision(evidence, older) == "duplicate"
    assert _decision(evidence, replace(older, journal="BMJ")) != "duplicate"
    other = replace(
        unnumbered, title="Treatment for Castleman disease and related disorders of the lymph nodes"
    )
    assert _decision(review, other) != "duplicate"


def test_a_conference_paper_dated_by_the_meeting_and_by_its_proceedings() -> None:
    meeting = Record(
        id="a",
        title="Crowdwork platforms: juxtaposing centralized and decentralized governance",
        authors=("Gol, Elham Shafiei", "Avital, Michel", "Stein, Mari-Klara"),
        year=2019,
        journal="European Conference on Information Systems",
        pages="1-16",
        type="conference",
    )
    proceedings = replace(
        meeting,
        id="b",
        year=2020,
        authors=("Gol, E.S.", "Avital, M.", "Stein, M.-K."),
        journal="ICIS : Transforming Society with Digital Innovation",
        pages="",
    )
    assert _decision(meeting, proceedings) == "duplicate"
    # Two years apart, other authors, or journal articles without their citation: apart.
    assert _decision(meeting, replace(proceedings, year=2021)) != "duplicate"
    assert (
        _decision(meeting, replace(proceedings, authors=("Gol, E.S.", "Smith, J."))) != "duplicate"
    )
    article = replace(meeting, type="journal", journal="Information Systems Journal")
    assert _decision(article, replace(article, id="b", year=2020, pages="")) != "duplicate"


def test_one_issue_of_one_journal_whatever_the_pages() -> None:
    # One database gave the page count or an abstract number, the other the page range.
    blood = Record(
        id="a",
        title="Autologous nonmyeloablative hematopoietic stem cell transplantation in patients "
        "with severe anti-TNF refractory Crohn disease",
        authors=("Burt, R. K.",),
        year=2010,
        journal="Blood",
        volume="116",
        issue="26",
        pages="23",
        doi="10.1182/blood-2010-06-292391",
    )
    assert (
        _decision(blood, replace(blood, id="b", volume="", pages="6123-6132", doi=""))
        == "duplicate"
    )
    # Another issue, or a correction with the article's title, stays apart.
    assert (
        _decision(blood, replace(blood, id="b", volume="", issue="27", pages="6123-6132", doi=""))
        != "duplicate"
    )
    erratum = replace(blood, id="b", title="Erratum: " + blood.title, pages="6200", doi="")
    assert _decision(blood, erratum) != "duplicate"


def test_two_dois_for_one_citation() -> None:
    article = Record(
        id="a",
        title="Purine metabolite accumulation during myocardial ischemia and adenosine "
        "production in the isolated heart",
        authors=("Manthei, S. A.", "Van Wylen, D. G."),
        year=1997,
        journal="Basic Research in Cardiology",
        volume="92",
        issue="6",
        pages="368-377",
        doi="10.1007/BF00796210",
    )
    assert _decision(article, replace(article, id="b", doi="10.1007/s003950050046")) == "duplicate"
    # A column printed on the same pages of every issue under one title is many records.
    column = Record(
        id="c",
        title="Editorial introduction",
        authors=("Zwass, Vladimir",),
        year=2005,
        journal="Journal of Management Information Systems",
        volume="22",
        issue="2",
        pages="5-6",
        doi="10.1080/07421222.2005.11045854",
    )
    later = replace(column, id="d", issue="4", doi="10.2753/MIS0742-1222220400")
    assert _decision(column, later) != "duplicate"
    assert _decision(column, replace(later, issue="2")) != "duplicate"


def test_the_e_pub_record_without_pages_a_year_earlier() -> None:
    printed = Record(
        id="a",
        title="Prevalence of HPV high and low risk types in cervical samples from the Italian "
        "general population: a population based study",
        authors=("Giorgi Rossi, P.", "Bisanzi, S.", "Paganini, I.", "Di Iasi, A."),
        year=2010,
        journal="BMC Infectious Diseases",
        volume="10",
        pages="214",
    )
    epub = replace(printed, id="b", year=2009, pages="")
    assert _decision(printed, epub) == "duplicate"
    # Other volume, another author list or a correction without pages stay apart.
    assert _decision(printed, replace(epub, volume="9")) != "duplicate"
    assert (
        _decision(printed, replace(epub, authors=("Giorgi Rossi, P.", "Smith, J."))) != "duplicate"
    )
    correction = replace(epub, year=2011, title="Correction: " + printed.title)
    assert _decision(printed, correction) != "duplicate"
