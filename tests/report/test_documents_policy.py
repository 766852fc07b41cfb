"""The brief's draft criteria statement follows its stated rule.

Rule (evsynth.report.documents.policy): "may be considered medically necessary" needs Level I or
II resting on at least two randomized trials of high or moderate quality; otherwise
"investigational", the payer's standard in seed 001 ("evidence from large, well-designed
randomized controlled trials ... are necessary").
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from evsynth.report.documents.policy import criteria
from helpers import ROOT

SEED = ROOT / "src" / "evsynth" / "data" / "examples" / "adhesiolysis-disc-herniation"


@pytest.fixture(scope="module")
def seed_run() -> Any:
    from evsynth.evidence.project import load_project
    from evsynth.review.run import build_run

    return build_run(load_project(SEED))


def test_one_trial_is_investigational(seed_run: Any) -> None:
    status, statement, reason = criteria(seed_run, "Lysis of epidural adhesions")
    assert status == "investigational"
    assert statement.startswith("Lysis of epidural adhesions is considered investigational for")
    assert "a single randomized trial" in reason and "Level II" in reason


def test_two_good_trials_at_level_ii_may_be_medically_necessary(seed_run: Any) -> None:
    # Make Moon 2017 a randomized trial of moderate quality: two trials now support Level II.
    studies = tuple(
        dataclasses.replace(s, design="rct") if s.study_id == "moon2017" else s
        for s in seed_run.studies
    )
    run = dataclasses.replace(seed_run, studies=studies)
    status, statement, reason = criteria(run, "Lysis of epidural adhesions")
    assert status == "medically necessary"
    assert "may be considered medically necessary" in statement
    assert reason.startswith("2 randomized trials")


def test_low_quality_trials_do_not_count(seed_run: Any) -> None:
    studies = tuple(
        dataclasses.replace(s, design="rct") if s.study_id == "moon2017" else s
        for s in seed_run.studies
    )
    appraisals = tuple(
        dataclasses.replace(a, quality="low") if a.study_id == "moon2017" else a
        for a in seed_run.appraisals
    )
    run = dataclasses.replace(seed_run, studies=studies, appraisals=appraisals)
    assert criteria(run, "X")[0] == "investigational"


def test_level_iii_is_investigational_whatever_the_trials(seed_run: Any) -> None:
    studies = tuple(dataclasses.replace(s, design="rct") for s in seed_run.studies)
    evidence = dataclasses.replace(seed_run.evidence, level="III", label="fair")
    run = dataclasses.replace(seed_run, studies=studies, evidence=evidence)
    assert criteria(run, "X")[0] == "investigational"
