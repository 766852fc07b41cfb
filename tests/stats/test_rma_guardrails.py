"""Argument checks, guardrail warnings, non-convergence fallback and the result's views."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from evsynth.errors import InputError
from evsynth.stats.models import confint, rma
from evsynth.stats.results import JSON_FIELDS
from helpers import REFERENCE

# dat.bcg log risk ratios (metafor's escalc, measure RR)
BCG = json.loads((REFERENCE / "metafor" / "rma_regression.json").read_text())
YI, VI = np.array(BCG["yi"]), np.array(BCG["vi"])


# ---------------------------------------------------------------- parameters checked on arrival
def test_invalid_method_names_value_and_choices() -> None:
    with pytest.raises(InputError) as err:
        rma(YI, VI, method="REMLL")
    assert str(err.value) == (
        "column 'method': Invalid method 'REMLL'; expected one of FE, EE, CE, DL, HE, HS, SJ, ML, "
        "REML, EB, PM"
    )


def test_invalid_test() -> None:
    with pytest.raises(InputError, match="Invalid test 't2'; expected one of z, knha"):
        rma(YI, VI, test="t2")


@pytest.mark.parametrize("level", [0, 100, 120, -5, "high"])
def test_invalid_level(level: object) -> None:
    with pytest.raises(InputError, match="Invalid level"):
        rma(YI, VI, level=level)  # type: ignore[arg-type]


def test_level_as_proportion_means_percent() -> None:
    assert rma(YI, VI, level=0.9).ci_lower == rma(YI, VI, level=90).ci_lower


@pytest.mark.parametrize("bad", [0.0, -0.1])
def test_non_positive_variance_rejected(bad: float) -> None:
    vi = VI.copy()
    vi[3] = bad
    with pytest.raises(InputError, match="'vi' must be positive; study 4 has"):
        rma(YI, vi)


def test_lengths_must_match() -> None:
    with pytest.raises(InputError, match="'yi' has 13 values but 'vi' has 12"):
        rma(YI, VI[:-1])


def test_missing_value_rejected() -> None:
    yi = YI.copy()
    yi[0] = np.nan
    with pytest.raises(InputError, match="'yi' has a missing or non-finite value at position 1"):
        rma(yi, VI)


def test_text_rejected() -> None:
    with pytest.raises(InputError, match="'yi' must contain numbers only"):
        rma(["a", "b"], [1, 1])


def test_needs_variances() -> None:
    with pytest.raises(InputError, match="Give the sampling variances"):
        rma(YI)


def test_sei_is_the_square_root_of_vi() -> None:
    assert rma(YI, sei=np.sqrt(VI)).estimate == pytest.approx(rma(YI, VI).estimate, rel=1e-14)


def test_too_many_coefficients() -> None:
    with pytest.raises(InputError, match="2 coefficient"):
        rma(YI[:2], VI[:2], mods=[1.0, 2.0])


def test_ee_and_ce_are_fe() -> None:
    fe = rma(YI, VI, method="FE")
    for name in ("EE", "CE", "fe"):
        assert rma(YI, VI, method=name).estimate == fe.estimate


# ---------------------------------------------------------------- guardrails
def test_fixed_effect_with_high_i2_names_the_random_effects_estimate() -> None:
    res = rma(YI, VI, method="FE", measure="RR")
    re = rma(YI, VI, method="REML", measure="RR")
    (msg,) = [w for w in res.warnings if "fixed-effect model was chosen" in w]
    assert "I^2 = 92.1%" in msg  # metafor: I^2 = 92.12% for the FE fit of dat.bcg
    # the REML pooled risk ratio of dat.bcg is exp(-0.7145) = 0.4894 (metafor)
    assert f"{math.exp(re.estimate):.4g}" in msg


def test_few_studies_without_knapp_hartung() -> None:
    res = rma(YI[:4], VI[:4], method="REML")
    assert any("Only 4 studies" in w and "knha" in w for w in res.warnings)
    assert not any("Only 4 studies" in w for w in rma(YI[:4], VI[:4], test="knha").warnings)


def test_single_study() -> None:
    res = rma(YI[:1], VI[:1])
    assert res.k == 1 and res.tau2 == 0.0 and res.estimate == YI[0]
    assert any("Only one study" in w for w in res.warnings)


def test_tau2_at_boundary() -> None:
    y = np.array([0.50, 0.52, 0.49, 0.51, 0.50, 0.48])
    v = np.array([0.10, 0.20, 0.15, 0.30, 0.12, 0.25])
    res = rma(y, v, method="DL")
    assert res.tau2 == 0.0
    assert any("boundary 0" in w for w in res.warnings)


NONCONV = json.loads((REFERENCE / "metafor" / "rma_nonconverge.json").read_text())


@pytest.mark.parametrize("case", NONCONV["cases"], ids=[c["method"] for c in NONCONV["cases"]])
def test_non_converging_fisher_scoring_falls_back(case: dict[str, object]) -> None:
    # metafor 3.8.1 stops with an error on these data; its remedy (step 0.5, 10000 iterations,
    # threshold 1e-10) converges. Our fallback maximises directly: 1e-6 relative to that.
    assert "did not converge" in str(case["default_error"])
    res = rma(NONCONV["yi"], NONCONV["vi"], method=str(case["method"]))
    assert res.tau2 == pytest.approx(case["tau2"], rel=1e-6)
    assert res.estimate == pytest.approx(case["estimate"], rel=1e-6)
    assert any("did not converge in 100 iterations" in w for w in res.warnings)


# ---------------------------------------------------------------- views of the result
def test_to_dict_has_the_cli_contract_fields() -> None:
    res = rma(YI, VI, measure="RR", slab=[f"Trial {i}" for i in range(13)])
    d = res.to_dict()
    for name in JSON_FIELDS:
        assert name in d
    assert d["studies"][0] == {
        "study": "Trial 0",
        "yi": YI[0],
        "vi": VI[0],
        "weight": pytest.approx(res.weights[0]),
    }
    assert sum(s["weight"] for s in d["studies"]) == pytest.approx(100.0)
    assert d["back_transformed"]["estimate"] == pytest.approx(math.exp(res.estimate))
    json.dumps(d, allow_nan=False)  # strictly valid JSON: NaN becomes null


def test_to_dict_without_back_transform_for_md() -> None:
    assert "back_transformed" not in rma(YI, VI, measure="MD").to_dict()


def test_summary_reads_like_metafor() -> None:
    text = rma(YI, VI, test="knha", measure="RR").summary()
    assert "Random-Effects Model (k = 13; method: REML" in text
    assert "Test for Heterogeneity: Q(df = 12) = 152.2330" in text  # metafor prints 152.2330
    assert "tval" in text and "Knapp-Hartung" in text


def test_to_frame_is_per_study() -> None:
    frame = rma(YI, VI).to_frame()
    assert list(frame.columns) == ["study", "yi", "vi", "sei", "ci_lower", "ci_upper", "weight"]
    assert len(frame) == 13


CONFINT = json.loads((REFERENCE / "metafor" / "rma_confint.json").read_text())


@pytest.mark.parametrize(
    "case",
    CONFINT["cases"],
    ids=[f"{c['method']}-{c['test']}-{c['level']}" for c in CONFINT["cases"]],
)
def test_confint_at_other_levels_matches_metafor(case: dict[str, Any]) -> None:
    res = rma(CONFINT["yi"], CONFINT["vi"], method=case["method"], test=case["test"])
    ci = confint(res, level=case["level"])
    # closed-form CIs of the coefficient: 1e-8; Q-profile limits replay R's root finder: 1e-5
    row = ci.coefficients.loc["intrcpt"]
    assert [row["ci_lower"], row["ci_upper"]] == pytest.approx(case["beta_ci"], rel=1e-8)
    if case["method"] == "FE":
        assert ci.tau2 is None
        return
    for ours, theirs in ((ci.tau2, "tau2_ci"), (ci.I2, "I2_ci"), (ci.H2, "H2_ci")):
        assert ours is not None
        assert [ours.ci_lower, ours.ci_upper] == pytest.approx(case[theirs], rel=1e-5, abs=1e-12)
    assert "tau^2" in ci.summary()


def test_rma_accepts_escalc_output_and_omits_inestimable_studies() -> None:
    from evsynth.stats.escalc import escalc

    # the second table has no events in either group: escalc(drop00=True) gives NA, and
    # metafor's rma leaves it out; the first and third tables are dat.bcg's trials 1 and 2
    es = escalc(
        "RR",
        ai=[4, 0, 6],
        bi=[119, 50, 300],
        ci=[11, 0, 29],
        di=[128, 50, 274],
        drop00=True,
        slab=["Aronson", "Empty", "Ferguson"],
    )
    res = rma(es, method="FE")
    assert res.k == 2
    assert res.measure == "RR"
    assert res.slab == ("Aronson", "Ferguson")
    assert any("(Empty) left out" in w for w in res.warnings)
    assert res.estimate == pytest.approx(rma(YI[:2], VI[:2], method="FE").estimate, rel=1e-12)


def test_plot_methods_delegate_to_the_report_figures() -> None:
    from matplotlib.figure import Figure

    res = rma(YI, VI, measure="RR", slab=[f"Trial {i}" for i in range(13)])
    forest = res.plot_forest()
    funnel = res.plot_funnel()
    assert isinstance(forest, Figure) and isinstance(funnel, Figure)
    texts = {t.get_text() for ax in forest.axes for t in ax.texts}
    assert {"Trial 0", "Trial 12"} <= texts  # one labelled row per study


def test_paule_mandel_search_is_widened_where_metafor_stops() -> None:
    from evsynth.stats.tau2 import q_statistic

    # mad(yi) = 0, so metafor searches tau^2 in [0, 100] only and stops with "Value of
    # 'tau2.max' too low"; the PM estimate solves Q(tau^2) = k - 1 far above 100.
    yi = np.array([0.0, 0.0, 0.0, 0.0, 1000.0])
    vi = np.full(5, 0.01)
    res = rma(yi, vi, method="PM")
    assert res.tau2 > 100.0
    q = q_statistic(res.tau2, yi, vi, np.ones((5, 1)))
    assert q == pytest.approx(4.0, rel=1e-3)  # R's uniroot tolerance on tau^2 (1.2e-4)
    assert any("widened" in w for w in res.warnings)


def test_meta_regression_summary_uses_residual_wording() -> None:
    res = rma(YI, VI, mods={"ablat": BCG["ablat"]})
    text = res.summary()
    assert "Mixed-Effects Model (k = 13; method: REML" in text
    assert "tau^2 (estimated amount of residual heterogeneity)" in text
    assert "Test for Residual Heterogeneity: QE(df = 11)" in text
    assert "meta-regression on ablat" in res.methods_sentence()


def test_results_are_hashable_and_compare_by_identity() -> None:
    a, b = rma(YI, VI), rma(YI, VI)
    assert a == a and a != b  # no ambiguous array comparison
    assert len({a, b}) == 2


def test_knapp_hartung_narrower_than_z_is_flagged() -> None:
    # homogeneous data: the Knapp-Hartung scale factor is far below 1
    y = np.array([0.50, 0.52, 0.49, 0.51, 0.50, 0.48])
    v = np.array([0.10, 0.20, 0.15, 0.30, 0.12, 0.25])
    knha = rma(y, v, method="DL", test="knha")
    z = rma(y, v, method="DL", test="z")
    assert knha.s2w < 1.0
    assert knha.ci_upper - knha.ci_lower < z.ci_upper - z.ci_lower
    (msg,) = [w for w in knha.warnings if "scale factor" in w]
    assert f"{z.ci_upper - z.ci_lower:.4g}" in msg
    # dat.bcg: s2w > 1, no such warning
    assert not any("scale factor" in w for w in rma(YI, VI, test="knha").warnings)


# ---------------------------------------------------------------- control (strict_optimum)
@pytest.mark.parametrize(
    ("control", "message"),
    [
        ({"threshold": 1e-8}, "Invalid control option 'threshold'; expected one of strict_optimum"),
        ({"strict_optimum": "yes"}, "Invalid control strict_optimum='yes'; expected True or False"),
        ([("strict_optimum", True)], "expected a dict such as {'strict_optimum': True}"),
    ],
)
def test_invalid_control_names_value_and_choices(control: Any, message: str) -> None:
    with pytest.raises(InputError) as err:
        rma(YI, VI, method="ML", control=control)
    assert message in str(err.value)
    assert err.value.column == "control"


def test_strict_optimum_on_ordinary_data_changes_only_the_last_digits() -> None:
    """dat.bcg: metafor's estimates are already at their optimum (within its stopping rules)
    and nothing new is said; closed-form estimators are untouched."""
    for method in ("ML", "REML", "EB", "PM"):
        a = rma(YI, VI, method=method)
        b = rma(YI, VI, method=method, control={"strict_optimum": True})
        # Fisher scoring stops within ~1e-5 relative of the optimum here; PM's uniroot within
        # its absolute tolerance 1.2e-4, i.e. 4e-4 relative at tau^2 = 0.32 (measured 8e-5)
        assert b.tau2 == pytest.approx(a.tau2, rel=1e-3 if method == "PM" else 1e-5), method
        assert b.warnings == a.warnings
        assert b.strict_optimum and not a.strict_optimum
    dl = rma(YI, VI, method="DL", control={"strict_optimum": True})
    assert dl.tau2 == rma(YI, VI, method="DL").tau2


def test_refits_keep_the_strict_setting() -> None:
    """The fixed-effect guardrail's REML refit follows the model's control setting."""
    res = rma(YI, VI, method="FE", control={"strict_optimum": True})
    assert res.strict_optimum
    assert any("random-effects model (REML) would give" in w for w in res.warnings)
