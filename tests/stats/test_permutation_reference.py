"""Permutation tests against metafor 3.8.1's permutest() (reference/metafor/resample_permutest.R).

Exact tests: the p-values (each coefficient and the omnibus QMp) agree to 1e-9, and for sign
flips the whole permutation distribution agrees permutation by permutation in metafor's order.
Random tests depend on R's random numbers, so only what does not is compared: the observed
statistics, the number of permutations and the exact count metafor reports.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import numpy as np
import pytest

from evsynth.stats.models import rma
from evsynth.stats.resampling.permutation import distinct_row_orders, permutation_test
from helpers import REFERENCE

pytestmark = pytest.mark.reference

PATH = REFERENCE / "metafor" / "resample_permutest.json"


@cache
def _data() -> dict[str, Any]:
    out: dict[str, Any] = json.loads(PATH.read_text())
    return out


def _model(case: dict[str, Any]) -> Any:
    d = _data()
    rows = np.asarray(case["rows"])
    col = {name: np.asarray(d[name])[rows] for name in ("ablat", "year", "alloc")}
    mods = {
        None: None,
        "~ ablat": {"ablat": col["ablat"]},
        "~ factor(alloc)": {"alloc": col["alloc"]},
        "~ ablat + year": {"ablat": col["ablat"], "year": col["year"]},
    }[case.get("mods") or None]  # jsonlite writes NULL as {}
    yi, vi = np.asarray(d["yi"])[rows], np.asarray(d["vi"])[rows]
    return rma(yi, vi, method=case["method"], test=case["test"], mods=mods)


def _cases(exact: bool) -> list[dict[str, Any]]:
    return [c for c in _data()["cases"] if c["exact"] is exact]


@pytest.mark.parametrize("case", _cases(True), ids=lambda c: c["label"])
def test_exact_p_values_equal_metafor(case: dict[str, Any]) -> None:
    pt = permutation_test(_model(case), exact=True)
    assert pt.exact and pt.permutations == case["exact_iter"]
    # p-values are counts over permutations: equal up to the division (1e-9 is generous);
    # this includes metafor's rule of leaving out fits that do not converge (bcg7 ablat REML).
    np.testing.assert_allclose(pt.coef_p_values, np.atleast_1d(case["pval"]), rtol=0, atol=1e-9)
    assert pt.QM_p == pytest.approx(case["QMp"], abs=1e-9)
    np.testing.assert_allclose(pt.statistic, np.atleast_1d(case["zval"]), rtol=1e-9)
    if "zval_perm" in case:
        # same sign vectors in the same order; statistics within 1e-9 (measured: 4e-14)
        np.testing.assert_allclose(pt.statistic_perm[:, 0], case["zval_perm"], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(
            pt.coefficients_perm[:, 0], case["beta_perm"], rtol=1e-9, atol=1e-12
        )
        np.testing.assert_allclose(pt.QM_perm, case["QM_perm"], rtol=1e-9, atol=1e-9)
    else:
        for j, expected in enumerate(case["zval_perm_sorted"]):
            got = np.sort(pt.statistic_perm[:, j][np.isfinite(pt.statistic_perm[:, j])])
            np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_nonconverged_permutations_are_dropped_as_metafor_does() -> None:
    case = next(c for c in _cases(True) if c["label"] == "bcg7 ablat REML z exact")
    pt = permutation_test(_model(case), exact=True)
    assert pt.used == 2519 and pt.permutations == 2520
    kept = permutation_test(_model(case), exact=True, nonconverged="keep")
    assert kept.used == 2520


@pytest.mark.parametrize("case", _cases(False), ids=lambda c: c["label"])
def test_random_tests_report_what_metafor_reports(case: dict[str, Any]) -> None:
    res = _model(case)
    pt = permutation_test(res, iterations=case["permutations"], seed=20260101)
    assert not pt.exact and pt.permutations == case["permutations"]
    assert pt.exact_count == pytest.approx(case["exact_iter"])
    np.testing.assert_allclose(pt.statistic, np.atleast_1d(case["zval"]), rtol=1e-9)
    assert pytest.approx(case["QM"], rel=1e-9) == pt.QM
    # the observed data is the first permutation, so no p-value is below 1/iterations
    assert pt.coef_p_values.min() >= 1 / case["permutations"]
    # deterministic with a seed; another seed gives another draw
    again = permutation_test(res, iterations=case["permutations"], seed=20260101)
    np.testing.assert_array_equal(again.statistic_perm, pt.statistic_perm)


def test_random_p_value_is_near_the_exact_one() -> None:
    """2,000 random sign flips estimate the exact p (binomial SE ~ 0.011 at p = 0.3)."""
    d = _data()
    y = np.asarray(d["yi"])[:10]
    res = rma(y - y.mean() + 0.1, np.asarray(d["vi"])[:10], method="REML")
    exact = permutation_test(res, exact=True)
    approx = permutation_test(res, iterations=2000, seed=5)
    assert 0.05 < exact.p_value < 0.95
    assert approx.p_value == pytest.approx(exact.p_value, abs=4 * 0.011)


def test_distinct_row_orders_count_the_multiset_permutations() -> None:
    orders = distinct_row_orders(np.array([0, 1, 0, 2, 1]))
    assert orders.shape == (30, 5)  # 5! / (2! 2! 1!)
    types = np.array([0, 1, 0, 2, 1])[orders]
    assert len({tuple(t) for t in types.tolist()}) == 30
    assert all(sorted(o) == list(range(5)) for o in orders.tolist())


def test_exact_count_beyond_float_range_is_infinite() -> None:
    rng = np.random.default_rng(1)
    k = 1100
    res = rma(rng.normal(size=k), rng.uniform(0.1, 0.2, k), method="DL")
    pt = permutation_test(res, iterations=20, seed=1)
    assert pt.exact_count == float("inf") and pt.to_dict()["exact_count"] is None
    assert pt.permutations == 20


def test_observed_model_that_metafor_cannot_fit_counts_every_permutation() -> None:
    """metafor's rma stops on these data (Fisher scoring does not converge); the engine falls
    back, and the permutation test then counts every sign flip and says so."""
    res = rma([0.0, 0.0, 0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0, 0.125], method="REML")
    pt = permutation_test(res, exact=True)
    assert pt.used == 32 and pt.nonconverged == "keep"
    assert 1 / 32 <= pt.p_value <= 1
    assert "did not converge for the observed data" in pt.warnings[0]
    bcg7 = next(c for c in _cases(True) if c["label"] == "bcg7 ablat REML z exact")
    assert (
        "1 of 2520 permutations were left out"
        in permutation_test(_model(bcg7), exact=True).warnings[0]
    )
