"""GRADE certainty: start high for randomized comparisons and low otherwise, rate down per domain
with a reason, up for a large effect; and summary-of-findings rows from the bundled examples."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from evsynth.evidence.certainty import (
    CertaintySettings,
    assess_certainty,
    certainty_for_analysis,
    effect_text,
)
from evsynth.evidence.project import load_example


@dataclass
class Fit:
    k: int
    estimate: float
    ci_lower: float
    ci_upper: float
    I2: float
    measure: str
    yi: Any
    vi: Any
    weights: Any
    slab: tuple[str, ...]


def fit(est: float, lo: float, hi: float, i2: float = 0.0, k: int = 3, measure: str = "MD") -> Fit:
    return Fit(k, est, lo, hi, i2, measure, np.full(k, est), np.ones(k), np.full(k, 100 / k),
               tuple(f"s{i}" for i in range(k)))  # fmt: skip


def domain(a: Any, name: str) -> tuple[int, str]:
    d = next(x for x in a.domains if x.domain == name)
    return d.change, d.reason


def test_randomized_high_quality_precise_stays_high() -> None:
    a = assess_certainty(fit(-5, -7, -3), outcome="pain", randomized=True,
                         study_quality=["high"] * 3, participants=600, mid=2)  # fmt: skip
    assert (a.start, a.certainty, a.reasons) == ("high", "high", ())


def test_each_domain_rates_down_with_a_reason() -> None:
    a = assess_certainty(
        fit(-1, -3, 0.5, i2=60), outcome="pain", randomized=True,
        study_quality=["moderate", "moderate", "high"], participants=120, mid=2,
        indirectness="population older than the question's",
    )  # fmt: skip
    assert domain(a, "risk of bias")[0] == -1
    assert domain(a, "inconsistency") == (-1, "I2 = 60 % (>= 50 %)")
    change, reason = domain(a, "imprecision")
    assert change == -2 and "includes no effect" in reason and "120 participants" in reason
    assert domain(a, "indirectness")[0] == -1
    assert a.certainty == "very low"  # high - 5, floored


def test_inconsistency_thresholds_and_direction() -> None:
    same_side = assess_certainty(fit(2, 1, 3, i2=80), outcome="x", randomized=True,
                                 study_quality=["high"] * 3, participants=900)  # fmt: skip
    assert domain(same_side, "inconsistency")[0] == -1
    f = fit(2, 1, 3, i2=80)
    f.yi = np.array([-1.0, 2.0, 3.0])
    both = assess_certainty(f, outcome="x", randomized=True, study_quality=["high"] * 3,
                            participants=900)  # fmt: skip
    assert domain(both, "inconsistency")[0] == -2
    single = assess_certainty(fit(2, 1, 3, k=1), outcome="x", randomized=True,
                              study_quality=["high"], participants=900)  # fmt: skip
    assert domain(single, "inconsistency")[0] == 0


def test_observational_large_effect_rates_up() -> None:
    # RR 6 (CI 3 to 12) from observational studies without concerns: low + 2 = high.
    f = fit(math.log(6), math.log(3), math.log(12), measure="RR")
    a = assess_certainty(f, outcome="x", randomized=False, study_quality=["high"] * 3, events=500)
    assert a.start == "low"
    assert domain(a, "large effect")[0] == 2
    assert a.certainty == "high"
    # Large effect is not considered once something was rated down.
    b = assess_certainty(f, outcome="x", randomized=False, study_quality=["high"] * 3, events=50)
    assert domain(b, "large effect")[0] == 0 and b.certainty == "very low"


def test_publication_bias_needs_ten_studies() -> None:
    few = assess_certainty(fit(1, 0.5, 1.5), outcome="x", randomized=True,
                           study_quality=["high"] * 3, participants=900, egger_p=0.01)  # fmt: skip
    assert domain(few, "publication bias")[0] == 0
    many = assess_certainty(
        fit(1, 0.5, 1.5, k=12), outcome="x", randomized=True, study_quality=["high"] * 12,
        participants=900, egger_p=0.01,
    )  # fmt: skip
    assert domain(many, "publication bias") == (-1, "Egger's test p = 0.010")
    lenient = CertaintySettings(publication_bias_p=0.005)
    assert assess_certainty(fit(1, 0.5, 1.5, k=12), outcome="x", randomized=True,
                            study_quality=["high"] * 12, participants=900, egger_p=0.01,
                            settings=lenient).certainty == "high"  # fmt: skip


def test_effect_text_back_transforms_ratios() -> None:
    f = fit(math.log(3.4667), math.log(1.69), math.log(7.13), measure="RR")
    assert effect_text(f) == "RR 3.47 (95% CI 1.69 to 7.13)"


def test_two_arm_example_summary_of_findings() -> None:
    from evsynth.stats.escalc import escalc
    from evsynth.stats.models import rma

    p = load_example("gerdesmeyer-two-arm")
    spec = next(a for a in p.protocol.analyses if a.id == "rr-3m")
    rows = {r.arm: r for r in p.outcome_values("responders", 3)}
    es = escalc("RR", ai=[rows["lysis"].responders], n1i=[rows["lysis"].n],
                ci=[rows["placebo"].responders], n2i=[rows["placebo"].n])  # fmt: skip
    res = rma(es.yi, es.vi, method="FE", slab=["Gerdesmeyer 2013"], measure="RR")
    assessment, row = certainty_for_analysis(p, spec, res)
    # RR = (26/45) / (7/42) = 3.467.
    assert math.exp(res.estimate) == pytest.approx((26 / 45) / (7 / 42), rel=1e-12)
    assert row.effect.startswith("RR 3.47 (95% CI")
    assert (row.studies, row.participants) == (1, 87)
    # One high-quality RCT: starts high, rated down once for imprecision (33 events < 300).
    assert assessment.start == "high"
    assert row.certainty == "moderate"
    assert row.reasons == ("imprecision: 33 events, below the optimal information size 300",)
    # Control risk 7/42 = 167 per 1000; with RR 3.467, 578 per 1000 (= 26/45 for one study).
    assert row.absolute_effect.startswith("167 per 1000 with control; 578 per 1000 (")


def test_corresponding_risk_for_odds_ratio() -> None:
    from evsynth.evidence.certainty import corresponding_risk

    # OR 2 at control risk 0.2: odds 0.25 -> 0.5 -> risk 1/3.
    assert corresponding_risk("OR", 2.0, 0.2) == pytest.approx(1 / 3)
    assert corresponding_risk("RR", 6.0, 0.2) == 1.0


def test_seed_single_arm_analysis_starts_low() -> None:
    from evsynth.stats.models import rma

    p = load_example()
    spec = next(a for a in p.protocol.analyses if a.id == "fig3a")
    rows = p.outcome_values("pain", 12)
    res = rma([r.yi for r in rows], sei=[r.sei for r in rows], method="REML",
              slab=[p.study(r.study_id).label for r in rows], measure="MC")  # fmt: skip
    assessment, row = certainty_for_analysis(p, spec, res)
    assert assessment.start == "low"
    assert row.certainty == "very low"
    assert row.reasons[0] == (
        "starts low: single-group change from baseline, not a randomized comparison"
    )
    assert any(r.startswith("inconsistency: I2 = 99 %") for r in row.reasons)
