"""``evsynth review check|run|render`` and ``evsynth demo``: outputs, exit status 2 on bad
input, and never a partial output folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from evsynth.cli import cli
from helpers import ROOT

EXAMPLES = ROOT / "src" / "evsynth" / "data" / "examples"
SEED = EXAMPLES / "adhesiolysis-disc-herniation"
TWO_ARM = EXAMPLES / "gerdesmeyer-two-arm"


def test_check_reports_a_valid_project() -> None:
    result = CliRunner().invoke(cli, ["review", "check", str(SEED)])
    assert result.exit_code == 0, result.output
    assert "valid. 6 studies" in result.output
    assert "4 analyses" in result.output


def test_check_names_file_row_and_column_of_bad_input(tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(SEED, project)
    outcomes = project / "outcomes.csv"
    lines = outcomes.read_text().splitlines()
    lines[2] = lines[2].replace(",2.4,0.184,", ",2.4,-0.184,")  # a negative SE on line 3
    outcomes.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(cli, ["review", "check", str(project)])
    assert result.exit_code == 2
    assert "outcomes.csv" in result.output and "row 3" in result.output
    assert "sei" in result.output
    assert "Traceback" not in result.output


def test_run_with_bad_project_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["review", "run", str(tmp_path / "nope"), "--out", str(out)])
    assert result.exit_code == 2
    assert "not a review project folder" in result.output
    assert not out.exists()


def test_refuses_a_folder_it_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = CliRunner().invoke(cli, ["review", "render", str(SEED), "--out", str(out), "--quiet"])
    assert result.exit_code == 2
    assert "not empty and was not written by evsynth" in result.output
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_invalid_format_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["review", "run", str(SEED), "--out", str(tmp_path / "o"), "--format", "odt"]
    )
    assert result.exit_code == 2
    assert "invalid format" in result.output


def test_failure_half_way_leaves_no_partial_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import evsynth.report.documents.policy as policy

    def boom(run: Any) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr(policy, "render_policy_html", boom)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["review", "render", str(SEED), "--out", str(out), "--quiet"])
    assert result.exit_code != 0
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary folder left behind either


def test_render_two_arm_example(tmp_path: Path) -> None:
    out = tmp_path / "two-arm"
    result = CliRunner().invoke(
        cli, ["review", "render", str(TWO_ARM), "--out", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads((out / "results.json").read_text())
    assert [a["id"] for a in data["analyses"]][:3] == ["rr-3m", "rr-6m", "rr-12m"]
    # the risk ratio is reported back-transformed: 3.47 = (26/45)/(7/42)
    assert data["analyses"][0]["fixed"]["back_transformed"]["estimate"] == pytest.approx(
        (26 / 45) / (7 / 42)
    )
    assert (out / "report.html").is_file() and (out / "figures" / "forest-rr-3m.svg").is_file()


@pytest.mark.slow
def test_demo_builds_everything_and_rebuilds_in_place(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    for _ in range(2):  # the second run replaces the first build as a whole
        result = CliRunner().invoke(cli, ["demo", "--out", str(out), "--quiet"])
        assert result.exit_code == 0, result.output
    assert f"Report: {(out / 'report.html').resolve()}" in result.output
    for name in (
        "report.html",
        "report.pdf",
        "report.docx",
        "results.json",
        "policy-brief.html",
        "policy-brief.md",
        "plain-language-summary.html",
        "figures/forest-fig3a.svg",
        "figures/forest-fig3a.png",
    ):
        assert (out / name).is_file(), name
    assert json.loads((out / "results.json").read_text())["evidence_level"] == "II"
    assert [p.name for p in tmp_path.iterdir()] == ["demo"]


def test_project_without_analyses_or_prisma_still_renders(tmp_path: Path) -> None:
    import yaml

    project = tmp_path / "p"
    shutil.copytree(SEED, project)
    protocol = yaml.safe_load((project / "review.yaml").read_text())
    protocol["analyses"] = []
    del protocol["prisma"]
    (project / "review.yaml").write_text(yaml.safe_dump(protocol, sort_keys=False))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["review", "run", str(project), "--out", str(out), "--format", "html", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads((out / "results.json").read_text())
    assert data["evidence_level"] == "II"
    assert data["analyses"] == [] and data["prisma"] is None
    # nothing printed by the paper is compared when the project has none of its analyses
    assert data["reproduction"] == [] and data["methods_check"] == []
    html = (out / "report.html").read_text()
    assert "The project records no screening decisions and no PRISMA counts." in html


def test_build_project_api(tmp_path: Path) -> None:
    from evsynth.review.build import build_project

    result = build_project(TWO_ARM, tmp_path / "out", formats=("html",))
    assert result.report == tmp_path / "out" / "report.html"
    assert "results.json" in result.files and "report.pdf" not in result.files
    assert result.report.is_file()


def test_analysis_without_usable_data_names_the_row(tmp_path: Path) -> None:
    # Remove the placebo responders of Gerdesmeyer at 3 months: the risk ratio cannot be formed.
    project = tmp_path / "p"
    shutil.copytree(TWO_ARM, project)
    outcomes = project / "outcomes.csv"
    lines = outcomes.read_text().splitlines()
    index = next(
        i
        for i, line in enumerate(lines)
        if line.startswith("gerdesmeyer2013,placebo,responders") and ",3," in line
    )
    header = lines[0].split(",")
    cells = lines[index].split(",")
    cells[header.index("responders")] = ""
    cells[header.index("proportion")] = "0.17"
    lines[index] = ",".join(cells)
    outcomes.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(cli, ["review", "check", str(project)])
    assert result.exit_code == 2
    assert f"outcomes.csv, row {index + 1}, column 'responders'" in result.output
    assert "lacks responder counts" in result.output
