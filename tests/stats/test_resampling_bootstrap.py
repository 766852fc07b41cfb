"""Bootstrap intervals against R's boot package (reference/metafor/resample_bootstrap.R).

R drew 999 non-parametric replicates of the REML estimate and tau^2 of dat.bcg; given the same
replicates, evsynth's normal, percentile and BCa intervals equal boot.ci's, and its jackknife
influence values (from batched leave-one-out fits) equal boot's empinf(type = "jack").
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import numpy as np
import pytest

from evsynth.stats.models import rma
from evsynth.stats.resampling.bootstrap import (
    _jackknife,
    bca_interval,
    bootstrap,
    jackknife_influence,
    normal_interval,
    percentile_interval,
)
from helpers import REFERENCE

pytestmark = pytest.mark.reference

PATH = REFERENCE / "metafor" / "resample_bootstrap.json"


@cache
def _data() -> dict[str, Any]:
    out: dict[str, Any] = json.loads(PATH.read_text())
    return out


@pytest.mark.parametrize("case", _data()["stats"], ids=lambda s: f"{s['index']}-{s['conf']}")
def test_intervals_equal_boot_ci(case: dict[str, Any]) -> None:
    d = _data()
    j = case["index"]
    t = np.asarray(d["t_estimate" if j == 0 else "t_tau2"])
    t0 = d["t0"][j]
    level = 100 * case["conf"]
    # same replicates, same formulas: only rounding differs (measured 1e-15)
    np.testing.assert_allclose(normal_interval(t, t0, level), case["norm"], rtol=1e-12)
    np.testing.assert_allclose(percentile_interval(t, level), case["perc"], rtol=1e-12)
    L = np.asarray(case["L"])
    np.testing.assert_allclose(bca_interval(t, t0, L, level), case["bca"], rtol=1e-12)


def test_jackknife_influence_equals_boot_empinf() -> None:
    d = _data()
    res = rma(d["yi"], d["vi"], method="REML")
    assert [res.estimate, res.tau2] == pytest.approx(d["t0"], rel=1e-12)
    jack = _jackknife(res)
    for case in d["stats"]:
        j = case["index"]
        L = jackknife_influence(jack[:, j], [res.estimate, res.tau2][j])
        # leave-one-out REML fits agree with metafor's to ~1e-13; L scales them by k - 1
        np.testing.assert_allclose(L, case["L"], rtol=1e-9, atol=1e-11)


def test_bootstrap_is_deterministic_and_worker_independent() -> None:
    d = _data()
    res = rma(d["yi"], d["vi"], method="DL")
    a = bootstrap(res, replicates=300, seed=11)
    b = bootstrap(res, replicates=300, seed=11)
    np.testing.assert_array_equal(a.t_estimate, b.t_estimate)
    assert {iv.method for iv in a.intervals} == {"normal", "percentile", "bca"}
    c = bootstrap(res, replicates=300, seed=12)
    assert not np.array_equal(a.t_estimate, c.t_estimate)


def test_parametric_bootstrap_covers_the_truth_at_about_the_nominal_rate() -> None:
    """Simulated meta-analyses with known mu: 95% percentile intervals cover mu in most runs."""
    rng = np.random.default_rng(2)
    covered = 0
    runs = 40
    for _ in range(runs):
        v = rng.uniform(0.01, 0.1, 15)
        y = 0.5 + rng.normal(0, np.sqrt(v + 0.04))
        boot = bootstrap(rma(y, v, method="REML"), kind="parametric", replicates=400, seed=1)
        iv = boot.interval("estimate", "percentile")
        covered += iv.ci_lower <= 0.5 <= iv.ci_upper
        assert {i.method for i in boot.intervals} == {"normal", "percentile"}  # no BCa
    # nominal 0.95; with 40 runs anything below 0.8 would point to an error (binomial p < 1e-3)
    assert covered / runs >= 0.8
