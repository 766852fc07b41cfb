"""Merges are reversible links stored in the project folder; nothing is ever deleted."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from evsynth.cli import cli
from evsynth.errors import InputError
from evsynth.records.dedup import find_duplicates
from evsynth.records.dedup.links import apply_link, duplicate_groups, store_result, undo_link
from evsynth.records.importers import import_file
from evsynth.records.model import RecordSet
from helpers import three_exports_project

FIXTURES = Path(__file__).parent / "fixtures"


def _project(tmp_path: Path) -> RecordSet:
    records: RecordSet = three_exports_project(tmp_path)
    return records


def test_records_sources_and_links_round_trip(tmp_path: Path) -> None:
    records = _project(tmp_path)
    loaded = RecordSet.load(tmp_path)
    assert loaded.records == records.records
    assert [(s.source, s.records) for s in loaded.sources] == [
        ("Embase", 3),
        ("PubMed", 2),
        ("Scopus", 2),
    ]
    lines = (tmp_path / "records" / "records.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 7 and json.loads(lines[0])["authors"][1] == "Müller, Jérôme"


def test_second_import_of_a_source_continues_the_numbering() -> None:
    result = import_file(FIXTURES / "pubmed.nbib")
    records = RecordSet().with_import(result.records, result.source)
    records = records.with_import(result.records, result.source)
    assert [r.id for r in records] == [
        "pubmed-00001",
        "pubmed-00002",
        "pubmed-00003",
        "pubmed-00004",
    ]


def test_merge_then_undo_keeps_every_row(tmp_path: Path) -> None:
    records = _project(tmp_path)
    result = find_duplicates(records.records)
    # The Manchikanti 2009 trial is in all three exports; Veihelmann 2006 in Embase and PubMed.
    assert sorted(sorted(g) for g in result.duplicate_groups) == [
        ["embase-00001", "pubmed-00001", "scopus-00001"],
        ["embase-00003", "pubmed-00002"],
    ]
    stored = store_result(records, result)
    stored.save(tmp_path)
    assert sorted(map(sorted, duplicate_groups(stored))) == sorted(
        map(sorted, result.duplicate_groups)
    )
    target = next(k for k in stored.active_links() if "embase-00003" in (k.record_a, k.record_b))
    undone = undo_link(stored, target.link_id, decided_by="Ana")
    undone.save(tmp_path)
    reloaded = RecordSet.load(tmp_path)
    assert len(reloaded.records) == 7  # no record removed, ever
    assert [g for g in duplicate_groups(reloaded) if "embase-00003" in g] == []
    with (tmp_path / "records" / "links.csv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["link_id"] == target.link_id]
    assert [(r["status"], r["decided_by"]) for r in rows] == [("undone", "auto"), ("undone", "Ana")]
    # Running the deduplication again does not silently re-create what a person undid.
    again = store_result(reloaded, find_duplicates(reloaded.records))
    assert [g for g in duplicate_groups(again) if "embase-00003" in g] == []
    # A person can still merge them again, as a new link with their name.
    remerged = apply_link(again, "embase-00003", "pubmed-00002", decided_by="Ben")
    assert remerged.active_links("duplicate")[-1].decided_by == "Ben"


def test_link_errors_are_input_errors(tmp_path: Path) -> None:
    records = _project(tmp_path)
    with pytest.raises(InputError, match="no record with ID"):
        apply_link(records, "embase-00001", "nope", decided_by="Ana")
    with pytest.raises(InputError, match="link kind"):
        apply_link(records, "embase-00001", "pubmed-00001", kind="twin", decided_by="Ana")
    with pytest.raises(InputError, match="no active link"):
        undo_link(records, "L999999", decided_by="Ana")


def test_bad_links_file_names_the_row(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "links.csv").write_text(
        "link_id,kind,record_a,record_b,score,decided_by,status,created_at\n"
        "L1,duplicate,a,b,0.9,auto,active,2026-01-01\n"
        "L2,twin,a,c,0.9,auto,active,2026-01-01\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        RecordSet.load(tmp_path)
    assert (info.value.row, info.value.column) == (3, "kind")


def test_cli_import_and_dedup_project(tmp_path: Path) -> None:
    runner = CliRunner()
    files = [str(FIXTURES / n) for n in ("embase.ris", "pubmed.nbib")]
    result = runner.invoke(cli, ["import", *files, "--project", str(tmp_path)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        cli, ["dedup", str(tmp_path), "--project", str(tmp_path), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["records"] == 5
    assert report["duplicate_groups"] == [
        ["embase-00001", "pubmed-00001"],
        ["embase-00003", "pubmed-00002"],
    ]
    links = (tmp_path / "records" / "links.csv").read_text(encoding="utf-8").splitlines()
    assert len(links) == 3


def test_cli_dedup_of_an_export_file_with_its_own_ids() -> None:
    result = CliRunner().invoke(cli, ["dedup", str(FIXTURES / "rayyan.csv"), "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["records"] == 2


def test_cli_bad_input_exit_2_and_no_partial_project(tmp_path: Path) -> None:
    runner = CliRunner()
    files = [str(FIXTURES / "embase.ris"), str(FIXTURES / "xxe.xml")]
    result = runner.invoke(cli, ["import", *files, "--project", str(tmp_path)])
    assert result.exit_code == 2
    assert "xxe.xml: refused: the XML declares an entity ('xxe')" in result.output
    assert not (tmp_path / "records").exists()


def test_cli_person_decisions_are_recorded_and_respected(tmp_path: Path) -> None:
    runner = CliRunner()
    files = [str(FIXTURES / n) for n in ("embase.ris", "pubmed.nbib")]
    assert runner.invoke(cli, ["import", *files, "--project", str(tmp_path)]).exit_code == 0
    args = ["dedup", str(tmp_path), "--project", str(tmp_path), "--format", "json"]
    assert runner.invoke(cli, args).exit_code == 0
    links = RecordSet.load(tmp_path).active_links("duplicate")
    veihelmann = next(k for k in links if k.record_a == "embase-00003")
    result = runner.invoke(
        cli,
        [
            "dedup",
            str(tmp_path),
            "--project",
            str(tmp_path),
            "--undo",
            veihelmann.link_id,
            "--by",
            "Ana",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(runner.invoke(cli, args).stdout)
    # The undone merge is not redone, and the pair is not offered again as uncertain.
    assert report["duplicate_groups"] == [["embase-00001", "pubmed-00001"]]
    assert report["uncertain_pairs"] == []
    result = runner.invoke(
        cli,
        [
            "dedup",
            str(tmp_path),
            "--project",
            str(tmp_path),
            "--same-study",
            "embase-00002",
            "pubmed-00002",
            "--by",
            "Ben",
        ],
    )
    assert result.exit_code == 0
    report = json.loads(runner.invoke(cli, args).stdout)
    assert ["embase-00002", "pubmed-00002"] in report["same_study_groups"]


def test_a_distinct_verdict_is_kept_in_the_project_and_respected(tmp_path: Path) -> None:
    records = _project(tmp_path)
    result = find_duplicates(records.records)
    stored = store_result(records, result)
    pairs = [g for g in duplicate_groups(stored) if len(g) == 2]
    pair = next(k for k in stored.active_links("duplicate") if [k.record_a, k.record_b] in pairs)
    # A person says the pair are two records: the merge is undone and the verdict stored.
    stored = undo_link(stored, pair.link_id, decided_by="Ana")
    stored = apply_link(stored, pair.record_a, pair.record_b, kind="distinct", decided_by="Ana")
    stored.save(tmp_path)
    again = RecordSet.load(tmp_path)
    verdicts = again.active_links("distinct")
    assert [(k.record_a, k.record_b, k.decided_by) for k in verdicts] == [
        (pair.record_a, pair.record_b, "Ana")
    ]
    # A later run neither merges the pair nor asks about it; groups and PRISMA ignore it.
    rerun = store_result(again, find_duplicates(again.records))
    assert not any({pair.record_a, pair.record_b} <= set(g) for g in duplicate_groups(rerun))
    assert not any(
        {pair.record_a, pair.record_b} <= set(g) for g in duplicate_groups(rerun, "same_study")
    )


def test_a_distinct_verdict_holds_against_chaining(tmp_path: Path) -> None:
    records = _project(tmp_path)
    three = next(
        g
        for g in duplicate_groups(store_result(records, find_duplicates(records.records)))
        if len(g) == 3
    )
    stored = store_result(records, find_duplicates(records.records))
    a, b, c = three
    judged = apply_link(stored, a, b, kind="distinct", decided_by="Ana")
    groups = duplicate_groups(judged)
    assert not any({a, b} <= set(g) for g in groups)
    assert any(c in g and len(g) == 2 for g in groups)  # c stays with one of them
    # PRISMA counts the same groups as the records left to screen.
    judged.save(tmp_path)
    from evsynth.records.prisma import prisma_counts, screening_records

    counts = prisma_counts(tmp_path)
    assert counts.duplicates_removed == len(judged.records) - len(screening_records(judged))


def test_cli_distinct_verdict(tmp_path: Path) -> None:
    runner = CliRunner()
    files = [str(FIXTURES / n) for n in ("embase.ris", "pubmed.nbib")]
    assert runner.invoke(cli, ["import", *files, "--project", str(tmp_path)]).exit_code == 0
    base = ["dedup", str(tmp_path), "--project", str(tmp_path)]
    decide = [*base, "--distinct", "embase-00002", "pubmed-00002", "--by", "Ben"]
    assert runner.invoke(cli, decide).exit_code == 0
    report = json.loads(runner.invoke(cli, [*base, "--format", "json"]).stdout)
    assert ["embase-00002", "pubmed-00002"] not in report["same_study_groups"]
    with (tmp_path / "records" / "links.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert any(r["kind"] == "distinct" and r["decided_by"] == "Ben" for r in rows)


def test_cli_decision_without_a_name_is_refused(tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(cli, ["import", str(FIXTURES / "embase.ris"), "--project", str(tmp_path)])
    result = runner.invoke(
        cli,
        [
            "dedup",
            str(tmp_path),
            "--project",
            str(tmp_path),
            "--merge",
            "embase-00001",
            "embase-00002",
        ],
    )
    assert result.exit_code == 2
    assert "need --project DIR and --by NAME" in result.output


def test_cli_warns_when_a_file_is_imported_twice(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["import", str(FIXTURES / "pubmed.nbib"), "--project", str(tmp_path)]
    assert "already imported" not in runner.invoke(cli, args).output
    second = runner.invoke(cli, args)
    assert second.exit_code == 0
    assert "pubmed.nbib (2 records) was already imported" in second.output
    assert len(RecordSet.load(tmp_path)) == 4


def test_cli_explain_gives_the_reasons_for_a_pair(tmp_path: Path) -> None:
    runner = CliRunner()
    files = [str(FIXTURES / n) for n in ("embase.ris", "pubmed.nbib")]
    runner.invoke(cli, ["import", *files, "--project", str(tmp_path)])
    result = runner.invoke(
        cli, ["dedup", str(tmp_path), "--explain", "embase-00001", "pubmed-00001"]
    )
    assert result.exit_code == 0
    assert result.stdout.startswith("embase-00001 ~ pubmed-00001: duplicate (")
    assert "same DOI" in result.stdout and "same volume and first page" in result.stdout
    missing = runner.invoke(cli, ["dedup", str(tmp_path), "--explain", "embase-00001", "x"])
    assert missing.exit_code == 2 and "no record with ID 'x'" in missing.output


def test_records_to_screen_keeps_the_first_of_each_group(tmp_path: Path) -> None:
    from evsynth.records.prisma import screening_records

    records = _project(tmp_path)
    stored = store_result(records, find_duplicates(records.records))
    kept = [r.id for r in screening_records(stored)]
    # 7 records, groups {embase-1, pubmed-1, scopus-1} and {embase-3, pubmed-2}: 3 removed.
    assert kept == ["embase-00001", "embase-00002", "embase-00003", "scopus-00002"]
    # A record found by other methods gives way to a database's record of its group, and a
    # record removed before screening (automation tools) is not screened.
    other = screening_records(stored, other_methods={"Embase"}, removals={"embase-00002"})
    assert [r.id for r in other] == ["pubmed-00001", "pubmed-00002", "scopus-00002"]


def test_duplicate_record_ids_and_bad_jsonl_are_input_errors(tmp_path: Path) -> None:
    from evsynth.records.model import Record

    with pytest.raises(InputError, match="record ID 'a' occurs more than once"):
        find_duplicates([Record(id="a"), Record(id="a")])
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "records.jsonl").write_text(
        '{"id": "r1", "title": "T", "colour": "blue"}\n{"id": "r2", "year": "twenty"}\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        RecordSet.load(tmp_path)
    assert (info.value.row, info.value.column) == (2, "year")
    (folder / "records.jsonl").write_text('{"id": "r1", "colour": "blue"}\n', encoding="utf-8")
    assert RecordSet.load(tmp_path).records[0].extra == {"colour": "blue"}


def test_screened_record_without_abstract_shows_its_duplicates_abstract(tmp_path: Path) -> None:
    """A Scopus CSV exported without abstracts, imported first, keeps its records on screening;
    the abstract a duplicate carries is shown with it, and says where it came from."""
    from dataclasses import replace

    from evsynth.records.model import Link, Record, RecordSet, Source
    from evsynth.records.prisma import screening_records

    bare = Record("scopus-00001", source="Scopus", title="Adhesiolysis trial", abstract="")
    full = Record(
        "pubmed-00001",
        source="PubMed",
        title="Adhesiolysis trial.",
        abstract="Adults with radicular pain.",
        keywords=("adhesiolysis",),
    )
    alone = Record("pubmed-00002", source="PubMed", title="Other trial", abstract="")
    sources = (
        Source("Scopus", "Scopus", "scopus.csv", "csv", "2026-01-01T00:00:00Z", 1),
        Source("PubMed", "PubMed", "pubmed.nbib", "medline", "2026-01-01T00:00:00Z", 2),
    )
    link = Link("L000001", "duplicate", "scopus-00001", "pubmed-00001", 1.0, "auto", "active", "")
    shown = screening_records(RecordSet((bare, full, alone), sources, (link,)))
    assert [r.id for r in shown] == ["scopus-00001", "pubmed-00002"]
    assert shown[0].abstract == "Adults with radicular pain."
    assert shown[0].keywords == ("adhesiolysis",)
    assert shown[0].extra["abstract_from"] == "pubmed-00001"
    assert shown[1] == alone  # nothing to fill: the record as exported
    assert replace(shown[0], abstract="", keywords=(), extra={}) == bare
