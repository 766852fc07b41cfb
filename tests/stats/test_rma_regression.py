"""Meta-regression, predict, anova and subgroups against metafor 3.8.1.

Reference: reference/metafor/rma_regression.R on dat.bcg (log risk ratios) with absolute latitude
and year as numeric moderators, and allocation as a categorical one.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from evsynth.stats.models import rma
from evsynth.stats.regression import anova, lrt, predict, subgroups, subgroups_2x2
from helpers import REFERENCE

REF: dict[str, Any] = json.loads((REFERENCE / "metafor" / "rma_regression.json").read_text())
YI = np.array(REF["yi"])
VI = np.array(REF["vi"])
CLOSED = {"FE", "DL", "HE", "HS", "SJ"}


def _rtol(method: str) -> float:
    # closed forms are metafor's arithmetic (1e-8); iterative estimators 1e-5 (see
    # test_rma_reference.py); with moderators both stay well inside these bounds.
    return 1e-8 if method in CLOSED else 1e-5


NUMERIC = [c for c in REF["cases"] if c["kind"] == "numeric"]
CATEGORICAL = [c for c in REF["cases"] if c["kind"] == "categorical"]


@pytest.mark.parametrize("case", NUMERIC, ids=[f"{c['method']}-{c['test']}" for c in NUMERIC])
def test_meta_regression_matches_metafor(case: dict[str, Any]) -> None:
    res = rma(
        YI,
        VI,
        mods={"ablat": REF["ablat"], "year": REF["year"]},
        method=case["method"],
        test=case["test"],
    )
    rtol = _rtol(case["method"])
    assert res.coef_names == ("intrcpt", "ablat", "year")
    for ours, theirs in (
        (res.coefficients, "beta"),
        (res.coef_se, "se"),
        (res.coef_statistic, "zval"),
        (res.coef_p, "pval"),
        (res.coef_ci_lower, "ci_lb"),
        (res.coef_ci_upper, "ci_ub"),
    ):
        np.testing.assert_allclose(ours, case[theirs], rtol=rtol, err_msg=theirs)
    np.testing.assert_allclose(res.vcov.ravel(order="F"), case["vb"], rtol=rtol)
    for ours_name, theirs in (
        ("tau2", "tau2"),
        ("I2", "I2"),
        ("H2", "H2"),
        ("Q", "QE"),
        ("Q_p", "QEp"),
        ("QM", "QM"),
        ("QM_p", "QMp"),
    ):
        assert getattr(res, ours_name) == pytest.approx(case[theirs], rel=rtol, abs=1e-12), theirs
    if case["R2"] is not None:
        assert pytest.approx(case["R2"], rel=rtol, abs=1e-10) == res.R2
    pr = predict(res, np.array(case["newmods"]))
    for ours, theirs in (
        (pr.pred, "pred"),
        (pr.se, "pred_se"),
        (pr.ci_lower, "pred_ci_lb"),
        (pr.ci_upper, "pred_ci_ub"),
        (pr.pi_lower, "pred_pi_lb"),
        (pr.pi_upper, "pred_pi_ub"),
    ):
        np.testing.assert_allclose(ours, case[theirs], rtol=rtol, err_msg=theirs)
    # metafor's btt = 3 is the third coefficient (year): position 2 here
    wt = anova(res, [case["anova_btt"] - 1])
    assert wt.statistic == pytest.approx(case["anova_QM"], rel=rtol)
    assert wt.p_value == pytest.approx(case["anova_QMp"], rel=rtol)


@pytest.mark.parametrize(
    "case", CATEGORICAL, ids=[f"{c['method']}-{c['test']}" for c in CATEGORICAL]
)
def test_categorical_moderator_is_treatment_coded(case: dict[str, Any]) -> None:
    res = rma(
        YI,
        VI,
        mods=pd.DataFrame({"alloc": case["alloc"]}),
        method=case["method"],
        test=case["test"],
    )
    assert list(res.coef_names) == case["coef_names"]
    rtol = _rtol(case["method"])
    np.testing.assert_allclose(res.coefficients, case["beta"], rtol=rtol)
    np.testing.assert_allclose(res.coef_se, case["se"], rtol=rtol)
    assert pytest.approx(case["QM"], rel=rtol) == res.QM
    assert res.QM_p == pytest.approx(case["QMp"], rel=rtol)
    assert pytest.approx(case["QE"], rel=rtol) == res.Q
    assert pytest.approx(case["R2"], rel=rtol, abs=1e-10) == res.R2


@pytest.mark.parametrize("case", REF["subgroups"], ids=[c["method"] for c in REF["subgroups"]])
def test_subgroups_match_separate_metafor_fits(case: dict[str, Any]) -> None:
    sg = subgroups(YI, VI, REF["alloc"], method=case["method"])
    assert list(sg.levels) == case["levels"]
    rtol = _rtol(case["method"])
    np.testing.assert_allclose([f.estimate for f in sg.fits], case["estimate"], rtol=rtol)
    np.testing.assert_allclose([f.se for f in sg.fits], case["se"], rtol=rtol)
    np.testing.assert_allclose([f.tau2 for f in sg.fits], case["tau2"], rtol=rtol, atol=1e-12)
    assert [f.k for f in sg.fits] == case["k"]
    assert sg.Q_between == pytest.approx(case["Q_between"], rel=rtol)
    assert sg.Q_between_df == case["Q_between_df"]
    assert sg.Q_between_p == pytest.approx(case["Q_between_p"], rel=rtol)
    frame = sg.to_frame()
    assert list(frame["subgroup"]) == [*case["levels"], "Overall"]
    assert "RevMan" in sg.summary()


def test_subgroup_moderator_model_is_metafors_qm() -> None:
    ref = next(c for c in CATEGORICAL if c["method"] == "REML" and c["test"] == "z")
    sg = subgroups(YI, VI, REF["alloc"], method="REML")
    assert pytest.approx(ref["QM"], rel=1e-5) == sg.QM
    assert sg.QM_p == pytest.approx(ref["QMp"], rel=1e-5)


@pytest.mark.parametrize("case", NUMERIC, ids=[f"{c['method']}-{c['test']}" for c in NUMERIC])
def test_fit_statistics_match_metafor(case: dict[str, Any]) -> None:
    res = rma(
        YI,
        VI,
        mods={"ablat": REF["ablat"], "year": REF["year"]},
        method=case["method"],
        test=case["test"],
    )
    rtol = _rtol(case["method"])
    assert res.fit_ml is not None and res.fit_reml is not None
    for ours, theirs in ((res.fit_ml, case["fit_ml"]), (res.fit_reml, case["fit_reml"])):
        got = [ours.loglik, ours.deviance, ours.AIC, ours.BIC, ours.AICc]
        np.testing.assert_allclose(got, theirs, rtol=rtol)


@pytest.mark.parametrize("case", REF["lrts"], ids=[c["method"] for c in REF["lrts"]])
def test_likelihood_ratio_test_matches_metafor(case: dict[str, Any]) -> None:
    full = rma(YI, VI, mods={"ablat": REF["ablat"], "year": REF["year"]}, method=case["method"])
    reduced = rma(YI, VI, mods={"ablat": REF["ablat"]}, method=case["method"])
    rtol = _rtol(case["method"])
    # the order of the arguments does not matter
    for test in (lrt(full, reduced), lrt(reduced, full)):
        assert pytest.approx(case["LRT"], rel=rtol) == test.LRT
        assert test.p_value == pytest.approx(case["pval"], rel=rtol)
        assert (test.parms_full, test.parms_reduced) == (case["parms_f"], case["parms_r"])
        assert test.loglik_full == pytest.approx(case["ll_f"], rel=rtol)
        assert test.loglik_reduced == pytest.approx(case["ll_r"], rel=rtol)
        assert test.AIC_full == pytest.approx(case["AIC_f"], rel=rtol)
        assert pytest.approx(case["R2"], rel=rtol) == test.R2
        assert test.QE_full == pytest.approx(case["QE_f"], rel=rtol)
    assert ("REML comparisons" in " ".join(lrt(full, reduced).warnings)) == (
        case["method"] == "REML"
    )


SUB2 = json.loads((REFERENCE / "metafor" / "rma_subgroups_2x2.json").read_text())


@pytest.mark.parametrize("case", SUB2["cases"], ids=[c["measure"] for c in SUB2["cases"]])
def test_subgroups_of_tables_match_metafor(case: dict[str, Any]) -> None:
    cells = [SUB2[n] for n in ("ai", "bi", "ci", "di")]
    peto = case["measure"] == "PETO"
    sg = subgroups_2x2(
        *cells,
        SUB2["alloc"],
        measure="OR" if peto else case["measure"],
        method="PETO" if peto else "MH",
    )
    assert list(sg.levels) == case["levels"]
    # closed forms throughout: 1e-8 relative
    np.testing.assert_allclose([f.estimate for f in sg.fits], case["estimate"], rtol=1e-8)
    np.testing.assert_allclose([f.se for f in sg.fits], case["se"], rtol=1e-8)
    assert sg.Q_between == pytest.approx(case["Q_between"], rel=1e-8)
    assert sg.Q_between_p == pytest.approx(case["Q_between_p"], rel=1e-8)
    assert sg.moderator_model is None
    assert "RevMan" in sg.summary()


def test_subgroup_forest_plot_has_a_row_per_subgroup() -> None:
    from matplotlib.figure import Figure

    sg = subgroups(YI, VI, REF["alloc"], method="REML", measure="RR")
    fig = sg.plot_forest()
    assert isinstance(fig, Figure)
    texts = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert any("alternate" in t for t in texts) and any("systematic" in t for t in texts)


def test_predictions_back_transform_to_risk_ratios() -> None:
    res = rma(YI, VI, mods={"ablat": REF["ablat"], "year": REF["year"]}, measure="RR")
    pr = predict(res, [[10, 1950], [55, 1980]])
    bt = pr.back_transformed()
    assert bt is not None
    np.testing.assert_allclose(bt["pred"], np.exp(pr.pred), rtol=1e-14)
    np.testing.assert_allclose(bt["pi_upper"], np.exp(pr.pi_upper), rtol=1e-14)
    assert predict(rma(YI, VI, measure="MD")).back_transformed() is None
