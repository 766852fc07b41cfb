"""rma() against metafor 3.8.1 (reference/metafor/rma_uni.R): every estimator, z and knha.

Datasets: dat.bcg (RR, OR), dat.hackshaw1998, dat.normand1999 (MD, SMD), dat.molloy2014 (ZCOR),
dat.raudenbush1985, and constructed cases (k = 1, k = 2, k = 3, homogeneous data where tau^2 is
0, sampling variances spanning five orders of magnitude).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from evsynth.stats.models import rma
from helpers import REFERENCE

CASES: list[dict[str, Any]] = json.loads((REFERENCE / "metafor" / "rma_uni.json").read_text())[
    "cases"
]

# Closed-form estimators are the same arithmetic as metafor's: 1e-8 relative. PM and the
# Q-profile limits come from R's uniroot, whose Brent steps and stopping rule we replay
# (_roots.py), so they are also held to 1e-8 although uniroot's own tolerance is 1.2e-4. Fisher
# scoring (ML, REML, EB) takes metafor's exact steps from the same start and agrees to ~1e-13 in
# practice; it is held to the 1e-5 bound for iterative estimators (metafor's stopping threshold).
FIELDS = [
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "statistic",
    "p_value",
    "tau2",
    "I2",
    "H2",
    "Q",
    "Q_p",
    "pi_lower",
    "pi_upper",
]
CLOSED = {"FE", "DL", "HE", "HS", "SJ", "PM"}


def _rtol(method: str) -> float:
    return 1e-8 if method in CLOSED else 1e-5


def _close(actual: float, expected: Any, rtol: float, what: str) -> None:
    if expected is None or (isinstance(expected, str) and expected == "NA"):
        assert math.isnan(actual), what
        return
    # an absolute floor for values that are 0 in exact arithmetic (tau2 at the boundary)
    assert actual == pytest.approx(float(expected), rel=rtol, abs=1e-12), what


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c['dataset']}-{c['method']}-{c['test']}" for c in CASES]
)
def test_rma_matches_metafor(case: dict[str, Any]) -> None:
    yi = np.atleast_1d(np.asarray(case["yi"], dtype=float))
    vi = np.atleast_1d(np.asarray(case["vi"], dtype=float))
    res = rma(yi, vi, method=case["method"], test=case["test"], measure=case["measure"])
    rtol = _rtol(case["method"])
    for name in FIELDS:
        _close(getattr(res, name), case[name], rtol, name)
    assert res.k == case["k"]
    assert res.Q_df == case["Q_df"]
    np.testing.assert_allclose(res.weights, np.atleast_1d(case["weights"]), rtol=rtol)
    if "tau2_se" in case and case["method"] != "FE":
        _close(res.tau2_se, case["tau2_se"], rtol, "tau2_se")
    if "tau2_ci" in case:
        assert res.tau2_ci is not None and res.I2_ci is not None
        assert res.tau_ci is not None and res.H2_ci is not None
        for name, iv in (
            ("tau2_ci", res.tau2_ci),
            ("tau_ci", res.tau_ci),
            ("I2_ci", res.I2_ci),
            ("H2_ci", res.H2_ci),
        ):
            # Q-profile limits replay R's uniroot steps (see above): 1e-8 relative
            _close(iv.ci_lower, case[name][0], 1e-8, f"{name} lower")
            _close(iv.ci_upper, case[name][1], 1e-8, f"{name} upper")
