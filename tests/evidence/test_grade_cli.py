"""``evsynth grade``: the JSON contract of ../shared/DESIGN.md, per-outcome grades, and bad input
exiting 2 with file, row and column."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from evsynth.cli import cli
from evsynth.evidence.project import example_path

SEED_TABLE = """study,design,quality,result
Gerdesmeyer 2013,rct,high,positive
Moon 2017,nonrandomized,moderate,positive
Ji 2015,nonrandomized,moderate,positive
Cho 2019,nonrandomized,moderate,positive
Park 2018,nonrandomized,moderate,positive
Choi 2017,nonrandomized,moderate,positive
"""


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["grade", *args])
    return result.exit_code, result.output


def test_seed_table_gives_level_ii_json(tmp_path: Path) -> None:
    f = tmp_path / "evidence.csv"
    f.write_text(SEED_TABLE)
    code, out = run(str(f), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert (data["level"], data["label"]) == ("II", "moderate")
    # Seed 001: ASIPP 2021 states disc herniation Level II with moderate to strong recommendation.
    assert data["typical_strength"] == "moderate to strong"
    assert "Gerdesmeyer 2013" in data["rationale"]
    assert data["deciding_studies"] == ["Gerdesmeyer 2013"]
    assert data["studies"][0] == {
        "study": "Gerdesmeyer 2013",
        "design": "rct",
        "quality": "high",
        "result": "positive",
    }
    assert len(data["studies"]) == 6


def test_outcome_column_gives_per_outcome_levels(tmp_path: Path) -> None:
    f = tmp_path / "evidence.csv"
    f.write_text(
        "study,design,quality,result,outcome\n"
        "A,rct,high,positive,pain\nB,rct,high,positive,pain\n"
        "A,rct,high,positive,function\nC,nonrandomized,moderate,positive,function\n"
    )
    code, out = run(str(f), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["level"] == "I"  # A and B across outcomes: two high-quality RCTs
    assert data["outcomes"]["pain"]["level"] == "I"
    assert data["outcomes"]["function"]["level"] == "II"


def test_project_folder_is_graded_level_ii() -> None:
    code, out = run(str(example_path("adhesiolysis-disc-herniation")), "--format", "json")
    assert code == 0, out
    data = json.loads(out)
    assert data["level"] == "II"
    assert set(data["outcomes"]) == {"pain", "disability", "responders"}


def test_text_format(tmp_path: Path) -> None:
    f = tmp_path / "evidence.csv"
    f.write_text(SEED_TABLE)
    code, out = run(str(f))
    assert code == 0
    assert out.startswith("Level II (moderate)")


def test_bad_value_exits_2_with_location(tmp_path: Path) -> None:
    f = tmp_path / "evidence.csv"
    f.write_text("study,design,quality\nA,rct,high\nB,cohort,high\n")
    code, out = run(str(f), "--format", "json")
    assert code == 2
    assert f"{f}, row 3, column 'design': design 'cohort' not one of: rct, nonrandomized" in out
    assert "Traceback" not in out


def test_missing_column_and_missing_file(tmp_path: Path) -> None:
    f = tmp_path / "evidence.csv"
    f.write_text("study,design\nA,rct\n")
    code, out = run(str(f))
    assert code == 2
    assert "row 1, column 'quality': missing column 'quality'" in out
    code, out = run(str(tmp_path / "nope.csv"))
    assert code == 2
    assert "file not found" in out


def test_bad_result_and_duplicate_study(tmp_path: Path) -> None:
    f = tmp_path / "evidence.csv"
    f.write_text("study,design,quality,result\nA,rct,high,maybe\n")
    code, out = run(str(f))
    assert code == 2 and "row 2, column 'result'" in out
    f.write_text("study,design,quality\nA,rct,high\nA,rct,high\n")
    code, out = run(str(f))
    assert code == 2 and "row 3, column 'study'" in out and "first on line 2" in out


def test_project_study_without_appraisal_exits_2(tmp_path: Path) -> None:
    import shutil

    d = tmp_path / "proj"
    shutil.copytree(example_path("adhesiolysis-disc-herniation"), d)
    lines = (d / "appraisals.csv").read_text().splitlines()
    (d / "appraisals.csv").write_text("\n".join(x for x in lines if not x.startswith("park2018")))
    code, out = run(str(d))
    assert code == 2
    assert (
        "studies.csv, row 6, column 'study_id': study park2018 has no complete appraisal "
        "with ipm-qrbnr" in out
    )
