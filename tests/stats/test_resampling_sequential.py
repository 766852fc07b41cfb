"""Leave-one-out and cumulative analysis through the batched kernels.

Checked against metafor 3.8.1's leave1out() and cumul() (reference/metafor/rma_influence.json,
committed by the models area) and against evsynth.stats.influence, which refits one model at
a time.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import numpy as np
import pytest

from evsynth.stats import influence
from evsynth.stats.models import rma
from evsynth.stats.resampling.sequential import cumul, leave1out
from helpers import REFERENCE

pytestmark = pytest.mark.reference

PATH = REFERENCE / "metafor" / "rma_influence.json"
FIELDS = {
    "estimate": "estimate",
    "se": "se",
    "zval": "statistic",
    "pval": "p_value",
    "ci_lb": "ci_lower",
    "ci_ub": "ci_upper",
    "Q": "Q",
    "Qp": "Q_p",
    "tau2": "tau2",
    "I2": "I2",
    "H2": "H2",
}


@cache
def _data() -> dict[str, Any]:
    out: dict[str, Any] = json.loads(PATH.read_text())
    return out


def _cases() -> list[dict[str, Any]]:
    return [c for c in _data()["cases"] if not c["mods"]]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: f"{c['method']}-{c['test']}")
def test_leave1out_and_cumul_equal_metafor(case: dict[str, Any]) -> None:
    d = _data()
    res = rma(d["yi"], d["vi"], method=case["method"], test=case["test"], slab=d["slab"])
    for got, ref in ((leave1out(res), case["l1o"]), (cumul(res, order=d["year"]), case["cumul"])):
        for theirs, ours in FIELDS.items():
            expected = np.array(ref[theirs], dtype=float)  # null (NA) becomes NaN
            # same iterations as metafor; measured differences below 2e-14
            np.testing.assert_allclose(
                getattr(got, ours), expected, rtol=1e-9, atol=1e-12, err_msg=ours
            )


@pytest.mark.parametrize("method", ["FE", "DL", "REML", "PM", "SJ", "EB"])
def test_batched_sequential_fits_equal_influence_module(method: str) -> None:
    rng = np.random.default_rng(4)
    y, v = rng.normal(0.2, 0.4, 12), rng.uniform(0.02, 0.2, 12)
    res = rma(y, v, method=method, test="knha")
    order = rng.permutation(12)
    for ours, theirs in (
        (leave1out(res), influence.leave1out(res)),
        (cumul(res, order=order), influence.cumul(res, order=order)),
    ):
        assert ours.slab == theirs.slab
        pd_ours, pd_theirs = ours.to_frame(), theirs.to_frame()
        for col in pd_theirs.columns[1:]:
            np.testing.assert_allclose(
                pd_ours[col].to_numpy(float),
                pd_theirs[col].to_numpy(float),
                rtol=1e-10,
                atol=1e-12,
                err_msg=col,
            )
