"""The methods check names each departure from current guidance with the numbers behind it.

References: Cochrane Handbook 6.4 (I2 of 75-100 % is "considerable"; random effects or no pooling),
Sterne et al. BMJ 2011 (funnel tests need 10 studies), metafor 3.8.1 / R's pchisq for the
chi-squared p-values (reference/metafor/review_seed_models.json).
"""

from __future__ import annotations

import json
from typing import Any

from helpers import REFERENCE


def _by_code(seed_run: Any) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for f in seed_run.findings:
        out.setdefault(f.code, []).append(f)
    return out


def test_fixed_effect_at_considerable_heterogeneity(seed_run: Any) -> None:
    [f] = _by_code(seed_run)["fixed-effect-at-high-heterogeneity"]
    assert f.severity == "departure"
    # 2B, 3A, 3B have I2 of 92.5, 98.6 and 96.0 %; 2A (I2 = 0) is not named.
    assert f.analyses == ("fig2b", "fig3a", "fig3b")
    assert "I² up to 98.6 %" in f.title
    for text in ("I² = 92.5 %", "I² = 98.6 %", "I² = 96.0 %"):
        assert text in f.detail


def test_random_effects_changes_3a_and_3b(seed_run: Any) -> None:
    found = _by_code(seed_run)["random-effects-changes-result"]
    assert [f.analyses for f in found] == [("fig3a",), ("fig3b",)]
    assert "2.63 (95 % CI 1.50 to 3.76)" in found[0].detail
    assert "2.01 (95 % CI 1.90 to 2.12)" in found[0].detail


def test_single_arm_differences_flagged(seed_run: Any) -> None:
    [f] = _by_code(seed_run)["single-arm-before-after"]
    assert f.severity == "departure"
    assert f.analyses == ("fig2a", "fig2b", "fig3a", "fig3b")


def test_few_studies_and_egger(seed_run: Any) -> None:
    codes = _by_code(seed_run)
    [few] = codes["few-studies"]
    assert few.analyses == ("fig2b", "fig3b")  # k = 2
    [egger] = codes["egger-not-applicable"]
    assert "at most 5 studies" in egger.title  # k < 10 everywhere
    assert egger.analyses == ("fig2a", "fig2b", "fig3a", "fig3b")


def test_printed_q_and_p_of_fig2a_disagree(seed_run: Any) -> None:
    ref = json.loads((REFERENCE / "metafor" / "review_seed_models.json").read_text())["chisq"]
    [f] = _by_code(seed_run)["printed-q-p-inconsistent"]
    assert f.analyses == ("fig2a",)
    # R: pchisq(3.906, 4, lower.tail = FALSE) and qchisq(0.433, 4, lower.tail = FALSE)
    assert f"gives p = {ref['p_of_printed_Q_2a']:.3f}" in f.detail  # 0.419
    assert f"belongs to Q = {ref['Q_of_printed_p_2a']:.2f}" in f.detail  # 3.81
    assert "Q = 3.80" in f.detail  # recomputed from the printed inputs


def test_departures_come_first(seed_run: Any) -> None:
    order = {"departure": 0, "caution": 1, "note": 2}
    ranks = [order[f.severity] for f in seed_run.findings]
    assert ranks == sorted(ranks)


def test_consistent_printed_statistics_raise_nothing(seed_run: Any) -> None:
    from evsynth.review.methods_check import PrintedHeterogeneity, printed_consistency_rule

    # Q = 3.80 on 4 df has p = 0.434 (R: pchisq(3.8, 4, lower.tail = FALSE) = 0.4338).
    ok = PrintedHeterogeneity("fig2a", 3.80, 4, 0.434)
    assert printed_consistency_rule(seed_run.analyses, [ok]) == []


def test_single_study_analyses_say_nothing_is_pooled(two_arm_run: Any) -> None:
    codes = {f.code for f in two_arm_run.findings}
    assert "single-study" in codes
    assert "random-effects-changes-result" not in codes
    assert all(a.fixed.k == 1 for a in two_arm_run.analyses)


def test_no_single_study_explains_the_12_month_heterogeneity(seed_run: Any) -> None:
    [f] = _by_code(seed_run)["heterogeneity-not-one-study"]
    assert f.analyses == ("fig3a",)
    # metafor leave1out(REML): I2 96.79 (without Moon 2017) to 99.27 % (without Park 2018);
    # estimates 2.12 to 2.95.
    assert "I² stays between 96.8 and 99.3 %" in f.detail
    assert "ranges from 2.12 to 2.95" in f.detail
    assert "one-study-explains-heterogeneity" not in _by_code(seed_run)
