"""Audit of rma against metafor 3.8.1 on random data (reference/metafor/audit_rma.R).

189 (yi, vi) sets (the random escalc cases of every measure, k = 1..30, plus constructed edges:
k = 1, k = 2, identical yi, identical yi and vi, tau^2 = 0, variances over six orders of
magnitude, huge heterogeneity, values of order 1e4 and 1e-4), each fitted with every method
(FE DL HE HS SJ ML REML EB PM) x test (z, knha) x level (90, 95, 99): 10,206 fits, with
predict() and confint() (Q-profile CIs of tau^2, tau, I^2, H^2). The fast test takes a rotating
sample of about 500 fits that still covers every set and every method/test/level; the slow
test takes them all. metafor's warnings and errors are checked against evsynth's warnings.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from scipy.stats import chi2

from evsynth.stats.models import rma
from helpers import REFERENCE

DATA = json.loads((REFERENCE / "metafor" / "audit_rma.json").read_text())
DATASETS: list[dict[str, Any]] = DATA["datasets"]

CLOSED = {"FE", "DL", "HE", "HS", "SJ"}
# Closed forms are the same arithmetic as metafor's: 1e-8 relative. ML/REML/EB (Fisher scoring
# with metafor's 1e-5 stopping rule) and PM (R's uniroot, tolerance eps^0.25) only determine
# tau^2 to about 1e-5 relative, so 1e-5 is the meaningful bound for them (evsynth replays the
# same iterations, so the measured agreement is far better). The Q-profile limits are roots found
# by uniroot too, so they get the iterative bound whatever the estimator.
RTOL_CLOSED = 1e-8
RTOL_ITER = 1e-5
TINY_P = 1e-300


def _vector(x: Any) -> np.ndarray:
    return np.atleast_1d(np.array(x, dtype=np.float64))


@dataclass
class Comparison:
    """Collects |actual - expected| against a tolerance per quantity, then reports the worst.

    ``expected=None`` is metafor's NA/NaN/Inf (jsonlite writes all three as null): evsynth's
    value must then not be finite either.
    """

    worst: dict[str, tuple[float, str]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def check(
        self, what: str, actual: float, expected: Any, rtol: float, scale: float, tag: str
    ) -> None:
        """Within ``rtol`` of max(|expected|, scale): ``scale`` is the quantity's natural unit.

        The unit keeps values that are 0 in exact arithmetic (tau^2 at its boundary, an
        estimate at the null) from demanding digits neither program has.
        """
        if expected is None:
            if math.isfinite(actual):
                self.failures.append(f"{tag} {what}: evsynth {actual!r}, metafor NA/Inf")
            return
        expected = float(expected)
        if not math.isfinite(actual):
            self.failures.append(f"{tag} {what}: evsynth {actual!r}, metafor {expected!r}")
            return
        denom = max(abs(expected), scale)
        # p-values that underflow to 0 in both programs agree exactly
        err = abs(actual - expected) / denom if denom > 0 else abs(actual - expected) * math.inf
        err = 0.0 if actual == expected else err
        if err > self.worst.get(what, (-1.0, ""))[0]:
            self.worst[what] = (err, tag)
        if err > rtol:
            self.failures.append(
                f"{tag} {what}: evsynth {actual!r}, metafor {expected!r} (rel {err:.2g})"
            )

    def assert_ok(self) -> None:
        assert not self.failures, "\n".join(self.failures[:30])


def p_condition(statistic: float) -> float:
    """How much a p-value's relative error exceeds its statistic's: |d log p / d log z| ~ z^2.

    For two-sided normal (and t) tails the condition number of the tail probability grows like
    z^2, so a statistic that agrees to 1e-13 gives p-values agreeing to only z^2 * 1e-13.
    """
    return max(1.0, statistic * statistic)


def q_condition(q: float) -> float:
    """The same for the chi-squared tail of Q: |d log p / d log Q| ~ Q / 2 for large Q."""
    return max(1.0, q / 2.0)


# metafor's messages and the evsynth warning that must accompany the same situation
WARNING_MAP = {
    'Setting argument test="z" since k=1.': "Knapp-Hartung adjustment is undefined",
    "Knapp & Hartung method is not meant to be used in the context of FE models.": (
        "Knapp-Hartung adjustment is meant for random-effects"
    ),
    "Ratio of largest to smallest sampling variance extremely large.": (
        "The largest sampling variance is"
    ),
    "Fisher scoring algorithm may have gotten stuck at a local maximum.": "local maximum",
}
# metafor stops with these errors; evsynth fits anyway with a documented remedy and says so
ERROR_MAP = {
    "Value of 'tau2.max' too low.": "search for tau^2 was widened",
    "Fisher scoring algorithm did not converge.": "did not converge",
}


def compare_fit(
    cmp: Comparison, ds: dict[str, Any], f: dict[str, Any], yi: np.ndarray, vi: np.ndarray
) -> None:
    tag = f"{ds['name']} {f['method']}/{f['test']}/{f['level']:g}"
    res = rma(yi, vi, method=f["method"], test=f["test"], level=f["level"])
    for msg in f["warnings"]:
        for key, ours in WARNING_MAP.items():
            if msg.startswith(key) and not any(ours in w for w in res.warnings):
                cmp.failures.append(f"{tag}: metafor warns {key!r}, evsynth does not")
    if f["error"] is not None:
        key = next((k for k in ERROR_MAP if f["error"].startswith(k)), None)
        if key is None or not any(ERROR_MAP[key] in w for w in res.warnings):
            cmp.failures.append(f"{tag}: metafor stops ({f['error']}), evsynth silent")
        return
    rtol = RTOL_CLOSED if f["method"] in CLOSED else RTOL_ITER
    se = float(f["se"]) if f["se"] is not None else 0.0
    tiny = float(np.min(vi))
    assert res.k == f["k"], tag
    for name in ("estimate", "ci_lower", "ci_upper", "pi_lower", "pi_upper"):
        # a location is meaningful to within its standard error: 1e-8 of an SE is the unit
        cmp.check(name, getattr(res, name), f[name], rtol, se, tag)
    cmp.check("se", res.se, f["se"], rtol, 0.0, tag)
    cmp.check("statistic", res.statistic, f["statistic"], rtol, 1.0, tag)
    stat = float(f["statistic"]) if f["statistic"] is not None else 0.0
    # p-values below the smallest normal double (2.2e-308) are rounding noise in both programs
    cmp.check("p_value", res.p_value, f["p_value"], rtol * p_condition(stat), TINY_P, tag)
    # tau^2 lives on the scale of the sampling variances; 0 at the boundary in both programs
    cmp.check("tau2", res.tau2, f["tau2"], rtol, 1e-3 * tiny, tag)
    if f["tau2_se"] is not None or f["method"] != "FE":
        cmp.check("tau2_se", res.tau2_se, f["tau2_se"], rtol, 1e-3 * tiny, tag)
    cmp.check("I2", res.I2, f["I2"], rtol, 1e-3, tag)  # percent
    cmp.check("H2", res.H2, f["H2"], rtol, 1.0, tag)  # H2 >= 1
    cmp.check("Q", res.Q, f["Q"], rtol, 1.0, tag)
    q = float(f["Q"]) if f["Q"] is not None else 0.0
    cmp.check("Q_p", res.Q_p, f["Q_p"], rtol * q_condition(q), TINY_P, tag)
    if f["weights"] is not None:
        for a, e in zip(res.weights, _vector(f["weights"]), strict=True):
            cmp.check("weights", float(a), float(e), rtol, 1e-9, tag)
    if "tau2_ci" in f:
        for name, unit in (("tau2_ci", 1e-3 * tiny), ("tau_ci", math.sqrt(1e-3 * tiny))):
            iv = getattr(res, name)
            assert iv is not None, tag
            cmp.check(name + ".lb", iv.ci_lower, f[name][0], RTOL_ITER, unit, tag)
            cmp.check(name + ".ub", iv.ci_upper, f[name][1], RTOL_ITER, unit, tag)
        for name, unit in (("I2_ci", 1e-3), ("H2_ci", 1.0)):
            iv = getattr(res, name)
            assert iv is not None, tag
            cmp.check(name + ".lb", iv.ci_lower, f[name][0], RTOL_ITER, unit, tag)
            cmp.check(name + ".ub", iv.ci_upper, f[name][1], RTOL_ITER, unit, tag)


def _run(sample: int | None) -> Comparison:
    cmp = Comparison()
    for i, ds in enumerate(DATASETS):
        yi, vi = _vector(ds["yi"]), _vector(ds["vi"])
        for j, f in enumerate(ds["fits"]):
            # rotating sample: set i takes fits j = i (mod sample), so across the sets every
            # method/test/level combination is exercised
            if sample is None or j % sample == i % sample:
                compare_fit(cmp, ds, f, yi, vi)
    return cmp


def test_reference_has_the_edges() -> None:
    names = {d["name"] for d in DATASETS}
    assert {"k1", "identical_yi", "tau2_zero", "vi_six_orders"} <= names
    assert sum(len(d["fits"]) for d in DATASETS) == 54 * len(DATASETS)
    assert any(f["error"] for d in DATASETS for f in d["fits"]), "non-convergence cases"


def test_rma_matches_metafor_on_a_rotating_sample() -> None:
    _run(sample=20).assert_ok()


@pytest.mark.slow
def test_rma_matches_metafor_on_all_random_fits() -> None:
    _run(sample=None).assert_ok()


EDGES = {
    "k1", "k2_equal_vi", "identical_yi", "identical_yi_vi", "tau2_zero", "vi_six_orders",
    "huge_heterogeneity", "large_scale", "small_scale",
}  # fmt: skip


def test_k1_and_constructed_edges_match_metafor_in_every_fit() -> None:
    """k = 1 (21 random sets and one constructed), identical yi, tau^2 = 0 and the other edges:
    all 54 method/test/level combinations each, warnings and errors included."""
    cmp = Comparison()
    n = 0
    for ds in DATASETS:
        yi, vi = _vector(ds["yi"]), _vector(ds["vi"])
        if yi.size == 1 or ds["name"] in EDGES:
            n += 1
            for f in ds["fits"]:
                compare_fit(cmp, ds, f, yi, vi)
    assert n >= 25
    cmp.assert_ok()


def _heldout() -> list[dict[str, Any]]:
    path = REFERENCE / "metafor" / "audit_heldout.json"
    return list(json.loads(path.read_text())["datasets"])


def test_heldout_draw_matches_metafor_on_a_rotating_sample() -> None:
    """A second seed of the same generator, made after this file was written (audit_heldout.R):
    the same comparison, as on the held-out cases of issue 2."""
    cmp = Comparison()
    for i, ds in enumerate(_heldout()):
        yi, vi = _vector(ds["yi"]), _vector(ds["vi"])
        for j, f in enumerate(ds["fits"]):
            if j % 12 == i % 12:
                compare_fit(cmp, ds, f, yi, vi)
    cmp.assert_ok()


@pytest.mark.slow
def test_heldout_draw_matches_metafor_on_all_fits() -> None:
    cmp = Comparison()
    for ds in _heldout():
        yi, vi = _vector(ds["yi"]), _vector(ds["vi"])
        for f in ds["fits"]:
            compare_fit(cmp, ds, f, yi, vi)
    cmp.assert_ok()


def _exact_generalised_q(yi: np.ndarray, vi: np.ndarray, tau2: float) -> float:
    """Q(tau^2) = sum w (y - ybar_w)^2 with w = 1/(vi + tau^2), in exact rational arithmetic."""
    t = Fraction(float(tau2))
    w = [1 / (Fraction(float(v)) + t) for v in vi]
    y = [Fraction(float(a)) for a in yi]
    mean = sum(wi * a for wi, a in zip(w, y, strict=True)) / sum(w)
    return float(sum(wi * (a - mean) ** 2 for wi, a in zip(w, y, strict=True)))


def test_q_profile_is_exact_where_metafor_cancels() -> None:
    """Outcomes near 1e8 with variances near 1 (audit_offset.R): metafor forms Q(tau^2) through
    W - WX(X'WX)^-1X'W, whose terms are ~1e16 and cancel, so its Q-profile limits are off by up
    to 42 % (at level 50: [6.58, 17.20]). The limits are defined by Q(tau^2) = chi^2 quantiles
    (Viechtbauer 2007); evaluated exactly, evsynth's limits satisfy them and metafor's do not.
    A limit at the end of the search interval (0 or tau2.max = 100) must lie on the right side."""
    ref = json.loads((REFERENCE / "metafor" / "audit_offset.json").read_text())
    yi, vi = _vector(ref["yi"]), _vector(ref["vi"])
    k = yi.size
    for f in ref["fits"]:
        res = rma(yi, vi, method="DL", level=f["level"])
        assert res.tau2 == pytest.approx(f["tau2"], rel=1e-8)  # the point estimate agrees
        assert res.tau2_ci is not None
        alpha = 1 - f["level"] / 100
        targets = (chi2.ppf(1 - alpha / 2, k - 1), chi2.ppf(alpha / 2, k - 1))
        for ours, theirs, target in zip(
            (res.tau2_ci.ci_lower, res.tau2_ci.ci_upper), f["tau2_ci"], targets, strict=True
        ):
            q_ours = _exact_generalised_q(yi, vi, ours)
            if ours in (0.0, 100.0):  # the root lies beyond the search interval
                assert (q_ours < target) == (ours == 0.0), (f["level"], ours, q_ours, target)
            else:
                # uniroot's tolerance on tau^2 (~1e-4) moves Q by less than 1e-5 relative here
                assert q_ours == pytest.approx(target, rel=1e-5), (f["level"], ours)
            # metafor's limit misses the equation by 100 times its tolerance or more (by 4.7 % to
            # 48 % here, or lands on 0 where the root is 0.99)
            assert abs(_exact_generalised_q(yi, vi, theirs) - target) > 1e-3 * target


def test_unusual_levels_large_k_and_extreme_ratios_match_metafor() -> None:
    """Levels 50, 80 and 99.9; k = 100 and 300; variances spanning 1e12; k = 2 far apart; one
    dominant study (audit_levels.R): every method x test, Q-profile CIs included."""
    cmp = Comparison()
    for ds in json.loads((REFERENCE / "metafor" / "audit_levels.json").read_text())["datasets"]:
        yi, vi = _vector(ds["yi"]), _vector(ds["vi"])
        for f in ds["fits"]:
            compare_fit(cmp, ds, f, yi, vi)
    cmp.assert_ok()


def test_pm_estimate_solves_the_paule_mandel_equation() -> None:
    """Paule and Mandel (1982): tau^2 solves Q(tau^2) = k - 1 when Q(0) > k - 1.

    metafor finds the root with uniroot's absolute tolerance eps^0.25 (1.2e-4 in tau^2), so in
    9 of the 168 random sets with k >= 2 its PM tau^2 leaves Q(tau^2) more than 0.1 % from
    k - 1; here 9.5e-5 where the root is 1.60e-5. evsynth gives metafor's number with a warning
    naming the root, and the root itself with control={'strict_optimum': True}
    (tests/stats/test_tau2_optimum.py covers all 168 sets)."""
    ds = next(d for d in DATASETS if d["name"] == "escalc127_MD")
    yi, vi = _vector(ds["yi"]), _vector(ds["vi"])
    assert _exact_generalised_q(yi, vi, 0.0) > yi.size - 1  # a positive root exists
    default = rma(yi, vi, method="PM")
    assert any("solved by tau^2 = 1.59e-05" in w for w in default.warnings)
    res = rma(yi, vi, method="PM", control={"strict_optimum": True})
    assert _exact_generalised_q(yi, vi, res.tau2) == pytest.approx(yi.size - 1, rel=1e-3)


ML_OPTIMUM = json.loads((REFERENCE / "metafor" / "audit_ml_optimum.json").read_text())["sets"]


@pytest.mark.parametrize("case", ML_OPTIMUM, ids=[c["name"] for c in ML_OPTIMUM])
def test_ml_estimate_maximises_the_likelihood(case: dict[str, Any]) -> None:
    """metafor's Fisher scoring for ML starts at the HE estimate and stops when tau^2 changes by
    less than 1e-5 in absolute terms; with very precise studies the first step from a start at
    or near 0 is below that (or points out of the parameter space), so it stops far from the
    maximum: log-likelihood -205.15 at tau^2 = 6.3e-6 where -7.06 is reached at 0.0705
    (escalc089_ZCOR; escalc087_PFT, vi_six_orders: tau^2 = 0 instead of 0.080 and 0.312).
    evsynth gives metafor's number with a warning naming the maximum, and the maximum with
    control={'strict_optimum': True}."""
    default = rma(_vector(case["yi"]), _vector(case["vi"]), method="ML")
    assert any(f"at tau^2 = {case['max_tau2']:.4g}" in w for w in default.warnings)
    res = rma(
        _vector(case["yi"]), _vector(case["vi"]), method="ML", control={"strict_optimum": True}
    )
    assert res.fit_ml is not None
    # the maximum found by metafor's own likelihood with tau^2 fixed (audit_ml_optimum.R)
    assert res.fit_ml.loglik >= case["max_loglik"] - 1e-6, (res.tau2, case["max_tau2"])


@pytest.mark.parametrize("case", ML_OPTIMUM, ids=[c["name"] for c in ML_OPTIMUM])
def test_ml_replays_metafor_where_it_stops_early(case: dict[str, Any]) -> None:
    """By default evsynth gives metafor's number (and likelihood), with a warning."""
    res = rma(_vector(case["yi"]), _vector(case["vi"]), method="ML")
    assert res.tau2 == pytest.approx(case["metafor_tau2"], rel=1e-5, abs=1e-12)
    assert res.fit_ml is not None
    assert res.fit_ml.loglik == pytest.approx(case["metafor_loglik"], rel=1e-8)
