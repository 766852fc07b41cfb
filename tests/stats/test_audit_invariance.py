"""Invariances a correct pooling engine must have, on the random sets of the metafor audit.

- Study order: permuting the studies permutes the weights and changes nothing else.
- Scale (MD-like data): multiplying yi and sqrt(vi) by c multiplies the estimate, its SE, CI
  and prediction interval by c and tau^2 by c^2, and leaves statistics, p-values, Q, I2, H2 and
  the weights unchanged.

The closed-form estimators are equivariant up to rounding (1e-10). metafor's iterative estimators
are not exactly: Fisher scoring stops at an absolute change of 1e-5 in tau^2 and PM's root
finder has an absolute tolerance, so after scaling they stop at a slightly different point.
evsynth reproduces metafor's iterations (checked in test_audit_rma on sets at scales 1e4 and
1e-4), so for them the bound is the brief's 1e-5 for iterative estimators.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from evsynth.stats.models import rma
from helpers import REFERENCE

DATASETS = [
    d
    for d in json.loads((REFERENCE / "metafor" / "audit_rma.json").read_text())["datasets"]
    if len(np.atleast_1d(d["yi"])) >= 3 and not any(f["error"] for f in d["fits"])
]
SAMPLE = DATASETS[::6]  # about 25 sets of every measure and size
METHODS = ("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
CLOSED = {"FE", "DL", "HE", "HS", "SJ"}
LOCATION = ("estimate", "se", "ci_lower", "ci_upper", "pi_lower", "pi_upper")
UNCHANGED = ("statistic", "p_value", "I2", "H2", "Q", "Q_p")


def _rtol(method: str) -> float:
    return 1e-10 if method in CLOSED else 1e-5


def _same(a: float, b: float, rtol: float, unit: float, what: str) -> None:
    if np.isnan(b):  # undefined (e.g. the SE of tau^2 of a fixed-effect model) in both
        assert np.isnan(a), f"{what}: {a} vs {b}"
        return
    assert abs(a - b) <= rtol * max(abs(b), unit) or a == b, f"{what}: {a} vs {b}"


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("test", ["z", "knha"])
def test_study_order_does_not_matter(method: str, test: str) -> None:
    rng = np.random.default_rng(20261121)
    for ds in SAMPLE:
        yi, vi = np.atleast_1d(ds["yi"]).astype(float), np.atleast_1d(ds["vi"]).astype(float)
        perm = rng.permutation(yi.size)
        a = rma(yi, vi, method=method, test=test)
        b = rma(yi[perm], vi[perm], method=method, test=test)
        rtol = _rtol(method)
        for name in (*LOCATION, *UNCHANGED, "tau2", "tau2_se"):
            unit = 1e-3 * float(np.min(vi)) if name.startswith("tau2") else a.se
            _same(getattr(b, name), getattr(a, name), rtol, unit, f"{ds['name']} {name}")
        np.testing.assert_allclose(b.weights, a.weights[perm], rtol=rtol, atol=1e-12)
        if a.tau2_ci is not None and b.tau2_ci is not None:
            _same(b.tau2_ci.ci_upper, a.tau2_ci.ci_upper, 1e-5, 0.0, f"{ds['name']} tau2 ub")


# Fisher scoring (ML, REML, EB) stops at an absolute change of 1e-5 in tau^2, in the units of
# the data it is given; PM's root finder has a tolerance of about 1e-4 in tau^2 (eps^0.25).
STOP = {"ML": 1e-5, "REML": 1e-5, "EB": 1e-5, "PM": 2e-4}


# iterative estimators are only checked on larger scales: on smaller ones metafor's absolute
# stopping rules fail them (see the strict_optimum test below)
SCALINGS = [(m, c) for m in METHODS for c in (10.0, 0.1, 1e3) if m in CLOSED or c > 1]


@pytest.mark.parametrize(("method", "c"), SCALINGS)
def test_scaling_md_like_data(method: str, c: float) -> None:
    for ds in SAMPLE:
        yi, vi = np.atleast_1d(ds["yi"]).astype(float), np.atleast_1d(ds["vi"]).astype(float)
        a = rma(yi, vi, method=method)
        b = rma(c * yi, c * c * vi, method=method)
        what = f"{ds['name']} x{c:g}"
        if method not in CLOSED:
            # both fits stop within their own absolute threshold: in the original units,
            # 1e-5 for the first and 1e-5 / c^2 for the scaled one
            # (plus 1e-7 relative: a tau^2 of 10^8 has no absolute digits below 1e-8)
            bound = 2 * STOP[method] * (1 + 1 / c**2) + 1e-7 * a.tau2
            assert abs(b.tau2 / c**2 - a.tau2) <= bound, (what, b.tau2 / c**2, a.tau2)
            # the estimate moves with tau^2 only through the weights: within 1e-3 of its SE
            _same(b.estimate, c * a.estimate, 1e-3, c * a.se, f"{what} estimate")
            continue
        rtol = _rtol(method)
        for name in LOCATION:
            _same(getattr(b, name), c * getattr(a, name), rtol, c * a.se, f"{what} {name}")
        for name in UNCHANGED:
            unit = 1e-3 if name == "I2" else 1.0
            if name in ("p_value", "Q_p"):
                # a p-value's relative error is its statistic's times ~z^2 (or Q/2)
                stat = a.statistic**2 if name == "p_value" else a.Q / 2
                _same(getattr(b, name), getattr(a, name), rtol * max(1, stat), 1e-300, what)
                continue
            _same(getattr(b, name), getattr(a, name), rtol, unit, f"{what} {name}")
        _same(b.tau2, c * c * a.tau2, rtol, 1e-3 * c * c * float(np.min(vi)), f"{what} tau2")
        np.testing.assert_allclose(b.weights, a.weights, rtol=rtol, atol=1e-12)


def test_ml_is_scale_equivariant_on_small_scale_data() -> None:
    """metafor's ML/REML/EB stop at an absolute change of 1e-5 in tau^2 and PM's root finder has
    an absolute tolerance of ~1e-4: on data of small scale (tau^2 below ~1e-3, common for risk
    differences and proportions) the estimate stops far from the optimum. evsynth gives
    metafor's number with a warning, and with control={'strict_optimum': True} the optimum,
    which is scale-equivariant."""
    ds = next(d for d in DATASETS if d["name"] == "escalc058_ROM")
    yi, vi = np.atleast_1d(ds["yi"]).astype(float), np.atleast_1d(ds["vi"]).astype(float)
    strict = {"strict_optimum": True}
    a = rma(yi, vi, method="ML", control=strict)  # tau^2 = 0.16605
    default = rma(0.1 * yi, 0.01 * vi, method="ML")  # metafor and evsynth: 1.659e-6
    assert any("control={'strict_optimum': True}" in w for w in default.warnings)
    b = rma(0.1 * yi, 0.01 * vi, method="ML", control=strict)
    assert b.tau2 / 0.01 == pytest.approx(a.tau2, rel=1e-3)


def test_refits_of_a_strict_optimum_model_are_strict_too() -> None:
    """Leave-one-out, cumulative and influence refits of a model fitted with
    control={'strict_optimum': True} use the exact optimum as well (the batched kernels follow
    metafor's stopping rule, so such a model is refitted one subset at a time)."""
    from evsynth.stats import influence
    from evsynth.stats.resampling import sequential

    ds = next(d for d in DATASETS if d["name"] == "escalc058_ROM")
    yi, vi = np.atleast_1d(ds["yi"]).astype(float), np.atleast_1d(ds["vi"]).astype(float)
    y, v = 0.1 * yi, 0.01 * vi  # small scale: metafor's rule stops short of the optimum
    strict = rma(y, v, method="ML", control={"strict_optimum": True})
    for batched, single in (
        (sequential.leave1out(strict), influence.leave1out(strict)),
        (sequential.cumul(strict), influence.cumul(strict)),
    ):
        np.testing.assert_array_equal(batched.tau2, single.tau2)
    # metafor's rule (the default) stops a thousand times short in most rows; strict refits do not
    default = sequential.leave1out(rma(y, v, method="ML")).tau2
    assert np.mean(sequential.leave1out(strict).tau2 > 100 * default) > 0.8
    drop = np.arange(len(y)) != 0
    exact = rma(y[drop], v[drop], method="ML", control={"strict_optimum": True})
    assert influence.leave1out(strict).tau2[0] == pytest.approx(exact.tau2, rel=1e-12)


def test_subgroups_pass_control_to_every_fit() -> None:
    from evsynth.stats.regression import subgroups

    ds = next(d for d in DATASETS if d["name"] == "escalc058_ROM")
    yi, vi = np.atleast_1d(ds["yi"]).astype(float), np.atleast_1d(ds["vi"]).astype(float)
    y, v = 0.1 * yi, 0.01 * vi
    groups = ["a" if i % 2 else "b" for i in range(len(y))]
    strict = subgroups(y, v, groups, method="ML", control={"strict_optimum": True})
    assert all(f.strict_optimum for f in (*strict.fits, strict.overall))
    exact = rma(y, v, method="ML", control={"strict_optimum": True})
    assert strict.overall.tau2 == pytest.approx(exact.tau2, rel=1e-12)
