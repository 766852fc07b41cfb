"""Clinical relevance against the protocol's thresholds (seed 000, Methods 10: >= 50 % pain
relief or >= 3 points on 0-10, >= 30 % on disability; reference points 3, 6, 12 months;
short-term < 6 months)."""

from __future__ import annotations

from dataclasses import replace

from evsynth.evidence.project import load_example
from evsynth.evidence.protocol import Duration, OutcomeDefinition, Threshold
from evsynth.evidence.relevance import clinical_relevance, judge_outcome
from evsynth.evidence.study import OutcomeValue


def _by_study(name: str) -> dict[str, dict[float, str]]:
    return {r.study_id: r.by_timepoint for r in clinical_relevance(load_example(name))}


def test_seed_relevance_where_the_data_allow_it() -> None:
    r = _by_study("adhesiolysis-disc-herniation")
    # Gerdesmeyer: 58 % vs 17 %, 74 % vs 11 %, 90 % vs 35 % responders (Table 2).
    assert r["gerdesmeyer2013"] == {3.0: "positive", 6.0: "positive", 12.0: "positive"}
    # Moon: 4.6 points at 12 months (Fig. 3A) reaches the 3-point threshold.
    assert r["moon2017"][12.0] == "positive"
    # Ji: 72.2 % responders at 12 months.
    assert r["ji2015"][12.0] == "positive"
    # Cho: 2.7 points at 6 months is below 3 points, and without a baseline mean the 50 %
    # criterion cannot be checked: not assessable, never guessed.
    assert r["cho2019"][6.0] == "not assessable"
    assert r["choi2017"][12.0] == "no data"


def test_detail_names_reasons_and_authors_rating() -> None:
    rel = {x.study_id: x for x in clinical_relevance(load_example())}
    cho6 = rel["cho2019"].detail[6.0]
    assert "2.7 points, below 3 points" in cho6
    assert "no baseline mean" in cho6
    assert "the authors rate it positive" in cho6
    assert rel["gerdesmeyer2013"].period_rating("short-term") == "positive"
    assert rel["moon2017"].period_rating("long-term") == "positive"


def test_two_arm_example_percent_from_baseline() -> None:
    rel = {x.study_id: x for x in clinical_relevance(load_example("gerdesmeyer-two-arm"))}
    g = rel["gerdesmeyer2013"]
    assert g.by_timepoint[120.0] == "positive"
    # ODI 55.3 -> 9.6: (55.3 - 9.6) / 55.3 = 83 % >= 30 %, and more than placebo's 24.7 points.
    assert "improvement 83 % of baseline 55.3" in g.detail[12.0]


PAIN = OutcomeDefinition(
    id="pain",
    name="pain",
    thresholds=(
        Threshold(kind="percent_improvement", value=50),
        Threshold(kind="absolute_improvement", value=3),
    ),
)


def value(arm: str, baseline: float, follow: float) -> OutcomeValue:
    return OutcomeValue(
        study_id="s", arm=arm, outcome="pain", timepoint_months=6, baseline_mean=baseline,
        mean=follow,
    )  # fmt: skip


def test_any_and_all_threshold_rules() -> None:
    # 8 -> 5: 3 points (met), 37.5 % (not met).
    v = value("a", 8, 5)
    assert judge_outcome(v, PAIN).status == "positive"
    assert judge_outcome(v, PAIN.model_copy(update={"threshold_rule": "all"})).status == "negative"
    assert judge_outcome(value("a", 8, 6), PAIN).status == "negative"  # 2 points, 25 %


def test_control_arm_improving_as_much_is_negative() -> None:
    verdict = judge_outcome(value("a", 8, 3), PAIN, control=value("b", 8, 2))
    assert verdict.status == "negative"
    assert "not more than control" in verdict.reason


def test_short_long_boundary_is_a_setting() -> None:
    p = load_example()
    later = replace(
        p, protocol=p.protocol.model_copy(update={"duration": Duration(long_term_from_months=12)})
    )
    g = next(r for r in clinical_relevance(later) if r.study_id == "gerdesmeyer2013")
    assert [t.period for t in g.times] == ["short-term", "short-term", "long-term"]
