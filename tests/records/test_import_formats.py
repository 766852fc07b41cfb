"""Every importer on real-looking exports: fields mapped, lines located, nothing dropped.

The expected values are read off the fixture files by hand (the export as a person sees it in an
editor), e.g. the Manchikanti 2009 trial is PMID 19935979, DOI 10.36076/ppj.2009/12/E341,
volume 12, issue 6, pages E341-E354 in every export of it.
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from evsynth.errors import InputError
from evsynth.records.importers import detect_format, import_file

FIXTURES = Path(__file__).parent / "fixtures"
DOI = "10.36076/ppj.2009/12/E341"
TITLE_START = "A randomized, controlled, double-blind trial of percutaneous epidural neurolysis"


def _count_entries(path: Path, marker: bytes) -> int:
    """Records in a file counted independently of the importers (lines starting a record)."""
    return sum(
        1
        for line in path.read_bytes().splitlines()
        if line.lstrip(b"\xef\xbb\xbf").startswith(marker)
    )


@pytest.mark.parametrize(
    ("name", "fmt", "marker"),
    [
        ("embase.ris", "ris", b"TY  - "),
        ("truncated.ris", "ris", b"TY  - "),
        ("pubmed.nbib", "medline", b"PMID- "),
        ("pubmed.xml", "pubmed_xml", b"<PubmedArticle>"),
        ("endnote.xml", "endnote_xml", b"<record>"),
        ("zotero.bib", "bibtex", b"@article"),
        ("wos_plain.txt", "wos_plain", b"PT "),
        ("cochrane_central.txt", "cochrane", b"Record #"),
    ],
)
def test_no_record_is_dropped(name: str, fmt: str, marker: bytes) -> None:
    path = FIXTURES / name
    result = import_file(path)
    expected = _count_entries(path, marker)
    if name == "zotero.bib":
        expected += _count_entries(path, b"@inproceedings")
    assert result.format == fmt
    assert len(result.records) == result.entries == expected


def test_ris_with_bom_crlf_multiline_unicode_and_unknown_tag() -> None:
    result = import_file(FIXTURES / "embase.ris")
    first = result.records[0]
    assert result.source.source == result.source.database == "Embase"
    assert first.id == "embase-00001"
    assert first.source_line == 1
    assert first.title == f"{TITLE_START} in post lumbar surgery syndrome"
    assert first.authors == ("Manchikanti, Laxmaiah", "Müller, Jérôme", "Cash, Kimberly A.")
    assert (first.year, first.volume, first.issue, first.pages) == (2009, "12", "6", "E341-E354")
    assert first.doi == DOI
    assert first.abstract.startswith("Background: Post lumbar surgery syndrome is common. Methods:")
    assert first.extra["ZZ"] == "an unknown vendor tag"
    assert [str(p) for p in result.problems] == [
        f"{FIXTURES / 'embase.ris'}, line 20: unknown RIS tag ZZ; kept in extra"
    ]
    # Second record: no abstract, no issue; its TY line is line 23 of the file.
    second = result.records[1]
    assert (second.source_line, second.abstract, second.issue) == (23, "", "")


def test_truncated_ris_keeps_the_last_record_and_says_where() -> None:
    result = import_file(FIXTURES / "truncated.ris")
    assert [r.title for r in result.records][-1] == "A truncated record without its end tag"
    assert [(p.line, "truncated" in p.message) for p in result.problems] == [(7, True)]


def test_non_utf8_is_decoded_with_a_reported_fallback() -> None:
    result = import_file(FIXTURES / "latin1.ris")
    assert result.records[0].authors == ("Schönfeld, M.",)
    assert any("not valid UTF-8" in p.message and p.line == 2 for p in result.problems)


def test_medline_nbib() -> None:
    result = import_file(FIXTURES / "pubmed.nbib")
    first, second = result.records
    assert result.source.database == "PubMed"
    assert first.pmid == "19935979" and first.doi == DOI
    assert first.title == f"{TITLE_START} in post lumbar surgery syndrome."
    assert first.authors == ("Manchikanti, Laxmaiah", "Singh, Vijay", "Cash, Kimberly A")
    assert (first.year, first.volume, first.issue, first.pages) == (2009, "12", "6", "E341-54")
    assert first.journal == "Pain physician"
    assert "Randomized Controlled Trial" in first.type
    assert (second.source_line, second.pmid, second.abstract) == (33, "16786402", "")
    assert any(p.line == 52 and "XYZ" in p.message for p in result.problems)


def test_pubmed_xml() -> None:
    result = import_file(FIXTURES / "pubmed.xml")
    first, second = result.records
    assert first.pmid == "19935979" and first.doi == DOI
    assert first.authors == ("Manchikanti, Laxmaiah", "Søreide, Kjetil", "ASIPP Study Group")
    assert first.abstract == (
        "BACKGROUND: Post lumbar surgery syndrome is common. METHODS: 120 patients were randomised."
    )
    assert first.source_line == 4
    assert (second.year, second.pages, second.doi) == (2006, "365-9", "")


def test_endnote_xml_styles_and_database() -> None:
    result = import_file(FIXTURES / "endnote.xml")
    first, second = result.records
    assert result.source.database == "MEDLINE"
    assert first.title == f"{TITLE_START} in post lumbar surgery syndrome"
    assert first.pmid == "19935979" and first.doi == DOI
    assert second.type == "Conference Proceedings" and second.abstract == ""


@pytest.mark.parametrize("name", ["xxe.xml", "bomb.xml"])
def test_unsafe_xml_is_refused_with_a_clear_message(name: str) -> None:
    with pytest.raises(InputError, match="refused: the XML declares an entity"):
        import_file(FIXTURES / name)


def test_bibtex_macros_latex_accents_and_booktitle() -> None:
    result = import_file(FIXTURES / "zotero.bib")
    first, second = result.records
    assert first.title.endswith("in Post Lumbar Surgery Syndrome")
    assert first.authors == ("Manchikanti, Laxmaiah", "Müller, Jérôme", "Cash, Kimberly A.")
    assert (first.journal, first.pages, first.doi) == ("Pain Physician", "E341-E354", DOI)
    assert first.extra["note"] == "Unknown fields are kept"
    assert [str(p) for p in result.problems] == [
        f"{FIXTURES / 'zotero.bib'}, line 4: fields kept in extra (not mapped): month (line 4), "
        "note (line 4)"
    ]
    assert (first.source_line, second.source_line) == (4, 17)
    assert second.journal == "Annual Meeting of ASIPP" and second.type == "inproceedings"


def test_web_of_science_plain_text() -> None:
    result = import_file(FIXTURES / "wos_plain.txt")
    first, second = result.records
    assert result.source.database == "Web of Science"
    assert first.title == f"{TITLE_START} in post lumbar surgery syndrome"
    assert first.authors == ("Manchikanti, Laxmaiah", "Singh, Vijay", "Cash, Kimberly A.")
    assert (first.pages, first.doi, first.pmid) == ("E341-E354", DOI, "19935979")
    assert first.keywords == ("adhesiolysis", "post lumbar surgery syndrome")
    assert (first.source_line, second.source_line) == (3, 26)
    assert second.authors == ("Heavner, JE", "Racz, GB")


@pytest.mark.parametrize(
    ("name", "layout", "database"),
    [
        ("scopus.csv", "scopus", "Scopus"),
        ("wos.txt", "wos", "Web of Science"),
        ("covidence.csv", "covidence", "Covidence"),
        ("rayyan.csv", "rayyan", "Rayyan"),
        ("embase.csv", "embase", "Embase"),
    ],
)
def test_tabular_layouts_detected_from_the_header(name: str, layout: str, database: str) -> None:
    result = import_file(FIXTURES / name)
    assert (result.format, result.layout, result.source.database) == ("csv", layout, database)
    assert all(r.title for r in result.records)


def test_scopus_multiline_abstract_and_pages_from_start_end() -> None:
    first, second = import_file(FIXTURES / "scopus.csv").records
    assert first.authors == ("Manchikanti, L.", "Singh, V.", "Cash, K.A.")
    assert first.pages == "E341-E354" and first.pmid == "19935979" and first.doi == DOI
    assert (
        first.abstract
        == "Background: Post lumbar surgery syndrome is common. Methods: 120 patients."
    )
    # The multi-line abstract spans lines 2-3, so the second record starts on line 4.
    assert second.source_line == 4 and second.pages == ""


def test_covidence_comma_separated_authors() -> None:
    first, _ = import_file(FIXTURES / "covidence.csv").records
    assert first.authors == ("Gerdesmeyer, L", "Wagenpfeil, S", "Birkenmaier, C")
    assert first.extra["original_id"] == "#12"


def test_excel_export(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Title", "Authors", "Year", "Source title", "Volume", "DOI", "EID"])
    sheet.append(
        [
            "Percutaneous adhesiolysis",
            "Helm S.; Benyamin R.M.",
            2016,
            "Pain Physician",
            19,
            "10.1/x",
            "2-s2.0-1",
        ]
    )
    sheet.append([None] * 7)  # an empty row is not a record
    sheet.append(["Epidural neuroplasty", "Koh W.U.", 2013.0, "Pain Physician", 16, None, "2-s"])
    buffer = io.BytesIO()
    book.save(buffer)
    path = tmp_path / "scopus.xlsx"
    path.write_bytes(buffer.getvalue())
    result = import_file(path)
    assert (result.format, result.layout) == ("excel", "scopus")
    assert [(r.source_line, r.year, r.volume) for r in result.records] == [
        (2, 2016, "19"),
        (4, 2013, "16"),
    ]


def test_keep_ids_uses_the_export_ids_when_unique() -> None:
    result = import_file(FIXTURES / "rayyan.csv", keep_ids=True)
    assert [r.id for r in result.records] == ["rayyan-101", "rayyan-102"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"\x00\x01\x02binary", "binary file"),
        (b"just some words\nwithout structure\n", "cannot tell the export format"),
        (b"a,b,c\n1,2,3\n", "no title, DOI or PMID column"),
        (b"<html><body>not an export</body></html>", "neither PubMed XML nor EndNote XML"),
        (b'<?xml version="1.0" encoding="UTFj8"?><xml><records><record>', "unknown encoding"),
    ],
)
def test_unreadable_files_raise_input_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "export.dat"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        import_file(path)
    assert info.value.file == str(path)


def test_missing_file() -> None:
    with pytest.raises(InputError, match="no such file"):
        import_file(FIXTURES / "absent.ris")


def test_detect_format_by_content_not_extension() -> None:
    data = (FIXTURES / "pubmed.nbib").read_bytes()
    assert detect_format(data, "export.txt") == "medline"
    assert detect_format((FIXTURES / "embase.ris").read_bytes(), "x.txt") == "ris"


def test_truncated_xml_keeps_what_was_read_and_says_where(tmp_path: Path) -> None:
    data = (FIXTURES / "pubmed.xml").read_bytes()
    cut = data[: data.index(b"<ArticleTitle>Epidural")]
    path = tmp_path / "cut.xml"
    path.write_bytes(cut)
    result = import_file(path)
    assert [r.pmid for r in result.records] == ["19935979", "16786402"]
    assert result.records[0].title.startswith(TITLE_START)
    assert [p.line for p in result.problems if "malformed XML" in p.message] == [
        cut.count(b"\n") + 1
    ]


def test_one_file_from_several_databases_keeps_each_record_s_database() -> None:
    # An Ovid search of Embase and MEDLINE exported together: PRISMA counts per database need
    # each record's own database, not the first one in the file.
    result = import_file(FIXTURES / "ovid_multi.ris")
    assert [r.source for r in result.records] == ["Embase", "Ovid MEDLINE(R)", "Ovid MEDLINE(R)"]
    assert (result.source.source, result.source.database) == (
        "ovid_multi",
        "Embase; Ovid MEDLINE(R)",
    )
    assert result.records[1].pmid == "23378038"  # AN is the PMID in a MEDLINE record
    named = import_file(FIXTURES / "ovid_multi.ris", "Ovid")
    assert {r.source for r in named.records} == {"Ovid"}


def test_cochrane_central_plain_text(tmp_path: Path) -> None:
    result = import_file(FIXTURES / "cochrane_central.txt")
    first, second = result.records
    assert result.source.database == "CENTRAL"
    assert first.authors == ("Manchikanti, L", "Singh, V", "Cash, KA")
    assert (first.pmid, first.doi, first.pages) == ("19935979", DOI, "E341-54")
    assert first.extra["original_id"] == "CN-00723456"
    assert (second.source_line, second.pmid) == (20, "16786402")
    # A partial export says so: two records announced as "of 3".
    text = (FIXTURES / "cochrane_central.txt").read_text(encoding="utf-8")
    path = tmp_path / "partial.txt"
    path.write_text(text.replace(" of 2", " of 3"), encoding="utf-8")
    problems = import_file(path).problems
    assert any("announces 3 records but holds 2" in p.message for p in problems)


def test_a_utf8_file_with_one_windows_1252_line_keeps_its_other_accents(tmp_path: Path) -> None:
    good = "TY  - JOUR\nAU  - Müller, Jérôme\nTI  - Épidurale\n".encode()
    bad = "AU  - Schönfeld, M.\n".encode("cp1252")
    path = tmp_path / "mixed.ris"
    path.write_bytes(good + bad + b"ER  - \n")
    result = import_file(path)
    assert result.records[0].authors == ("Müller, Jérôme", "Schönfeld, M.")
    assert result.records[0].title == "Épidurale"
    assert [(p.line, p.message.split(" (")[0]) for p in result.problems] == [
        (4, "1 line(s) not valid UTF-8")
    ]


def test_ris_tags_separated_by_a_tab_or_odd_spacing(tmp_path: Path) -> None:
    """Some exporters (and hand-edited files) write ``A1<tab>- `` or ``ID <tab>- ``: each is
    still its own field, not text glued onto the field before it, and never a crash."""
    path = tmp_path / "tabs.ris"
    path.write_text(
        "TY  - JOUR\n"
        "A1\t- Nakamura, Keiko\n"
        "AU  - Okafor, Chidi\n"
        "TI  - Adhesiolysis for radicular pain\n"
        "JO\t- Pain Physician\n"
        "IS \t- 3\n"
        "SP  - 185\n"
        "EP\t- 196\n"
        "PY  - 2013\n"
        "ZZ\t- a tag no database defines\n"
        "ER  - \n",
        encoding="utf-8",
    )
    result = import_file(path)
    (record,) = result.records
    assert record.authors == ("Okafor, Chidi", "Nakamura, Keiko")
    assert record.journal == "Pain Physician"
    assert (record.issue, record.pages, record.year) == ("3", "185-196", 2013)
    assert record.extra["ZZ"] == "a tag no database defines"
    assert any("unknown RIS tag ZZ" in str(p) for p in result.problems)


def test_ovid_tags_after_the_end_of_a_record_belong_to_it(tmp_path: Path) -> None:
    """Ovid writes a journal abbreviation (NL) after a record's ER line, then a link line and
    the next record's number. That is not a record of its own: counting it as one would double
    the PRISMA count of records identified from the database."""
    path = tmp_path / "ovid.ris"
    records = []
    for n, (title, abbrev) in enumerate(
        [("Self-criticism and pain", "Clin Psychol Psychother"), ("Epidural steroids", "Pain")],
        start=1,
    ):
        records.append(
            f"{n}.\nTY  - JOUR\nT1  - {title}\nA1  - Author{n}, A\nY1  - 2019//\n"
            f"JF  - Journal {n}\nSP  - No\nEP  - Specified\nER  -\nNL  - {abbrev}\n\n"
            f"Link to the Ovid Full Text or citation: https://ovid.example/{n}\n\n"
        )
    path.write_text("".join(records), encoding="utf-8")
    result = import_file(path)
    assert [r.title for r in result.records] == ["Self-criticism and pain", "Epidural steroids"]
    assert [r.extra["NL"] for r in result.records] == ["Clin Psychol Psychother", "Pain"]
    # Ovid's "No Pagination Specified", split over SP and EP, is no page at all.
    assert [r.pages for r in result.records] == ["", ""]
    said = [str(p) for p in result.problems]
    assert any("line 10: NL after the record's ER line; kept with that record" in p for p in said)


def test_embase_csv_source_column_is_read_as_a_citation(tmp_path: Path) -> None:
    """Embase's CSV export puts journal, year, volume, issue and pages in one "Source" cell."""
    path = tmp_path / "embase.csv"
    path.write_text(
        "Title,Author Names,Source,Abstract,Emtree Medical Index Terms\n"
        '"Adhesiolysis, a trial","Gerdesmeyer L., Wagenpfeil S.",'
        '"Pain Physician (2013) 16:3 (185-196). Date of Publication: 1 May 2013",Abstract,x\n'
        'Case report,Lee K.,"Int J Surg Case Rep (2019) 54 (83-86). Date of Publication: 2019",,x\n'
        'Open access,Park J.,"BMJ Open (2020) 10:1 Article Number: e034567",,x\n'
        "No citation,Kim H.,Some unreadable source text,,x\n",
        encoding="utf-8",
    )
    result = import_file(path)
    got = [(r.journal, r.year, r.volume, r.issue, r.pages) for r in result.records]
    assert got == [
        ("Pain Physician", 2013, "16", "3", "185-196"),
        ("Int J Surg Case Rep", 2019, "54", "", "83-86"),
        ("BMJ Open", 2020, "10", "1", "e034567"),
        ("", None, "", "", ""),
    ]
    assert result.records[3].extra["Source"] == "Some unreadable source text"
    assert result.records[0].authors == ("Gerdesmeyer, L.", "Wagenpfeil, S.")
    assert result.source.database == "Embase"  # recognised by its Emtree columns


def test_pubmed_csv_citation_column_gives_volume_issue_and_pages(tmp_path: Path) -> None:
    """PubMed's "Save: CSV" export: volume, issue and pages only in the NLM "Citation" cell,
    and the author list closed by a full stop that is not part of the last initials."""
    path = tmp_path / "csv-pubmed.csv"
    path.write_text(
        "PMID,Title,Authors,Citation,First Author,Journal/Book,Publication Year,Create Date,"
        "PMCID,NIHMS ID,DOI\n"
        '"111","Adhesiolysis trial","Gerdesmeyer L, Wagenpfeil S.",'
        '"Pain Physician. 2013 May-Jun;16(3):185-96. doi: 10.36076/ppj.2013/16/185.",'
        '"Gerdesmeyer L","Pain Physician","2013","2013/05/30","","","10.36076/ppj.2013/16/185"\n'
        '"222","Early view","Park J.","Eur J Pain. 2022 Jan 31:1-13. doi: 10.1/x. Online ahead '
        'of print.","Park J","Eur J Pain","2022","2022/01/31","","","10.1/x"\n'
        '"333","Review","Lee K.","Cochrane Database Syst Rev. 2019 Jan 9;1(1):CD012345. doi: '
        '10.1002/14651858.CD012345.","Lee K","Cochrane Database Syst Rev","2019","2019/01/09",'
        '"","","10.1002/14651858.CD012345"\n'
        '"444","Torino","Hakim M, Tobias JD.","Minerva Pediatr (Torino). 2022 Jun;74(3):259-263.",'
        '"Hakim M","Minerva Pediatr (Torino)","2022","2018/11/14","","",""\n',
        encoding="utf-8",
    )
    result = import_file(path)
    assert result.source.database == "PubMed"
    got = [(r.pmid, r.journal, r.year, r.volume, r.issue, r.pages) for r in result.records]
    assert got == [
        ("111", "Pain Physician", 2013, "16", "3", "185-96"),
        ("222", "Eur J Pain", 2022, "", "", "1-13"),
        ("333", "Cochrane Database Syst Rev", 2019, "1", "1", "CD012345"),
        ("444", "Minerva Pediatr (Torino)", 2022, "74", "3", "259-263"),
    ]
    assert result.records[0].authors == ("Gerdesmeyer, L", "Wagenpfeil, S")
    assert result.records[0].extra["Citation"].startswith("Pain Physician. 2013")


def test_repeated_warnings_are_summarised_once_with_their_lines(tmp_path: Path) -> None:
    """An Ovid export of 30 records has 30 numbering lines and 30 NL trailers: the summary
    says each kind once, with its first lines and count, so a rarer problem is not crowded out."""
    path = tmp_path / "ovid.ris"
    chunks = [f"{n}.\nTY  - JOUR\nT1  - Title {n}\nER  -\nNL  - J Abbrev\n\n" for n in range(1, 31)]
    chunks[4] = chunks[4].replace("T1  - Title 5\n", "T1  - Title 5\nPY  - two thousand\n")
    path.write_text("".join(chunks), encoding="utf-8")
    result = import_file(path)
    assert len(result.records) == 30
    lines = result.summary().splitlines()
    assert lines[1] == (
        f"  warning: {path}, lines 1, 7, 13 and 27 more: text outside any record ignored"
    )
    assert any("no year in 'two thousand'" in line for line in lines)
    assert len(lines) == 4  # the head line and three kinds of warning
