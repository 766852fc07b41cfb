"""Audit of influence, cumul, leave-one-out of MH/Peto fits and back-transformed estimates.

Reference: reference/metafor/audit_extras.R (metafor 3.8.1) on the random data of the audit:
influence() on 40 sets x FE/DL/REML/PM x z/knha; cumul() on 20 sets x DL/REML x z/knha;
leave1out() of rma.mh (OR, RR, RD) and rma.peto on 12 random 2x2 sets; predict(transf=...) of
REML fits for every set of a transformed measure (RR OR ROM PLN PLO PAS PFT ZCOR; PFT with
transf.ipft.hm at the studies' sample sizes).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from evsynth.stats.binary import rma_mh, rma_peto
from evsynth.stats.influence import cumul, influence, leave1out
from evsynth.stats.models import rma
from helpers import REFERENCE

DATA = json.loads((REFERENCE / "metafor" / "audit_extras.json").read_text())
CLOSED = {"FE", "DL", "MH", "PETO"}
RTOL_CLOSED = 1e-8  # same arithmetic as metafor
RTOL_ITER = 1e-5  # REML's Fisher scoring stops at a 1e-5 change; PM's root finder likewise
TINY_P = 1e-300
SEQUENTIAL = {
    "estimate": "estimate", "se": "se", "statistic": "zval", "p_value": "pval",
    "ci_lower": "ci.lb", "ci_upper": "ci.ub", "Q": "Q", "Q_p": "Qp", "tau2": "tau2",
    "I2": "I2", "H2": "H2",
}  # fmt: skip


def _vector(x: Any) -> np.ndarray:
    return np.atleast_1d(np.array(x, dtype=np.float64))


def _close(actual: Any, expected: Any, rtol: float, unit: Any, what: str) -> None:
    """Finite where metafor is, and within rtol of max(|expected|, unit) there."""
    a, e = _vector(actual), _vector(expected)
    assert a.shape == e.shape, what
    finite = np.isfinite(e)
    assert np.all(np.isfinite(a[finite])), f"{what}: {a} vs metafor {e}"
    unit = np.broadcast_to(np.asarray(unit, dtype=np.float64), e.shape)[finite]
    bound = rtol * np.maximum(np.abs(e[finite]), unit)
    ok = (np.abs(a[finite] - e[finite]) <= bound) | (a[finite] == e[finite])
    assert np.all(ok), f"{what}: {a} vs metafor {e}"


def _compare_sequential(out: Any, f: dict[str, Any], rtol: float, vi: Any, what: str) -> None:
    se = np.nan_to_num(_vector(f["se"]), nan=0.0)
    for ours, theirs in SEQUENTIAL.items():
        if f.get(theirs) is None:
            continue
        expected = _vector(f[theirs])
        if ours in ("p_value", "Q_p"):
            # the tail's condition number: z^2 for the statistic, Q/2 for Q
            stat = np.nan_to_num(_vector(f["zval"] if ours == "p_value" else f["Q"]), nan=0.0)
            cond = np.maximum(1.0, stat**2 if ours == "p_value" else stat / 2)
            for a, e, c in zip(_vector(getattr(out, ours)), expected, cond, strict=True):
                _close(a, e, rtol * c, TINY_P, f"{what} {ours}")
            continue
        # locations to rtol of their SE, tau^2 on the scale of the sampling variances,
        # I2 in percent points, statistics, Q and H2 in their own units
        unit: Any = {"estimate": se, "ci_lower": se, "ci_upper": se, "se": 0.0, "I2": 1e-3}.get(
            ours, 1e-3 * float(np.min(vi)) if ours == "tau2" else 1.0
        )
        _close(getattr(out, ours), expected, rtol, unit, f"{what} {ours}")


INFLUENCE = DATA["influence"]


@pytest.mark.parametrize("ds", INFLUENCE, ids=[d["name"] for d in INFLUENCE])
def test_influence_matches_metafor(ds: dict[str, Any]) -> None:
    yi, vi = _vector(ds["yi"]), _vector(ds["vi"])
    for f in ds["fits"]:
        what = f"{ds['name']} {f['method']}/{f['test']}"
        res = rma(yi, vi, method=f["method"], test=f["test"])
        if f["error"] is not None:  # PM beyond tau2.max: evsynth widens the search, says so
            assert any("widened" in w for w in res.warnings), what
            continue
        inf = influence(res)
        rtol = RTOL_CLOSED if f["method"] in CLOSED else RTOL_ITER
        # standardised diagnostics (rstudent, DFFITS, DFBETAS, Cook's distance, covariance
        # ratio, hat) are compared in their own unit: near 0 they carry no further digits
        for ours, theirs, unit in (
            ("rstudent", "rstudent", 1.0),
            ("dffits", "dffits", 1.0),
            ("cooks_d", "cook.d", 1.0),
            ("cov_r", "cov.r", 1.0),
            ("hat", "hat", 1e-3),
            ("weight", "weight", 1e-3),
            ("QE_del", "QE.del", 1.0),
            ("tau2_del", "tau2.del", 1e-3 * float(np.min(vi))),
        ):
            _close(getattr(inf, ours), f[theirs], rtol, unit, f"{what} {ours}")
        _close(inf.dfbetas[:, 0], f["dfbetas"], rtol, 1.0, f"{what} dfbetas")
        np.testing.assert_array_equal(np.asarray(inf.influential, bool), np.asarray(f["inf"]))


CUMUL = DATA["cumul"]


@pytest.mark.parametrize("ds", CUMUL, ids=[d["name"] for d in CUMUL])
def test_cumul_matches_metafor(ds: dict[str, Any]) -> None:
    yi, vi = _vector(ds["yi"]), _vector(ds["vi"])
    for f in ds["fits"]:
        out = cumul(rma(yi, vi, method=f["method"], test=f["test"]))
        rtol = RTOL_CLOSED if f["method"] in CLOSED else RTOL_ITER
        _compare_sequential(out, f, rtol, vi, f"{ds['name']} {f['method']}/{f['test']}")


BINARY = DATA["leave1out_binary"]


@pytest.mark.parametrize("ds", BINARY, ids=[d["name"] for d in BINARY])
def test_leave1out_of_mh_and_peto_matches_metafor(ds: dict[str, Any]) -> None:
    t = {k: _vector(ds[k]) for k in ("ai", "bi", "ci", "di")}
    for f in ds["fits"]:
        res = rma_peto(**t) if f["measure"] == "PETO" else rma_mh(**t, measure=f["measure"])
        out = leave1out(res)
        _compare_sequential(out, f, RTOL_CLOSED, [1.0], f"{ds['name']} {f['measure']}")


BACK = DATA["back_transform"]


def test_back_transformed_estimates_match_metafor() -> None:
    """exp, inverse logit, inverse arcsine, tanh and the Freeman-Tukey inverse at the harmonic
    mean n: monotone maps of REML results, so 1e-5 relative as the iterative estimator."""
    assert {d["measure"] for d in BACK} == {"RR", "OR", "ROM", "PLN", "PLO", "PAS", "PFT", "ZCOR"}
    for ds in BACK:
        ni = _vector(ds["ni"]) if ds["measure"] == "PFT" else None
        res = rma(_vector(ds["yi"]), _vector(ds["vi"]), measure=ds["measure"], ni=ni)
        bt = res.back_transformed()
        assert bt is not None, ds["name"]
        for name in ("estimate", "ci_lower", "ci_upper", "pi_lower", "pi_upper"):
            if ds["measure"] in ("RR", "OR", "ROM", "PLN"):
                # exp turns an absolute error on the log scale into a relative one
                log_e = abs(np.log(ds[name]))
                _close(bt[name], ds[name], RTOL_ITER * max(1.0, log_e), 0.0, f"{ds['name']}")
            else:
                # proportions and correlations are bounded: one in 1e5 of the unit interval
                _close(bt[name], ds[name], RTOL_ITER, 1.0, f"{ds['name']} {name}")
