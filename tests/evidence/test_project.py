"""The project folder: the seed review loads with the paper's facts, saves back without loss,
and every kind of bad input names its file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evsynth.errors import InputError
from evsynth.evidence.project import example_path, load_example, load_project, save_project

SEED = "adhesiolysis-disc-herniation"


def _copy_seed(tmp_path: Path) -> Path:
    dest = tmp_path / "proj"
    shutil.copytree(example_path(SEED), dest)
    return dest


def test_seed_has_the_papers_six_studies() -> None:
    p = load_example(SEED)
    # Seed 000: one RCT and five retrospective studies, with these n.
    assert {s.study_id: (s.design, s.n) for s in p.studies} == {
        "gerdesmeyer2013": ("rct", 90),
        "moon2017": ("nonrandomized", 363),
        "ji2015": ("nonrandomized", 407),
        "cho2019": ("nonrandomized", 430),
        "park2018": ("nonrandomized", 78),
        "choi2017": ("nonrandomized", 543),
    }
    g = p.study("gerdesmeyer2013")
    assert [(a.name, a.n) for a in g.arms] == [("lysis", 46), ("placebo", 44)]
    assert p.protocol.duration.classify(3) == "short-term"
    assert p.protocol.duration.classify(6) == "long-term"


def test_seed_prisma_counts_follow_fig1() -> None:
    prisma = load_example(SEED).protocol.prisma
    assert prisma is not None
    assert sum(prisma.identified.values()) == 115
    assert prisma.records_excluded == 46 + 43
    assert prisma.reports_assessed == 26
    assert sum(prisma.reports_excluded.values()) == 13 + 7
    assert prisma.studies_included == 6


def test_seed_outcome_rows_match_the_figures() -> None:
    p = load_example(SEED)
    fig2a = [(v.study_id, v.yi, v.sei) for v in p.outcome_values("pain", 6)]
    assert fig2a == [
        ("choi2017", 2.64, 0.084),
        ("gerdesmeyer2013", 2.4, 0.184),
        ("cho2019", 2.7, 0.082),
        ("park2018", 2.9, 0.277),
        ("ji2015", 2.76, 0.106),
    ]
    assert len(p.outcome_values("pain", 12)) == 5
    assert len(p.outcome_values("disability", 6)) == 2
    resp = {
        (v.arm, v.timepoint_months): (v.responders, v.n)
        for v in p.outcome_values("responders")
        if v.study_id == "gerdesmeyer2013"
    }
    assert resp[("lysis", 12)] == (28, 31)
    assert resp[("placebo", 3)] == (7, 42)


@pytest.mark.parametrize("name", ["adhesiolysis-disc-herniation", "gerdesmeyer-two-arm"])
def test_round_trip_is_lossless(tmp_path: Path, name: str) -> None:
    if not (example_path(name) / "review.yaml").exists():
        pytest.skip(f"example {name} not bundled yet")
    first = load_example(name)
    save_project(first, tmp_path / "a")
    second = load_project(tmp_path / "a")
    assert second.protocol == first.protocol
    assert second.studies == first.studies
    assert second.outcomes == first.outcomes
    assert second.appraisals == first.appraisals
    # An unchanged protocol is written back as the person wrote it (comments kept).
    assert (tmp_path / "a" / "review.yaml").read_text() == (
        example_path(name) / "review.yaml"
    ).read_text()
    # The bundled files are in evsynth's own format: saving writes them back byte for byte.
    for f in ("studies.csv", "outcomes.csv", "appraisals.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (example_path(name) / f).read_bytes()


def test_changed_protocol_is_dumped_and_reloads(tmp_path: Path) -> None:
    p = load_example(SEED)
    changed = p.protocol.model_copy(update={"title": "Another title"})
    from dataclasses import replace

    save_project(replace(p, protocol=changed), tmp_path / "c")
    assert load_project(tmp_path / "c").protocol == changed


def test_yaml_error_names_line_and_field(tmp_path: Path) -> None:
    d = _copy_seed(tmp_path)
    text = (d / "review.yaml").read_text()
    lines = text.splitlines()
    idx = next(i for i, line in enumerate(lines) if "min_participants: 50" in line)
    lines[idx] = lines[idx].replace("50", "-5")
    (d / "review.yaml").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as e:
        load_project(d)
    assert e.value.row == idx + 1
    assert e.value.column == "eligibility.min_participants"
    assert e.value.file is not None and e.value.file.endswith("review.yaml")


def test_yaml_unknown_field_is_an_error(tmp_path: Path) -> None:
    d = _copy_seed(tmp_path)
    text = (
        (d / "review.yaml").read_text().replace("  long_term_from_months: 6", "  long_term_from: 6")
    )
    (d / "review.yaml").write_text(text)
    with pytest.raises(InputError) as e:
        load_project(d)
    assert e.value.column == "duration.long_term_from"
    assert "long_term_from: 6" in text.splitlines()[e.value.row - 1]  # type: ignore[operator]


def test_csv_errors_name_line_and_column(tmp_path: Path) -> None:
    d = _copy_seed(tmp_path)
    lines = (d / "outcomes.csv").read_text().splitlines()
    lines[3] = lines[3].replace(",2.7,0.082,", ",2.7,-0.082,")  # cho2019, third data row
    (d / "outcomes.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as e:
        load_project(d)
    assert (e.value.row, e.value.column) == (4, "sei")
    assert str(e.value).startswith(str(d / "outcomes.csv") + ", row 4, column 'sei'")


def test_unknown_study_and_arm_are_errors(tmp_path: Path) -> None:
    d = _copy_seed(tmp_path)
    original = (d / "outcomes.csv").read_text()
    (d / "outcomes.csv").write_text(
        original.replace("park2018,all,pain,VAS,6", "park2019,all,pain,VAS,6")
    )
    with pytest.raises(InputError, match="unknown study 'park2019'") as e:
        load_project(d)
    assert (e.value.row, e.value.column) == (5, "study_id")
    (d / "outcomes.csv").write_text(
        original.replace("gerdesmeyer2013,placebo,", "gerdesmeyer2013,sham,")
    )
    with pytest.raises(InputError, match="unknown arm 'sham'") as e:
        load_project(d)
    assert e.value.column == "arm"


def test_prisma_must_add_up(tmp_path: Path) -> None:
    d = _copy_seed(tmp_path)
    text = (d / "review.yaml").read_text().replace("records_excluded: 89", "records_excluded: 88")
    (d / "review.yaml").write_text(text)
    with pytest.raises(InputError, match="reports_sought 26 != records_screened 115"):
        load_project(d)


def test_missing_required_column(tmp_path: Path) -> None:
    d = _copy_seed(tmp_path)
    text = (d / "studies.csv").read_text().replace("design,design_detail", "dsgn,design_detail", 1)
    (d / "studies.csv").write_text(text)
    with pytest.raises(InputError) as e:
        load_project(d)
    assert (e.value.row, e.value.column) == (1, "design")


def test_records_and_screening_folders_are_tolerated(tmp_path: Path) -> None:
    d = _copy_seed(tmp_path)
    (d / "records").mkdir()
    (d / "records" / "records.jsonl").write_text('{"id": "r1"}\n')
    (d / "screening").mkdir()
    assert len(load_project(d).studies) == 6


def test_two_arm_example_has_policy_means_and_responders() -> None:
    p = load_example("gerdesmeyer-two-arm")
    odi = {(v.arm, v.timepoint_months): (v.n, v.mean, v.sd) for v in p.outcome_values("disability")}
    # Seed 001: ODI lysis 9.6 +/- 9.3 (1 y), 11.7 +/- 14.2 (10 y); placebo 30.7 +/- 14.2 (1 y),
    # 24.8 +/- 12.0 (10 y).
    assert odi[("lysis", 12)] == (46, 9.6, 9.3)
    assert odi[("placebo", 120)] == (44, 24.8, 12.0)
    vas = {(v.arm, v.timepoint_months): (v.mean, v.sd) for v in p.outcome_values("pain")}
    assert vas[("lysis", 120)] == (1.5, 1.4) and vas[("placebo", 12)] == (2.8, 1.5)
    assert [a.data for a in p.protocol.analyses] == ["responders"] * 3 + ["arm_means"] * 4
    assert {a.measure for a in p.protocol.analyses} == {"RR", "MD"}


def test_team_instruments_travel_with_the_project(tmp_path: Path) -> None:
    d = _copy_seed(tmp_path)
    (d / "instruments").mkdir()
    text = "id: team-check\nname: Team checklist\nscoring: sum\nanswers: numeric\n"
    text += "accepts_total: true\nclasses:\n  - {label: high, min: 0}\n"
    (d / "instruments" / "team-check.yaml").write_text(text)
    save_project(load_project(d), tmp_path / "out")
    assert (tmp_path / "out" / "instruments" / "team-check.yaml").read_text() == text


def test_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    d = _copy_seed(tmp_path)
    lines = (d / "review.yaml").read_text().splitlines()
    idx = next(i for i, line in enumerate(lines) if line.startswith("timepoints_months"))
    lines[idx] = "timepoints_months: [3, 6, 12"
    (d / "review.yaml").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="invalid YAML") as e:
        load_project(d)
    assert e.value.row is not None and abs(e.value.row - (idx + 1)) <= 1
