"""Cohen's kappa against worked examples with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from evsynth.records.screening import ScreeningLog
from evsynth.records.screening.agreement import cohen_kappa, kappa


def test_two_by_two_worked_example() -> None:
    # The standard worked example (Wikipedia "Cohen's kappa"): 50 items, both yes 20, both no 15,
    # A yes/B no 5, A no/B yes 10. po = 0.70, pe = 0.5*0.6 + 0.5*0.4 = 0.50, kappa = 0.40.
    a = ["include"] * 25 + ["exclude"] * 25
    b = ["include"] * 20 + ["exclude"] * 5 + ["include"] * 10 + ["exclude"] * 15
    result = cohen_kappa(a, b, categories=("include", "exclude"))
    assert result.observed == pytest.approx(0.70, abs=1e-15)
    assert result.expected == pytest.approx(0.50, abs=1e-15)
    assert result.kappa == pytest.approx(0.40, abs=1e-15)
    # Cohen (1960) large-sample SE: sqrt(0.7 * 0.3 / (50 * 0.25)).
    assert result.se == pytest.approx(math.sqrt(0.21 / 12.5), rel=1e-14)
    assert result.label == "fair"
    assert result.table == ((20, 5), (10, 15))


def test_three_categories_agree_with_scikit_learn() -> None:
    rng = np.random.default_rng(7)
    a = rng.choice(["include", "exclude", "maybe"], size=200, p=[0.2, 0.7, 0.1])
    flip = rng.random(200) < 0.25
    b = np.where(flip, rng.choice(["include", "exclude", "maybe"], size=200), a)
    ours = cohen_kappa(list(a), list(b)).kappa
    assert ours == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)


def test_undefined_when_one_category_only() -> None:
    result = cohen_kappa(["exclude"] * 5, ["exclude"] * 5)
    assert math.isnan(result.kappa)
    assert result.percent_agreement == 100.0
    assert result.to_dict()["kappa"] is None


def test_kappa_per_stage_from_the_log() -> None:
    log = ScreeningLog()
    a = ["include"] * 25 + ["exclude"] * 25
    b = ["include"] * 20 + ["exclude"] * 5 + ["include"] * 10 + ["exclude"] * 15
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        log.decide(f"r{i}", "title_abstract", "ann", x)
        log.decide(f"r{i}", "title_abstract", "bob", y)
    log.decide("solo", "title_abstract", "ann", "include")  # screened once: not counted
    result = kappa(log, "title_abstract")
    assert result.overall.n == 50
    assert result.overall.kappa == pytest.approx(0.40, abs=1e-15)
    ((r1, r2, pair),) = result.pairs
    assert (r1, r2, pair.n) == ("ann", "bob", 50)
    assert "kappa 0.400" in result.summary()
