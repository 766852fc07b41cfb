"""ML/REML/EB/PM estimates checked against their defining equations (evsynth.stats._tau2_optimum).

metafor's absolute stopping rules (Fisher scoring: a change below 1e-5 in tau^2; PM: uniroot
within ~1.2e-4) can stop far from the optimum on data of small scale. evsynth keeps metafor's
number by default, warns with the true optimum, and gives it with control={'strict_optimum': True}.

References: the audit's failing sets (reference/metafor/audit_ml_optimum.json: metafor's own
log-likelihood maximised by optimize), metafor run with tight stopping rules on all 168 random
sets of audit_rma.json (reference/metafor/h12_tight_optimum.json), and the definitions: the
score equation of the (restricted) likelihood (Viechtbauer 2005) and Q(tau^2) = k - p (Paule and
Mandel 1982), both evaluated here independently of evsynth's code.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evsynth.errors import InputError
from evsynth.stats._tau2_optimum import SCORE_TOL, check_tau2, score_information
from evsynth.stats.models import rma
from helpers import REFERENCE

ML_OPTIMUM = json.loads((REFERENCE / "metafor" / "audit_ml_optimum.json").read_text())["sets"]
TIGHT = json.loads((REFERENCE / "metafor" / "h12_tight_optimum.json").read_text())["sets"]
STRICT = {"strict_optimum": True}
MISSED = "evsynth reports metafor's number"


def _vec(x: Any) -> np.ndarray:
    return np.atleast_1d(np.array(x, dtype=np.float64))


def _exact_q(yi: np.ndarray, vi: np.ndarray, tau2: float) -> float:
    """Cochran's generalised Q in exact rational arithmetic (no rounding at all)."""
    w = [1 / (Fraction(float(v)) + Fraction(float(tau2))) for v in vi]
    y = [Fraction(float(a)) for a in yi]
    mean = sum(wi * a for wi, a in zip(w, y, strict=True)) / sum(w)
    return float(sum(wi * (a - mean) ** 2 for wi, a in zip(w, y, strict=True)))


def _ml_score(yi: np.ndarray, vi: np.ndarray, tau2: float, reml: bool) -> tuple[float, float]:
    """d logL / d tau^2 and the SE of tau^2, from the textbook formulas (intercept only).

    ML: 1/2 sum w_i^2 (y_i - mu)^2 - 1/2 sum w_i. REML adds the derivative of -1/2 log sum w_i,
    i.e. + 1/2 sum w_i^2 / sum w_i. SE from the expected information: 1/2 sum w_i^2 (ML),
    1/2 tr(PP) = 1/2 (sum w^2 - 2 sum w^3 / W + (sum w^2 / W)^2) with W = sum w (REML).
    """
    w = 1.0 / (vi + tau2)
    mu = float(np.sum(w * yi) / np.sum(w))
    u = 0.5 * float(np.sum(w**2 * (yi - mu) ** 2)) - 0.5 * float(np.sum(w))
    if reml:
        total = float(np.sum(w))
        u += 0.5 * float(np.sum(w**2)) / total
        info = float(np.sum(w**2) - 2 * np.sum(w**3) / total + (np.sum(w**2) / total) ** 2)
        return u, math.sqrt(2.0 / info)
    return u, math.sqrt(2.0 / float(np.sum(w**2)))


# ------------------------------------------------------------------ the audit's failing ML sets
@pytest.mark.parametrize("case", ML_OPTIMUM, ids=[c["name"] for c in ML_OPTIMUM])
def test_ml_that_stops_early_warns_with_the_maximum(case: dict[str, Any]) -> None:
    """Default: metafor's tau^2 (unchanged) plus a warning that names the maximum metafor's own
    likelihood reaches (optimize() in R, audit_ml_optimum.R) to its printed 4 digits."""
    res = rma(_vec(case["yi"]), _vec(case["vi"]), method="ML")
    assert res.tau2 == pytest.approx(case["metafor_tau2"], rel=1e-5, abs=1e-12)
    missed = [w for w in res.warnings if MISSED in w]
    assert len(missed) == 1, res.warnings
    assert f"at tau^2 = {case['max_tau2']:.4g}" in missed[0]
    assert f"log-likelihood {case['max_loglik']:.6g}" in missed[0]
    assert "control={'strict_optimum': True}" in missed[0]
    assert res.tau2_check is not None and not res.tau2_check.ok


@pytest.mark.parametrize("case", ML_OPTIMUM, ids=[c["name"] for c in ML_OPTIMUM])
def test_strict_optimum_reaches_the_maximum(case: dict[str, Any]) -> None:
    res = rma(_vec(case["yi"]), _vec(case["vi"]), method="ML", control=STRICT)
    assert res.fit_ml is not None
    # R's optimize() locates a maximum only to ~sqrt(eps) relative (the likelihood is flat
    # there), so tau^2 agrees to 1e-6; the log-likelihood, flat at the maximum, to 1e-9
    assert res.tau2 == pytest.approx(case["max_tau2"], rel=1e-6)
    assert res.fit_ml.loglik == pytest.approx(case["max_loglik"], abs=1e-9)
    assert res.fit_ml.loglik >= case["max_loglik"] - 1e-9
    # the note says which value metafor's rule gives instead; no "missed" warning any more
    assert any("control strict_optimum" in w for w in res.warnings)
    assert not any(MISSED in w for w in res.warnings)


@pytest.mark.parametrize("case", ML_OPTIMUM, ids=[c["name"] for c in ML_OPTIMUM])
def test_strict_ml_solves_the_score_equation(case: dict[str, Any]) -> None:
    """The definition: at an interior maximum the score is 0 (here below 1e-8 of a standard
    error of tau^2, i.e. relative double-precision noise of the sums)."""
    yi, vi = _vec(case["yi"]), _vec(case["vi"])
    res = rma(yi, vi, method="ML", control=STRICT)
    assert res.tau2 > 0
    u, se = _ml_score(yi, vi, res.tau2, reml=False)
    assert abs(u) * se < 1e-8


# ------------------------------------------------------------------ PM: Q(tau^2) = k - 1
def test_pm_that_misses_its_root_warns_and_strict_solves_it() -> None:
    """escalc127_MD (the audit's xfail): metafor's PM gives 9.5e-5 where Q(tau^2) = k - 1 is
    solved by 1.59e-5 (metafor's own EB, the same equation, finds it)."""
    ds = next(d for d in TIGHT if d["name"] == "escalc127_MD")
    yi, vi = _vec(ds["yi"]), _vec(ds["vi"])
    k = yi.size
    res = rma(yi, vi, method="PM")
    assert res.tau2 == pytest.approx(ds["fits"]["PM"]["default_tau2"], rel=1e-5)
    missed = [w for w in res.warnings if MISSED in w]
    assert len(missed) == 1
    root = ds["fits"]["PM"]["tight_tau2"]
    assert f"solved by tau^2 = {root:.4g}" in missed[0]
    assert f"asks for {k - 1}" in missed[0]
    strict = rma(yi, vi, method="PM", control=STRICT)
    # Q in exact arithmetic at evsynth's root: k - 1 to 1e-10 (the root is found to ~1e-16
    # relative; Q's slope there is of order k / tau^2... well within 1e-10)
    assert _exact_q(yi, vi, strict.tau2) == pytest.approx(k - 1, rel=1e-10)
    assert strict.tau2 == pytest.approx(root, rel=1e-8)


# ------------------------------------------------------------------ all 168 random sets
def _fit_pairs() -> list[tuple[str, str]]:
    return [(s["name"], m) for s in TIGHT for m in s["fits"]]


def test_the_warning_marks_exactly_the_estimates_that_miss_their_equation() -> None:
    """On every random set (168) and ML/REML/EB/PM: a warning iff the definition fails.

    PM/EB: |Q(tau^2) - (k-1)| > 0.1 % of k - 1 in exact arithmetic (tau^2 = 0 with Q(0) <= k-1
    is the boundary solution). ML/REML: metafor's estimate more than 2e-3 standard errors of
    tau^2 from the maximum (evsynth's strict optimum, whose likelihood is never below metafor's
    under tight rules) -> must warn; a warning -> more than 0.5e-3 from it (the check's 1e-3 is a
    first-order distance). The counts are the audit's: PM 9 of 168."""
    counts = {"ML": 0, "REML": 0, "EB": 0, "PM": 0}
    for s in TIGHT:
        yi, vi = _vec(s["yi"]), _vec(s["vi"])
        k = yi.size
        for m, f in s["fits"].items():
            res = rma(yi, vi, method=m)
            warned = any(MISSED in w for w in res.warnings)
            counts[m] += warned
            tag = (s["name"], m, res.tau2)
            if m in ("PM", "EB"):
                q = _exact_q(yi, vi, res.tau2)
                boundary = res.tau2 == 0 and q <= k - 1
                assert warned == (abs(q - (k - 1)) > 1e-3 * (k - 1) and not boundary), tag
                continue
            strict = rma(yi, vi, method=m, control=STRICT)
            stats = strict.fit_reml if m == "REML" else strict.fit_ml
            assert stats is not None
            assert stats.loglik >= f["tight_loglik"] - 1e-9, tag
            _u, se = _ml_score(yi, vi, strict.tau2, reml=m == "REML")
            distance = abs(res.tau2 - strict.tau2) / se
            if distance > 2 * SCORE_TOL:
                assert warned, tag
            if warned:
                assert distance > 0.5 * SCORE_TOL, tag
    assert counts["PM"] == 9
    # measured: ML 8 (among them all 6 sets with k >= 3 and a log-likelihood gap above 1e-6, as
    # the audit counted), REML 2 (the audit's 2), EB 3
    assert counts == {"ML": 8, "REML": 2, "EB": 3, "PM": 9}


@pytest.mark.parametrize(("name", "method"), _fit_pairs()[::7])
def test_strict_optimum_agrees_with_metafor_under_tight_rules(name: str, method: str) -> None:
    """metafor with threshold 1e-12 / tol 1e-14 reaches the optimum itself: evsynth's strict
    tau^2 agrees to 1e-5 relative to max(tau^2, 1e-3 of the smallest vi) (metafor's absolute
    threshold 1e-12 still leaves ~5e-6 at tau^2 = 5e-9, set small_scale), and its likelihood is
    never lower (it is higher where metafor stays at a local maximum at 0)."""
    s = next(d for d in TIGHT if d["name"] == name)
    f = s["fits"][method]
    yi, vi = _vec(s["yi"]), _vec(s["vi"])
    res = rma(yi, vi, method=method, control=STRICT)
    if method in ("ML", "REML"):
        stats = res.fit_reml if method == "REML" else res.fit_ml
        assert stats is not None
        assert stats.loglik >= f["tight_loglik"] - 1e-9
        if stats.loglik > f["tight_loglik"] + 1e-9:
            return  # metafor's Fisher scoring stayed at a lower local maximum
    unit = max(f["tight_tau2"], 1e-3 * float(np.min(vi)))
    assert abs(res.tau2 - f["tight_tau2"]) <= 1e-5 * unit, (res.tau2, f["tight_tau2"])


def test_strict_optimum_on_every_set_never_lowers_the_likelihood() -> None:
    worst = 0.0
    for s in TIGHT:
        yi, vi = _vec(s["yi"]), _vec(s["vi"])
        for m in ("ML", "REML"):
            if m not in s["fits"]:
                continue
            res = rma(yi, vi, method=m, control=STRICT)
            stats = res.fit_reml if m == "REML" else res.fit_ml
            assert stats is not None
            worst = max(worst, s["fits"][m]["tight_loglik"] - stats.loglik)
    assert worst <= 1e-9


# ------------------------------------------------------------------ scale equivariance
@pytest.mark.parametrize("method", ["ML", "REML", "EB", "PM"])
def test_strict_optimum_is_scale_equivariant(method: str) -> None:
    """Multiplying yi by c and vi by c^2 multiplies the exact tau^2 by c^2 (the audit's xfail
    case escalc058_ROM at c = 0.1, where metafor's ML gives 1.66e-6 instead of 1.66e-3), and
    the default warns at the small scale."""
    ds = next(d for d in TIGHT if d["name"] == "escalc058_ROM")
    yi, vi = _vec(ds["yi"]), _vec(ds["vi"])
    for c in (0.1, 1e-2, 1e3):
        a = rma(yi, vi, method=method, control=STRICT)
        b = rma(c * yi, c * c * vi, method=method, control=STRICT)
        # both solved to ~1e-14 relative; 1e-9 leaves room for the rounding of c * yi
        assert b.tau2 / c**2 == pytest.approx(a.tau2, rel=1e-9)
    if method == "ML":
        small = rma(0.1 * yi, 0.01 * vi, method="ML")
        assert any(MISSED in w for w in small.warnings)


# ------------------------------------------------------------------ pieces and meta-regression
def test_score_and_information_match_the_textbook_formulas() -> None:
    ds = next(d for d in TIGHT if d["name"] == "escalc058_ROM")
    yi, vi = _vec(ds["yi"]), _vec(ds["vi"])
    y = yi - yi.mean()
    X = np.ones((yi.size, 1))
    for reml in (False, True):
        for t in (0.0, 0.01, 0.3):
            u, info = score_information("REML" if reml else "ML", t, y, vi, X)
            u_ref, se = _ml_score(yi, vi, t, reml)
            assert u == pytest.approx(u_ref, rel=1e-10, abs=1e-10 / se)
            if not reml:
                assert 1 / math.sqrt(info) == pytest.approx(se, rel=1e-12)
    # a constant column other than 1 is the same model
    for m in ("ML", "REML"):
        assert score_information(m, 0.05, y, vi, 2.0 * X) == pytest.approx(
            score_information(m, 0.05, y, vi, X), rel=1e-10
        )


def _reml_loglik(yi: np.ndarray, vi: np.ndarray, X: np.ndarray, tau2: float) -> float:
    """The restricted log-likelihood from its definition (up to a constant)."""
    w = 1.0 / (vi + tau2)
    xwx = X.T @ (w[:, None] * X)
    beta = np.linalg.solve(xwx, X.T @ (w * yi))
    r = yi - X @ beta
    return float(
        -0.5 * np.sum(np.log(vi + tau2)) - 0.5 * np.linalg.slogdet(xwx)[1] - 0.5 * np.sum(w * r * r)
    )


def test_meta_regression_is_checked_and_solved() -> None:
    """With a moderator the same check runs through the QR projection: a small-scale
    meta-regression (escalc058_ROM x 0.1 with a covariate) stops early under metafor's rule,
    warns, and the strict fit satisfies the REML score equation (finite differences of the
    restricted log-likelihood metafor prints)."""
    ds = next(d for d in TIGHT if d["name"] == "escalc058_ROM")
    yi, vi = 0.1 * _vec(ds["yi"]), 0.01 * _vec(ds["vi"])
    x = np.arange(yi.size, dtype=float)
    strict = rma(yi, vi, mods=x, method="REML", control=STRICT)
    assert strict.tau2 > 0
    assert strict.tau2_check is not None
    X = np.column_stack([np.ones(yi.size), x])
    t = strict.tau2
    h = 1e-5 * t
    slope = (_reml_loglik(yi, vi, X, t + h) - _reml_loglik(yi, vi, X, t - h)) / (2 * h)
    # central differences are accurate to ~1e-9 relative here; in standard errors of tau^2 the
    # slope must vanish to that order (metafor's own stop leaves it at about 0.5)
    assert abs(slope) * strict.tau2_se < 1e-6
    chk = check_tau2("REML", t, yi - yi.mean(), vi, X, yi)
    assert chk is not None and chk.discrepancy < 1e-8
    default = rma(yi, vi, mods=x, method="REML")
    if default.tau2_check is not None and not default.tau2_check.ok:
        assert any(MISSED in w for w in default.warnings)
        assert default.tau2_check.optimum_tau2 == pytest.approx(strict.tau2, rel=1e-10)


def test_ordinary_data_get_no_warning() -> None:
    """dat.bcg (metafor's reference data): every checked estimator passes, so no new warning."""
    bcg = json.loads((REFERENCE / "metafor" / "rma_regression.json").read_text())
    for m in ("ML", "REML", "EB", "PM"):
        res = rma(np.array(bcg["yi"]), np.array(bcg["vi"]), method=m)
        assert res.tau2_check is not None and res.tau2_check.ok, m
        assert not any(MISSED in w for w in res.warnings)


# ------------------------------------------------------------------ never breaks a fit
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    rows=st.lists(st.tuples(st.floats(-1e6, 1e6), st.floats(1e-12, 1e8)), min_size=2, max_size=12),
    method=st.sampled_from(["ML", "REML", "EB", "PM"]),
)
def test_random_data_never_fail_and_strict_never_lowers_the_likelihood(
    rows: list[tuple[float, float]], method: str
) -> None:
    """Outcomes from -1e6 to 1e6 and variances from 1e-12 to 1e8: the check never turns a fit
    into an error, and the strict optimum's (restricted) likelihood is never below metafor's
    (to 1e-9 relative: the likelihoods are sums of terms up to ~1e18)."""
    yi = np.array([r[0] for r in rows])
    vi = np.array([r[1] for r in rows])
    try:
        default = rma(yi, vi, method=method)
    except InputError:
        return  # data beyond double precision (variances 1e20 apart): refused as before
    strict = rma(yi, vi, method=method, control=STRICT)
    assert math.isfinite(strict.tau2) and strict.tau2 >= 0
    if method in ("ML", "REML"):
        a = default.fit_reml if method == "REML" else default.fit_ml
        b = strict.fit_reml if method == "REML" else strict.fit_ml
        assert a is not None and b is not None
        assert b.loglik >= a.loglik - 1e-9 * max(1.0, abs(a.loglik))
