"""Audit of predict() for meta-regressions against metafor 3.8.1 (audit_predict.R).

30 random sets with 1 or 2 moderators (those of audit_regression.R), FE/DL/REML x z/knha:
fitted values, and predictions at the minimum, median and maximum of the first moderator (for
both values of the 0/1 moderator when there is one), with confidence and prediction intervals.

Where metafor's own residual matrix loses digits (variances spanning 1e7, see
test_audit_regression.py), its error on QE, measured against exact rational arithmetic, sets the
noise floor exactly as there: 1000 times that error.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from evsynth.stats.models import rma
from evsynth.stats.regression import predict
from helpers import REFERENCE

DATA = json.loads((REFERENCE / "metafor" / "audit_predict.json").read_text())["datasets"]
REGRESSION = {
    d["name"]: d
    for d in json.loads((REFERENCE / "metafor" / "audit_regression.json").read_text())["datasets"]
}


def _regression_module() -> Any:
    """test_audit_regression's exact_fixed_qe (loaded by path: test files are not a package)."""
    path = Path(__file__).with_name("test_audit_regression.py")
    spec = importlib.util.spec_from_file_location("_audit_regression", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


EXACT_QE = _regression_module().exact_fixed_qe


def metafor_qe_error(name: str, yi: np.ndarray, vi: np.ndarray, mods: np.ndarray) -> float:
    """metafor's relative error on the fixed-effect QE of this set (exact arithmetic)."""
    fe = next(f for f in REGRESSION[name]["fits"] if f["method"] == "FE" and f["test"] == "z")
    qe = EXACT_QE(yi, vi, np.column_stack([np.ones(yi.size), mods]))
    return abs(fe["Q"] - qe) / qe if qe > 0 else 0.0


FIELDS = ("pred", "se", "ci_lower", "ci_upper", "pi_lower", "pi_upper")


@pytest.mark.parametrize("ds", DATA, ids=[d["name"] for d in DATA])
def test_predictions_match_metafor(ds: dict[str, Any]) -> None:
    yi, vi = np.asarray(ds["yi"], dtype=float), np.asarray(ds["vi"], dtype=float)
    mods = np.asarray(ds["mods"], dtype=float)
    newmods = np.asarray(ds["newmods"], dtype=float)
    floor = 1e3 * metafor_qe_error(ds["name"], yi, vi, mods)
    for f in ds["fits"]:
        what = f"{ds['name']} {f['method']}/{f['test']}"
        assert f["error"] is None, what
        res = rma(yi, vi, mods=mods, method=f["method"], test=f["test"])
        # closed forms 1e-8; REML 1e-5 (metafor's Fisher scoring stops at a 1e-5 change)
        rtol = max(1e-5 if f["method"] == "REML" else 1e-8, floor)
        for key, ours in (("fitted", predict(res)), ("new", predict(res, newmods))):
            se = np.asarray(f[key]["se"], dtype=float)
            for name in FIELDS:
                expected = np.atleast_1d(np.asarray(f[key][name], dtype=float))
                actual = np.atleast_1d(getattr(ours, name))
                # locations to rtol of their SE (a prediction near 0 has no further digits)
                unit = 0.0 if name == "se" else se
                bound = rtol * np.maximum(np.abs(expected), unit)
                assert np.all(np.abs(actual - expected) <= bound), (what, key, name)
