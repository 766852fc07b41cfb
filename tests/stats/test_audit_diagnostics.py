"""Audit of leave-one-out, Egger's and Begg's tests and trim-and-fill against metafor 3.8.1.

Reference: reference/metafor/audit_diagnostics.R, on the random (yi, vi) sets of audit_rma.R:
leave1out on 40 sets (k = 2..30) for every method x test (720 analyses); on 40 sets with k >= 3,
ranktest, regtest with model="lm", regtest on FE/DL/REML/PM fits with z and knha, and trimfill
(L0 and R0) on the same four fits.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from evsynth.errors import InputError
from evsynth.stats.bias import ranktest, regtest, trimfill
from evsynth.stats.influence import leave1out
from evsynth.stats.models import rma
from helpers import REFERENCE

DATA = json.loads((REFERENCE / "metafor" / "audit_diagnostics.json").read_text())
L1O: list[dict[str, Any]] = DATA["leave1out"]
BIAS: list[dict[str, Any]] = DATA["bias"]

CLOSED = {"FE", "DL", "HE", "HS", "SJ"}
RTOL_CLOSED = 1e-8  # same arithmetic as metafor
RTOL_ITER = 1e-5  # Fisher scoring stops at a 1e-5 change; PM and trim-and-fill iterate too
TINY_P = 1e-300  # below the smallest normal double, p-values are rounding noise
L1O_FIELDS = {
    "estimate": "estimate",
    "se": "se",
    "statistic": "zval",
    "p_value": "pval",
    "ci_lower": "ci.lb",
    "ci_upper": "ci.ub",
    "Q": "Q",
    "Q_p": "Qp",
    "tau2": "tau2",
    "I2": "I2",
    "H2": "H2",
}
NONCONVERGENCE = ("did not converge", "widened", "local maximum")


def _vector(x: Any) -> np.ndarray:
    return np.atleast_1d(np.array(x, dtype=np.float64))


def _rtol(method: str) -> float:
    return RTOL_CLOSED if method in CLOSED else RTOL_ITER


def _close(actual: Any, expected: Any, rtol: float, unit: float, what: str) -> None:
    """Finite where metafor is finite; within rtol of max(|expected|, unit) there."""
    a, e = _vector(actual), _vector(expected)
    assert a.shape == e.shape, what
    finite = np.isfinite(e)
    assert np.all(np.isfinite(a[finite])), f"{what}: {a} vs metafor {e}"
    bound = rtol * np.maximum(np.abs(e[finite]), unit)
    ok = (np.abs(a[finite] - e[finite]) <= bound) | (a[finite] == e[finite])
    assert np.all(ok), f"{what}: {a} vs metafor {e}"


def _unit(name: str, se: np.ndarray, vi: np.ndarray) -> Any:
    # locations to rtol of their SE; tau^2 on the scale of the sampling variances; I2 in
    # percent points; statistics, Q and H2 in their own units; p-values relative
    if name in ("estimate", "ci_lower", "ci_upper"):
        return np.nan_to_num(se, nan=0.0)
    if name == "tau2":
        return 1e-3 * float(np.min(vi))
    if name == "I2":
        return 1e-3
    if name in ("p_value", "Q_p"):
        return TINY_P
    return 1.0


def check_leave1out(ds: dict[str, Any], f: dict[str, Any]) -> None:
    yi, vi = _vector(ds["yi"]), _vector(ds["vi"])
    what = f"{ds['name']} {f['method']}/{f['test']}"
    res = rma(yi, vi, method=f["method"], test=f["test"])
    if f["error"] is not None:
        # metafor could not fit the full model; evsynth's fallback must say so
        assert any(any(s in w for s in NONCONVERGENCE) for w in res.warnings), what
        return
    out = leave1out(res)
    expected_est = _vector(f["estimate"])
    for i in np.flatnonzero(~np.isfinite(expected_est)):
        # metafor leaves a row NA when that refit fails to converge; evsynth fits it with its
        # documented fallback, which must say so on the same subset
        keep = np.arange(yi.size) != i
        sub = rma(yi[keep], vi[keep], method=f["method"], test=f["test"])
        assert any(any(s in w for s in NONCONVERGENCE) for w in sub.warnings), f"{what} row {i}"
    rows = np.isfinite(expected_est)
    se = _vector(f["se"])[rows]
    rtol = _rtol(f["method"])
    for ours, theirs in L1O_FIELDS.items():
        if f[theirs] is None:
            continue
        expected = _vector(f[theirs])[rows]
        actual = _vector(getattr(out, ours))[rows]
        if ours in ("p_value", "Q_p"):
            stat = _vector(f["zval"] if ours == "p_value" else f["Q"])[rows]
            # the tail's condition number: z^2 for the statistic, Q/2 for Q
            cond = np.maximum(1.0, stat**2 if ours == "p_value" else stat / 2)
            for a, e, c in zip(actual, expected, np.nan_to_num(cond, nan=1.0), strict=True):
                _close(a, e, rtol * c, TINY_P, f"{what} {ours}")
        else:
            _close(actual, expected, rtol, _unit(ours, se, vi), f"{what} {ours}")


def test_leave1out_reference_is_broad() -> None:
    assert len(L1O) == 40
    assert {len(_vector(d["yi"])) for d in L1O} >= {2, 30}


def test_leave1out_matches_metafor_on_a_rotating_sample() -> None:
    for i, ds in enumerate(L1O):
        for j, f in enumerate(ds["fits"]):
            if j % 6 == i % 6:
                check_leave1out(ds, f)


@pytest.mark.slow
def test_leave1out_matches_metafor_everywhere() -> None:
    for ds in L1O:
        for f in ds["fits"]:
            check_leave1out(ds, f)


def _check_regtest(r: Any, e: dict[str, Any], rtol: float, what: str) -> None:
    _close(r.statistic, e["statistic"], rtol, 1.0, f"{what} statistic")
    z = e["statistic"] or 0.0
    _close(r.p_value, e["p_value"], rtol * max(1.0, z * z), TINY_P, f"{what} p")
    if e["df"] is None:
        assert not np.isfinite(r.df), what
    else:
        assert r.df == e["df"], what
    for name in ("limit_estimate", "limit_ci_lower", "limit_ci_upper"):
        unit = abs(e["limit_ci_upper"] - e["limit_ci_lower"]) / 4  # about one SE
        _close(getattr(r, name), e[name], rtol, unit, f"{what} {name}")


@pytest.mark.parametrize("ds", BIAS, ids=[d["name"] for d in BIAS])
def test_bias_diagnostics_match_metafor(ds: dict[str, Any]) -> None:
    yi, vi = _vector(ds["yi"]), _vector(ds["vi"])
    fe = rma(yi, vi, method="FE")
    rk, e = ranktest(fe), ds["ranktest"]
    # Kendall's tau and its p-value (exact, or normal approximation with ties): closed forms
    _close(rk.tau, e["tau"], RTOL_CLOSED, 1e-3, "ranktest tau")
    _close(rk.p_value, e["p_value"], RTOL_CLOSED, TINY_P, "ranktest p")
    assert rk.exact == (not any("ties" in w for w in e["warnings"]))
    _check_regtest(regtest(fe, model="lm"), ds["regtest_lm"], RTOL_CLOSED, "regtest lm")
    for e in ds["regtest"]:
        what = f"regtest {e['method']}/{e['test']}"
        fit = rma(yi, vi, method=e["method"], test=e["test"])
        if e["error"] is not None:
            # metafor's model could not be fitted (PM beyond tau2.max): evsynth says so
            assert any(any(s in w for s in NONCONVERGENCE) for w in fit.warnings), what
            continue
        try:
            r = regtest(fit)
        except InputError:
            pytest.fail(f"{what}: evsynth refused what metafor computed")
        _check_regtest(r, e, _rtol(e["method"]), what)
    for e in ds["trimfill"]:
        what = f"trimfill {e['method']}/{e['estimator']}"
        fit = rma(yi, vi, method=e["method"])
        if e["error"] is not None:
            assert any(any(s in w for s in NONCONVERGENCE) for w in fit.warnings), what
            continue
        tf = trimfill(fit, estimator=e["estimator"])
        assert (tf.k0, tf.side) == (e["k0"], e["side"]), what
        rtol = _rtol(e["method"])
        _close(tf.se_k0, e["se_k0"], RTOL_CLOSED, 1e-3, f"{what} se_k0")
        if e["p_k0"] is not None:
            _close(tf.p_k0, e["p_k0"], RTOL_CLOSED, TINY_P, f"{what} p_k0")
        se = e["se"]
        for name in ("estimate", "ci_lower", "ci_upper"):
            _close(getattr(tf.fit, name), e[name], rtol, se, f"{what} {name}")
        _close(tf.fit.se, se, rtol, 0.0, f"{what} se")
        _close(tf.fit.tau2, e["tau2"], rtol, 1e-3 * float(np.min(vi)), f"{what} tau2")
        z = e["estimate"] / se
        _close(tf.fit.p_value, e["p_value"], rtol * max(1.0, z * z), TINY_P, f"{what} p")
        # the filled studies: same values (mirror images), in any order
        _close(np.sort(tf.yi), np.sort(_vector(e["yi"])), rtol, se, f"{what} filled yi")
        _close(np.sort(tf.vi), np.sort(_vector(e["vi"])), RTOL_CLOSED, 0.0, f"{what} filled vi")
