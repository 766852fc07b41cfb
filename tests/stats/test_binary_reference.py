"""Mantel-Haenszel and Peto models against metafor 3.8.1 (reference/metafor/rma_binary.R).

Tables: dat.bcg, dat.nielweise2007 (zero cells, one table without events), dat.yusuf1985 table 9
(many zero cells and double-zero tables), and constructed cases (single zeros, a double-zero
table, a table where every participant had the event, k = 2, k = 1).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from evsynth.errors import InputError
from evsynth.stats.binary import rma_mh, rma_peto
from helpers import REFERENCE

CASES: list[dict[str, Any]] = json.loads((REFERENCE / "metafor" / "rma_binary.json").read_text())[
    "cases"
]
FIELDS = ["estimate", "se", "ci_lower", "ci_upper", "statistic", "p_value", "I2", "H2", "Q", "Q_p"]


def _vec(x: Any) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in np.atleast_1d(x).tolist()], dtype=float)


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c['dataset']}-{c['method']}-{c['measure']}" for c in CASES]
)
def test_binary_matches_metafor(case: dict[str, Any]) -> None:
    cells = [_vec(case[n]) for n in ("ai", "bi", "ci", "di")]
    is_mh = case["method"] == "MH"
    res = rma_mh(*cells, measure=case["measure"]) if is_mh else rma_peto(*cells)
    # closed forms: the same arithmetic as metafor, 1e-8 relative
    for name in FIELDS:
        expected = case[name]
        actual = getattr(res, name)
        if expected is None:
            assert math.isnan(actual), name
        else:
            assert actual == pytest.approx(expected, rel=1e-8, abs=1e-14), name
    assert res.k == case["k"]
    assert res.Q_df == case["Q_df"]
    assert res.tau2 == 0.0
    np.testing.assert_allclose(res.weights, _vec(case["weights"]), rtol=1e-8)
    np.testing.assert_allclose(res.yi, _vec(case["yi"]), rtol=1e-8)
    np.testing.assert_allclose(res.vi, _vec(case["vi"]), rtol=1e-8)
    # a fixed-effect model: the prediction interval is the confidence interval
    assert (res.pi_lower, res.pi_upper) == (res.ci_lower, res.ci_upper)


def test_mh_rejects_unknown_measure() -> None:
    with pytest.raises(InputError, match="Invalid measure 'SMD' for Mantel-Haenszel"):
        rma_mh([1], [2], [3], [4], measure="SMD")


def test_mh_rejects_events_above_group_size() -> None:
    with pytest.raises(InputError):
        rma_mh([5, 1], None, [1, 1], None, n1i=[4, 10], n2i=[10, 10])


def test_double_zero_tables_are_reported() -> None:
    res = rma_mh([0, 3, 2], [10, 7, 8], [0, 1, 4], [10, 9, 6])
    assert res.Q_df == 1
    assert any("no events" in w for w in res.warnings)


OR_CASES = [c for c in CASES if c["method"] == "MH" and c["measure"] == "OR"]


@pytest.mark.parametrize("case", OR_CASES, ids=[c["dataset"] for c in OR_CASES])
def test_cmh_and_tarone_tests_match_metafor(case: dict[str, Any]) -> None:
    res = rma_mh(*[_vec(case[n]) for n in ("ai", "bi", "ci", "di")], measure="OR")
    tests = {t.name: t for t in res.extra_tests}
    cmh = tests["Cochran-Mantel-Haenszel test"]
    # closed forms: 1e-8 relative
    assert cmh.statistic == pytest.approx(case["CMH"], rel=1e-8)
    assert cmh.df == 1
    if case["TAp"] is None:  # one informative table: metafor gives no p-value, we omit the test
        assert "Tarone's test for heterogeneity" not in tests
        return
    ta = tests["Tarone's test for heterogeneity"]
    assert ta.statistic == pytest.approx(case["TA"], rel=1e-8)
    assert ta.p_value == pytest.approx(case["TAp"], rel=1e-8)
    assert "Tarone" in res.summary()
    assert res.to_dict()["tests"][0]["name"] == "Cochran-Mantel-Haenszel test"
