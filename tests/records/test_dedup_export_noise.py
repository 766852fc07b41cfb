"""Export noise that must not keep two copies of one record apart, and the look-alikes that must.

The cases are the kinds found in real exports (the respiratory, cytology-screening and
digital-work sets of the bib-dedupe evaluation data, beside the three shared sets): quotation
marks kept around a field, Ovid's ``LA:``/``TO:``/``<ORIGINAL>`` tails, a page range turned into a
date by a spreadsheet, an electronic article number in one database and a page count in another,
an issue column that holds a record counter, a group name for the authors, a translated title.
Each is paired with the nearest case that is really two records.
"""

from __future__ import annotations

from dataclasses import replace

from evsynth.records.dedup import find_duplicates
from evsynth.records.dedup.normalise import norm_title
from evsynth.records.model import Record
from helpers import dedup_decision as _decision

PAPER = Record(
    id="a",
    title="Triage of women with minor cervical lesions: data suggesting a test and treat "
    "approach for HPV E6/E7 mRNA testing",
    authors=("Sorbye, S W", "Fismen, S", "Gutteberg, T", "Mortensen, E S"),
    year=2010,
    journal="PLoS ONE",
    volume="5",
    issue="9",
    pages="e12724",
)


def test_ovid_tails_and_quotes_are_not_part_of_the_title() -> None:
    plain = "research on fast track surgery application in lung cancer surgery"
    assert (
        norm_title("[Research on fast track surgery application in lung cancer surgery] LA: Chi")
        == plain
    )
    assert (
        norm_title('"[Research on fast track surgery application in lung cancer surgery]"') == plain
    )
    assert (
        norm_title(
            "Antibiotic prophylaxis in thoracic surgery. <ORIGINAL> PROPHYLAXIE EN CHIRURGIE"
        )
        == "antibiotic prophylaxis in thoracic surgery"
    )
    assert norm_title('"[Prevention of empyema in lung surgery. A prospective') == (
        "prevention of empyema in lung surgery a prospective"
    )


def test_an_article_number_and_a_page_count_are_one_record() -> None:
    counted = replace(PAPER, id="b", pages="1-6", issue="")
    assert _decision(PAPER, counted) == "duplicate"
    # ... not an erratum printed later in the volume (it is the article's own number).
    assert not find_duplicates([PAPER, counted]).same_study_groups


def test_a_page_range_turned_into_a_date_says_nothing() -> None:
    printed = replace(PAPER, pages="2422-2427")
    dated = replace(printed, id="b", pages="01-Jun", volume="")
    assert _decision(printed, dated) == "duplicate"
    # Two exports with the same garbled text still agree with each other.
    short = replace(PAPER, title="Empyema thoracis", pages="01-Aug")
    assert _decision(short, replace(short, id="b", journal="PLoS One")) == "duplicate"


def test_an_issue_column_that_counts_records_is_ignored() -> None:
    records = [
        replace(
            PAPER, id=f"r{i}", title=f"Unrelated paper number {i} on another subject", issue=str(i)
        )
        for i in range(30)
    ]
    a = replace(PAPER, issue="1001", pages="")
    b = replace(PAPER, id="b", issue="1002")
    result = find_duplicates([*records, a, b])
    assert ("a", "b") in result.duplicate_groups
    # With real issue numbers (they repeat), another issue still keeps such a pair apart.
    real = [replace(r, issue=str(1 + i % 4)) for i, r in enumerate(records)]
    apart = find_duplicates([*real, replace(a, issue="2"), replace(b, issue="3")])
    assert ("a", "b") not in apart.duplicate_groups


def test_front_matter_of_two_issues_is_two_records() -> None:
    column = Record(
        id="a",
        title="Editor's Comments",
        authors=("Weber, Ron",),
        year=2003,
        journal="MIS Quarterly",
        volume="27",
        issue="2",
        pages="iii-xi",
    )
    assert _decision(column, replace(column, id="b", issue="3", pages="iii-xii")) != "duplicate"
    assert _decision(column, replace(column, id="b")) == "duplicate"


def test_a_group_name_at_the_same_citation_is_the_same_article() -> None:
    article = Record(
        id="a",
        title="Results of a randomized trial on the management of cytology interpretations of "
        "atypical squamous cells of undetermined significance",
        authors=("Solomon, D",),
        year=2003,
        journal="American Journal of Obstetrics and Gynecology",
        volume="188",
        pages="1383-1392",
    )
    group = replace(article, id="b", authors=("ASCUS-LSIL Triage Study (ALTS) Group",))
    assert _decision(article, group) == "duplicate"
    # In another year or volume the same title by other people is another paper.
    assert _decision(article, replace(group, volume="189", pages="101-110")) != "duplicate"


def test_a_translated_title_on_the_same_pages_by_the_same_authors() -> None:
    german = Record(
        id="a",
        title="Arbeiten in der Crowd: Perspektiven der Theorie relationaler Ungleichheiten",
        authors=("Abendroth, Anja-Kristin", "Reimann, Mareike", "Diewald, Martin"),
        year=2020,
        journal="Industrielle Beziehungen",
        volume="27",
        issue="2",
        pages="160-178",
    )
    english = replace(german, id="b", title="Crowdwork: Applying a relational inequality theory")
    assert _decision(german, english) == "duplicate"
    # Some journals print other papers by one author on the same pages of each issue.
    other_issue = replace(english, issue="1")
    assert _decision(german, other_issue) != "duplicate"
    # One page is not a range: several abstracts by one group can share it.
    assert _decision(replace(german, pages="160"), replace(english, pages="160")) != "duplicate"


def test_a_reply_with_its_own_doi_is_not_merged_into_the_letter() -> None:
    letter = Record(
        id="a",
        title="More enduring questions in cognitive IS research",
        authors=("Browne, Glenn J.", "Parsons, Jeffrey"),
        year=2012,
        journal="Journal of the Association for Information Systems",
        volume="13",
        issue="12",
        pages="1000-1011",
        doi="10.17705/1jais.00318",
    )
    reply = replace(
        letter,
        id="b",
        title=letter.title + " - A reply",
        authors=("Davern, Michael J.", "Shaft, Teresa M."),
        pages="1012-1016",
        doi="10.17705/1jais.00317",
    )
    assert _decision(letter, reply) == "same_study"


def test_versions_of_one_cochrane_review_are_one_review() -> None:
    latest = Record(
        id="a",
        title="Omega 3 fatty acids (fish oil) for maintenance of remission in Crohn's disease",
        authors=("Lev-Tzion, R", "Griffiths, A M", "Leder, O", "Turner, D"),
        year=2014,
        journal="Cochrane Database of Systematic Reviews",
        pages="CD006320",
        doi="10.1002/14651858.CD006320.pub4",
    )
    earlier = replace(
        latest,
        id="b",
        authors=("Turner, D", "Zlotkin, S H", "Shah, P S", "Griffiths, A M"),
        year=2009,
        pages="",
        doi="10.1002/14651858.CD006320.pub2",
    )
    result = find_duplicates([latest, earlier])
    assert result.duplicate_groups == (("a", "b"),)
    assert "versions of one Cochrane review (CD006320)" in result.pairs[0].reasons
    # The protocol of the review is not one of its versions.
    protocol = replace(
        earlier, title=earlier.title + " (Protocol)", year=2007, doi="10.1002/14651858.CD006320"
    )
    assert _decision(protocol, latest) != "duplicate"
    # Another review by the same group (another number) is another record.
    other = replace(
        earlier,
        title="Omega 3 fatty acids for induction of remission in Crohn's disease",
        doi="10.1002/14651858.CD006321.pub2",
    )
    assert _decision(latest, other) != "duplicate"


def test_one_doi_outweighs_a_garbled_volume_and_journal() -> None:
    article = Record(
        id="a",
        title="Remote ischemic preconditioning confers late protection against myocardial "
        "ischemia-reperfusion injury in mice",
        authors=("Cai, Z P", "Parajuli, N", "Zheng, X", "Becker, L"),
        year=2012,
        journal="Basic Research in Cardiology",
        volume="107",
        issue="4",
        pages="277",
        doi="10.1007/s00395-012-0277-1",
    )
    garbled = replace(article, id="b", journal="Circulation Research", volume="111")
    assert _decision(article, garbled) == "duplicate"
    # Without the DOI, another journal and volume make another paper.
    assert _decision(replace(article, doi=""), replace(garbled, doi="")) != "duplicate"


def test_the_same_page_range_outweighs_a_garbled_issue_or_a_conference_year() -> None:
    paper = Record(
        id="a",
        title="Schizophrenia genes discovery by mining the minimum spanning trees from "
        "multi-dimensional imaging genomic data",
        authors=("Deng, S", "Lin, D", "Calhoun, V D", "Wang, Y P"),
        year=2016,
        journal="IEEE International Conference on Bioinformatics and Biomedicine",
        type="conference",
        pages="1493-1500",
    )
    assert _decision(paper, replace(paper, id="b", year=2017, journal="")) == "duplicate"
    printed = replace(PAPER, pages="1030-1031", volume="", issue="3765")
    assert _decision(printed, replace(printed, id="b", volume="155", issue="765")) == "duplicate"
    # One page is no range: two journal items on one page of another year stay apart (a
    # conference paper a year apart is the meeting and its proceedings: test_dedup_same_work).
    single = replace(paper, pages="1493", type="journal", journal="Bioinformatics")
    assert _decision(single, replace(single, id="b", year=2017, journal="")) != "duplicate"


def test_one_journal_volume_and_page_range_without_authors_in_one_export() -> None:
    german = Record(
        id="a",
        title="[Postoperative immunostimulation in non-small-cell bronchial carcinoma. Outcome "
        "and complications]",
        authors=("Toomes, H.",),
        year=1984,
        journal="Deutsche Medizinische Wochenschrift",
        volume="109",
        pages="935-940",
    )
    bare = replace(
        german,
        id="b",
        title="Postoperative local immunostimulation in non-oatcell bronchial carcinoma",
        authors=(),
        journal="Dtsch-Med-Wochenschr",
    )
    assert _decision(german, bare) == "duplicate"
    # Not for short items (letters share pages) nor for another journal.
    short = replace(german, pages="935-936")
    assert _decision(short, replace(bare, pages="935-936")) != "duplicate"
    assert _decision(german, replace(bare, journal="Lancet")) != "duplicate"


def test_blocking_meets_retitled_versions_and_translations_without_a_volume() -> None:
    # Nothing shared but the review number (another title, first author, year and DOI) ...
    first = Record(
        id="a",
        title="Magnesium for acute traumatic brain injury",
        authors=("Arango, M F", "Bainbridge, D"),
        year=2008,
        journal="Cochrane Database of Systematic Reviews",
        pages="CD005400",
        doi="10.1002/14651858.CD005400.pub2",
    )
    update = replace(
        first,
        id="b",
        title="Magnesium for the treatment of acute traumatic brain injury",
        authors=("Mejia-Mantilla, J H", "Arango, M F"),
        year=2010,
        doi="10.1002/14651858.CD005400.pub3",
    )
    assert _decision(first, update) == "duplicate"
    # ... or the year and the page range (a translated title, one export without its volume).
    russian = Record(
        id="c",
        title="Effect of the tranquilizer gidazepam on behavioral reactions of rats after "
        "resuscitation",
        authors=("Mutuskina, E A", "Garibova, T L"),
        year=1994,
        journal="Patologicheskaia fiziologiia i eksperimental'naia terapiia",
        volume="4",
        pages="10-12",
    )
    english = replace(
        russian,
        id="d",
        title="Effect of the tranquillizer gidazepam on rat behavioural reactions after "
        "resuscitation",
        volume="",
    )
    assert _decision(russian, english) == "duplicate"
    # The blocking keys that bring such pairs together when nothing else is shared.
    from evsynth.records.dedup.blocking import blocking_keys
    from evsynth.records.dedup.normalise import normalise

    assert "yr:1994:10-12" in set(blocking_keys(normalise(english, 0)))
    assert "cd:CD005400" in set(blocking_keys(normalise(update, 0)))
