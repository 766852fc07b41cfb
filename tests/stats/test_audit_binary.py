"""Audit of rma_mh and rma_peto against metafor 3.8.1 on random 2x2 tables.

Reference: reference/metafor/audit_binary.R. The 30 random 2x2 sets of audit_escalc.R (k = 1..30,
zero cells, double zeros, all-events tables, arms of 1 to 10^6) plus a set with one informative
table and one with double zeros only; Mantel-Haenszel OR (with and without the continuity
correction of the CMH test), RR and RD, and Peto's OR, each at levels 90, 95 and 99: 480 fits.
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

DATA = json.loads((REFERENCE / "metafor" / "audit_binary.json").read_text())
DATASETS: list[dict[str, Any]] = DATA["datasets"]

# Mantel-Haenszel, Peto, CMH and Tarone are closed forms: 1e-8 relative (measured worst 5e-9,
# Tarone's statistic of 4879 on tables with 10^5-sized arms, whose expected counts come from a
# quadratic that loses digits in both programs).
RTOL = 1e-8
TINY_P = 1e-300  # below the smallest normal double, p-values are rounding noise
FIELDS = ("estimate", "se", "ci_lower", "ci_upper", "statistic", "I2", "H2", "Q")


def _close(actual: float, expected: Any, rtol: float, unit: float, what: str) -> None:
    if expected is None:  # metafor's NA (e.g. an OR that is 0 or infinite)
        assert not math.isfinite(actual), f"{what}: {actual} where metafor has NA"
        return
    assert math.isfinite(actual), f"{what}: {actual} where metafor has {expected}"
    err = abs(actual - float(expected))
    assert err <= rtol * max(abs(float(expected)), unit), f"{what}: {actual} vs {expected}"


def _fit(t: dict[str, np.ndarray], f: dict[str, Any]) -> Any:
    if f["method"] == "PETO":
        return rma_peto(**t, level=f["level"])
    return rma_mh(**t, measure=f["measure"], correct=f["correct"], level=f["level"])


@pytest.mark.parametrize("ds", DATASETS, ids=[d["name"] for d in DATASETS])
def test_mh_and_peto_match_metafor(ds: dict[str, Any]) -> None:
    t = {k: np.atleast_1d(np.array(ds[k], dtype=np.float64)) for k in ("ai", "bi", "ci", "di")}
    for f in ds["fits"]:
        what = f"{f['method']} {f['measure']} correct={f['correct']} level={f['level']}"
        if f["error"] is not None:
            # metafor refuses (Peto without events or without non-events anywhere): so do we
            with pytest.raises(InputError):
                _fit(t, f)
            continue
        res = _fit(t, f)
        assert res.k == f["k"], what
        # metafor's k.yi - 1 is -1 when no table is informative; a count of df cannot be negative
        assert res.Q_df == max(f["Q_df"], 0), what
        se = float(f["se"]) if f["se"] is not None else 0.0
        for name in FIELDS:
            # locations to 1e-8 of their SE, Q and H2 in their own units, I2 in percent points
            unit = {"estimate": se, "ci_lower": se, "ci_upper": se, "statistic": 1.0}.get(
                name, 1.0 if name in ("Q", "H2") else 1e-3
            )
            _close(getattr(res, name), f[name], RTOL, unit, f"{what} {name}")
        stat = float(f["statistic"]) if f["statistic"] is not None else 0.0
        # the p-value's relative error is the statistic's times ~z^2 (tail condition number)
        _close(res.p_value, f["p_value"], RTOL * max(1.0, stat**2), TINY_P, f"{what} p")
        q = float(f["Q"]) if f["Q"] is not None else 0.0
        if f["Q_df"] > 0:
            _close(res.Q_p, f["Q_p"], RTOL * max(1.0, q / 2), TINY_P, f"{what} Q_p")
        if "CMH" in f:
            tests = {x.name.split()[0]: x for x in res.extra_tests}
            if f["CMH"] is None:
                # no informative table: metafor's CMH is NA; evsynth reports no test
                assert "Cochran-Mantel-Haenszel" not in tests, what
                continue
            cmh = tests["Cochran-Mantel-Haenszel"]
            _close(cmh.statistic, f["CMH"], RTOL, 1.0, f"{what} CMH")
            _close(cmh.p_value, f["CMH_p"], RTOL * max(1.0, f["CMH"]), TINY_P, f"{what}")
            if f["TA_p"] is None:
                # one informative table: metafor prints Tarone's test as 0 or NA with no
                # p-value; evsynth leaves the undefined test out
                assert not any("Tarone" in x.name for x in res.extra_tests), what
            else:
                ta = next(x for x in res.extra_tests if "Tarone" in x.name)
                _close(ta.statistic, f["TA"], RTOL, 1.0, f"{what} Tarone")
                _close(ta.p_value, f["TA_p"], RTOL * max(1.0, f["TA"] / 2), TINY_P, what)
