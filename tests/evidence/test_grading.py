"""Grading by rules: every row and alternative of the seed's Table 1 (qualitative modified
approach, Manchikanti et al. 2014), built as evidence and checked for its level; and the seed's
own evidence gives Level II, as the paper concludes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evsynth.evidence.grading import EvidenceStudy, GradingRules, grade_evidence


def rct(name: str, quality: str, result: str | None = "positive") -> EvidenceStudy:
    return EvidenceStudy(name, "rct", quality, result)  # type: ignore[arg-type]


def obs(name: str, quality: str, result: str | None = "positive") -> EvidenceStudy:
    return EvidenceStudy(name, "nonrandomized", quality, result)  # type: ignore[arg-type]


SEED = [rct("Gerdesmeyer 2013", "high")] + [
    obs(n, "moderate") for n in ("Moon 2017", "Ji 2015", "Cho 2019", "Park 2018", "Choi 2017")
]

# (evidence, level, rule) for each alternative of Table 1 (effectiveness questions).
EFFECTIVENESS_CASES = [
    ("I: multiple high-quality RCTs", [rct("A", "high"), rct("B", "high")], "I", "I"),
    ("II: one high-quality RCT", [rct("A", "high")], "II", "II-a"),
    ("II: multiple moderate RCTs", [rct("A", "moderate"), rct("B", "moderate")], "II", "II-b"),
    ("II: multiple low RCTs", [rct("A", "low"), rct("B", "low")], "II", "II-b"),
    ("II: moderate and low RCTs", [rct("A", "moderate"), rct("B", "low")], "II", "II-b"),
    (
        "III: high observational with multiple moderate/low observational",
        [obs("A", "high"), obs("B", "moderate"), obs("C", "low")],
        "III",
        "III",
    ),
    (
        "IV: multiple moderate observational",
        [obs("A", "moderate"), obs("B", "moderate")],
        "IV",
        "IV",
    ),
    ("IV: multiple low observational", [obs("A", "low"), obs("B", "low")], "IV", "IV"),
    # One high-quality observational study with only one other: not III's "multiple"; IV applies.
    ("IV: high + one moderate observational", [obs("A", "high"), obs("B", "moderate")], "IV", "IV"),
    ("V: one moderate observational study", [obs("A", "moderate")], "V", "V"),
    ("V: one moderate RCT", [rct("A", "moderate")], "V", "V"),
    ("V: no studies", [], "V", "V"),
]


@pytest.mark.parametrize(
    ("evidence", "level", "rule"),
    [c[1:] for c in EFFECTIVENESS_CASES],
    ids=[c[0] for c in EFFECTIVENESS_CASES],
)
def test_effectiveness_rows_of_table_1(
    evidence: list[EvidenceStudy], level: str, rule: str
) -> None:
    g = grade_evidence(evidence)
    assert (g.level, g.rule) == (level, rule)
    assert g.label == {"I": "strong", "II": "moderate", "III": "fair", "IV": "limited",
                       "V": "consensus based"}[level]  # fmt: skip


OTHER_CASES = [
    ("I: multiple (3) high observational", [obs(x, "high") for x in "ABC"], "I", "I-other"),
    ("II: at least 2 high observational", [obs("A", "high"), obs("B", "high")], "II", "II-other"),
    ("III: one high observational", [obs("A", "high")], "III", "III-other"),
    ("IV: moderate observational", [obs("A", "moderate"), obs("B", "moderate")], "IV", "IV-other"),
    ("V: only low-quality observational", [obs("A", "low")], "V", "V"),
]


@pytest.mark.parametrize(
    ("evidence", "level", "rule"), [c[1:] for c in OTHER_CASES], ids=[c[0] for c in OTHER_CASES]
)
def test_other_measures_rows_of_table_1(
    evidence: list[EvidenceStudy], level: str, rule: str
) -> None:
    g = grade_evidence(evidence, question="other")
    assert (g.level, g.rule) == (level, rule)


def test_level_i_other_threshold_is_a_setting() -> None:
    two_high = [obs("A", "high"), obs("B", "high")]
    assert grade_evidence(two_high, question="other").level == "II"
    rules = GradingRules(level_i_other_min=2)
    assert grade_evidence(two_high, question="other", rules=rules).level == "I"


def test_seed_evidence_is_level_ii_with_named_studies() -> None:
    g = grade_evidence(SEED)
    assert g.level == "II"
    assert g.label == "moderate"
    assert g.deciding == ("Gerdesmeyer 2013",)
    assert "Gerdesmeyer 2013" in g.rationale
    assert "5 moderate-quality nonrandomized studies" in g.rationale
    assert "Not Level I" in g.rationale
    assert not g.conflicting


def test_better_studies_never_lower_the_level() -> None:
    # Replacing any study by a higher-quality one, or an observational study by an RCT of the
    # same quality, never gives a weaker level.
    order = ["I", "II", "III", "IV", "V"]
    base = [obs("A", "moderate"), obs("B", "low"), obs("C", "moderate")]
    base_level = order.index(grade_evidence(base).level)
    for i in range(len(base)):
        for better in (obs(base[i].study, "high"), rct(base[i].study, base[i].quality)):
            changed = [*base[:i], better, *base[i + 1 :]]
            assert order.index(grade_evidence(changed).level) <= base_level


def test_negative_studies_do_not_support_and_conflict_is_flagged() -> None:
    g = grade_evidence(
        [rct("A", "high"), rct("B", "high", "negative"), rct("C", "high", "negative")]
    )
    assert g.level == "II"  # only A supports
    assert g.opposing == ("B", "C")
    assert g.conflicting
    assert "Conflicting evidence" in g.rationale
    weak_negative = grade_evidence([rct("A", "high"), obs("B", "low", "negative")])
    assert not weak_negative.conflicting


def test_all_negative_grades_lack_of_effectiveness() -> None:
    g = grade_evidence([rct("A", "high", "negative"), rct("B", "high", "negative")])
    assert (g.level, g.direction) == ("I", "negative")
    assert "lack of effectiveness" in g.rationale


def test_missing_direction_is_counted_as_supporting_and_said() -> None:
    g = grade_evidence([rct("A", "high", None)])
    assert g.level == "II"
    assert any("counted as supporting" in n for n in g.notes)


_ORDER = ["I", "II", "III", "IV", "V"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["rct", "nonrandomized"]), st.sampled_from(["high", "moderate", "low"])
        ),
        max_size=6,
    ),
    st.sampled_from(["rct", "nonrandomized"]),
    st.sampled_from(["high", "moderate", "low"]),
    st.sampled_from(["effectiveness", "other"]),
)
def test_adding_a_supporting_study_never_lowers_the_level(
    base: list[tuple[str, str]], design: str, quality: str, question: str
) -> None:
    studies = [EvidenceStudy(f"s{i}", d, q, "positive") for i, (d, q) in enumerate(base)]  # type: ignore[arg-type]
    before = grade_evidence(studies, question=question)  # type: ignore[arg-type]
    extra = EvidenceStudy("new", design, quality, "positive")  # type: ignore[arg-type]
    after = grade_evidence([*studies, extra], question=question)  # type: ignore[arg-type]
    assert _ORDER.index(after.level) <= _ORDER.index(before.level)
