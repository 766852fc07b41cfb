"""Audit of subgroup analyses against metafor 3.8.1 on random data (audit_subgroups.R).

40 random (yi, vi) sets with k >= 4 split at random into 2 or 3 subgroups, for FE/DL/REML/PM x
z/knha: each subgroup pooled separately, RevMan's test for subgroup differences (Cochran's Q of
the subgroup estimates) and metafor's QM from the moderator model with a common tau^2.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from evsynth.stats.regression import subgroups
from helpers import REFERENCE

DATA = json.loads((REFERENCE / "metafor" / "audit_subgroups.json").read_text())["datasets"]
CLOSED = {"FE", "DL"}


def _close(actual: float, expected: Any, rtol: float, unit: float, what: str) -> None:
    assert expected is not None and np.isfinite(actual), f"{what}: {actual} vs {expected}"
    bound = rtol * max(abs(float(expected)), unit)
    assert abs(actual - float(expected)) <= bound or actual == expected, (
        f"{what}: {actual} vs metafor {expected}"
    )


@pytest.mark.parametrize("ds", DATA, ids=[d["name"] for d in DATA])
def test_subgroups_match_metafor(ds: dict[str, Any]) -> None:
    yi, vi = np.asarray(ds["yi"], dtype=float), np.asarray(ds["vi"], dtype=float)
    groups = list(ds["groups"])
    for f in ds["fits"]:
        what = f"{f['method']}/{f['test']}"
        res = subgroups(yi, vi, groups, method=f["method"], test=f["test"])
        assert list(res.levels) == [s["level"] for s in f["subgroups"]], what
        # closed forms 1e-8; REML (Fisher scoring, 1e-5 stopping rule) and PM (uniroot) 1e-5
        rtol = 1e-8 if f["method"] in CLOSED else 1e-5
        if any(s["error"] is not None for s in f["subgroups"]) or f["QM_error"] is not None:
            # metafor stops (PM root beyond tau2.max) where evsynth widens the search and says so
            notes = [w for fit in (*res.fits, res.moderator_model) if fit for w in fit.warnings]
            assert any("widened" in w for w in notes), what
            continue
        for fit, s in zip(res.fits, f["subgroups"], strict=True):
            se = float(s["se"])
            for name in ("estimate", "ci_lower", "ci_upper"):
                _close(getattr(fit, name), s[name], rtol, se, f"{what} {s['level']} {name}")
            _close(fit.se, se, rtol, 0.0, f"{what} {s['level']} se")
            _close(fit.tau2, s["tau2"], rtol, 1e-3 * float(np.min(vi)), f"{what} tau2")
        # Q between and QM in their own unit; p-values widened by the chi^2 tail's Q/2
        _close(res.Q_between, f["Q_between"], rtol, 1.0, f"{what} Q_between")
        cond = max(1.0, float(f["Q_between"]) / 2)
        _close(res.Q_between_p, f["Q_between_p"], rtol * cond, 1e-300, f"{what} Q_between_p")
        _close(res.QM, f["QM"], rtol, 1.0, f"{what} QM")
        _close(res.QM_p, f["QM_p"], rtol * max(1.0, float(f["QM"]) / 2), 1e-300, f"{what} QM_p")
