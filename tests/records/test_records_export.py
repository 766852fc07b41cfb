"""Exporting a project's records as RIS or CSV: after deduplication, or by screening outcome.

What teams take to a reference manager or send to a co-author: the deduplicated library, the
records included at title and abstract (the full texts to fetch), the studies included. The
tests build a project from three exports, deduplicate it, screen it with two reviewers, and read
the exported files back with the importers.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from evsynth.cli import cli
from evsynth.records.dedup import find_duplicates
from evsynth.records.dedup.links import store_result
from evsynth.records.export import export_text, select_records
from evsynth.records.importers import import_file
from evsynth.records.screening import ScreeningLog
from helpers import three_exports_project


def _project(tmp_path: Path) -> Path:
    records = three_exports_project(tmp_path)
    store_result(records, find_duplicates(records.records)).save(tmp_path)
    (tmp_path / "review.yaml").write_text(
        "title: export test\nscreening:\n  exclusion_reasons: [wrong design]\n", encoding="utf-8"
    )
    log = ScreeningLog.load(tmp_path)
    # Kept after deduplication: embase-00001, embase-00002, embase-00003, scopus-00002.
    for reviewer in ("ann", "bob"):
        log.decide("embase-00001", "title_abstract", reviewer, "include")
        log.decide("embase-00002", "title_abstract", reviewer, "exclude")
    for reviewer in ("ann", "bob"):
        log.decide("embase-00001", "full_text", reviewer, "exclude", reason="wrong design")
    log.decide("embase-00003", "title_abstract", "ann", "include")
    log.decide("embase-00003", "title_abstract", "bob", "exclude")
    return tmp_path


def test_unique_records_with_their_outcomes_as_csv(tmp_path: Path) -> None:
    project = _project(tmp_path)
    rows = list(csv.DictReader(io.StringIO(export_text(select_records(project), "csv"))))
    assert [r["id"] for r in rows] == [
        "embase-00001",
        "embase-00002",
        "embase-00003",
        "scopus-00002",
    ]
    by_id = {r["id"]: r for r in rows}
    assert by_id["embase-00001"]["title_abstract"] == "include"
    assert by_id["embase-00001"]["full_text"] == "exclude"
    assert by_id["embase-00001"]["full_text_reason"] == "wrong design"
    assert by_id["embase-00003"]["title_abstract"] == "conflict"
    assert by_id["scopus-00002"]["title_abstract"] == "pending"
    assert by_id["embase-00001"]["duplicates"] == "pubmed-00001; scopus-00001"


def test_all_records_name_the_record_kept_for_each_duplicate(tmp_path: Path) -> None:
    project = _project(tmp_path)
    rows = list(csv.DictReader(io.StringIO(export_text(select_records(project, "all"), "csv"))))
    assert len(rows) == 7
    kept_of = {r["id"]: r["duplicate_of"] for r in rows}
    assert kept_of["pubmed-00001"] == kept_of["scopus-00001"] == "embase-00001"
    assert kept_of["pubmed-00002"] == "embase-00003"
    assert kept_of["embase-00001"] == ""


@pytest.mark.parametrize(
    ("select", "stage", "expected"),
    [
        ("included", "title_abstract", ["embase-00001"]),
        ("excluded", "title_abstract", ["embase-00002"]),
        ("conflict", "title_abstract", ["embase-00003"]),
        ("pending", "title_abstract", ["scopus-00002"]),
        ("excluded", "full_text", ["embase-00001"]),
        ("included", "full_text", []),
    ],
)
def test_records_by_outcome(tmp_path: Path, select: str, stage: str, expected: list[str]) -> None:
    project = _project(tmp_path)
    assert [r.record.id for r in select_records(project, select, stage)] == expected


def test_ris_export_reads_back_with_the_same_fields(tmp_path: Path) -> None:
    project = _project(tmp_path)
    exported = select_records(project)
    path = tmp_path / "unique.ris"
    path.write_text(export_text(exported, "ris"), encoding="utf-8")
    back = import_file(path).records
    assert len(back) == len(exported)
    for row, again in zip(exported, back, strict=True):
        before = row.record
        assert again.title == before.title
        assert again.authors == before.authors
        assert (again.year, again.journal, again.volume, again.issue) == (
            before.year,
            before.journal,
            before.volume,
            before.issue,
        )
        assert again.doi == before.doi
        assert again.abstract == before.abstract
        assert again.keywords == before.keywords
        assert again.extra["id"] == before.id  # the evsynth ID travels in RIS's ID tag
    text = path.read_text(encoding="utf-8")
    assert "N1  - evsynth: title/abstract include; full text exclude (wrong design)" in text


def test_cli_export_writes_the_file_and_rejects_a_folder_without_records(tmp_path: Path) -> None:
    project = _project(tmp_path / "p")
    out = tmp_path / "included.ris"
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["export", str(project), "--select", "included", "--format", "ris", "--output", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "1 record written" in result.output
    assert [r.title for r in import_file(out).records] == [
        r.record.title for r in select_records(project, "included")
    ]
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = runner.invoke(cli, ["export", str(empty), "--output", str(tmp_path / "x.csv")])
    assert bad.exit_code == 2
    assert "no records" in bad.output
    assert not (tmp_path / "x.csv").exists()
