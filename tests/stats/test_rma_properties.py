"""Property-based tests: random valid inputs never crash; results do not depend on study order."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evsynth.stats.binary import rma_mh, rma_peto
from evsynth.stats.models import rma
from evsynth.stats.tau2 import METHODS

finite = st.floats(min_value=-20, max_value=20, allow_nan=False, allow_infinity=False)
variance = st.floats(min_value=1e-4, max_value=1e3, allow_nan=False, allow_infinity=False)


@st.composite
def studies(draw: st.DrawFn, min_k: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k = draw(st.integers(min_value=min_k, max_value=12))
    yi = np.array(draw(st.lists(finite, min_size=k, max_size=k)))
    vi = np.array(draw(st.lists(variance, min_size=k, max_size=k)))
    perm = np.array(draw(st.permutations(list(range(k)))))
    return yi, vi, perm


SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _same(a: float, b: float, rel: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-9)


@SETTINGS
@given(data=studies(), method=st.sampled_from(METHODS), test=st.sampled_from(["z", "knha"]))
def test_rma_never_crashes_and_is_order_invariant(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], method: str, test: str
) -> None:
    yi, vi, perm = data
    a = rma(yi, vi, method=method, test=test)
    b = rma(yi[perm], vi[perm], method=method, test=test)
    assert a.k == yi.size
    assert a.tau2 >= 0.0
    assert 0.0 <= a.I2 <= 100.0
    assert math.isclose(float(np.sum(a.weights)), 100.0, rel_tol=1e-9)
    # Iterative estimators stop within metafor's 1e-5 threshold, which can land at slightly
    # different points for a reordered input; closed forms agree to rounding.
    rel = 1e-6 if method in ("FE", "EE", "CE", "DL", "HE", "HS", "SJ") else 1e-3
    for name in ("estimate", "se", "tau2", "Q", "I2", "ci_lower", "ci_upper"):
        assert _same(getattr(a, name), getattr(b, name), rel), name
    np.testing.assert_allclose(a.weights[perm], b.weights, rtol=max(rel, 1e-6), atol=1e-9)


@SETTINGS
@given(data=studies(min_k=4), slope=finite)
def test_meta_regression_is_order_invariant(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], slope: float
) -> None:
    yi, vi, perm = data
    x = np.arange(yi.size, dtype=float) + slope
    a = rma(yi, vi, mods=x, method="DL")
    b = rma(yi[perm], vi[perm], mods=x[perm], method="DL")
    np.testing.assert_allclose(a.coefficients, b.coefficients, rtol=1e-6, atol=1e-9)
    assert _same(a.QM, b.QM, 1e-6)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[np.ndarray], np.ndarray]:
    k = draw(st.integers(min_value=1, max_value=10))
    n1 = np.array(draw(st.lists(st.integers(1, 200), min_size=k, max_size=k)), dtype=float)
    n2 = np.array(draw(st.lists(st.integers(1, 200), min_size=k, max_size=k)), dtype=float)
    a = np.array([draw(st.integers(0, int(n))) for n in n1], dtype=float)
    c = np.array([draw(st.integers(0, int(n))) for n in n2], dtype=float)
    perm = np.array(draw(st.permutations(list(range(k)))))
    return [a, n1 - a, c, n2 - c], perm


@SETTINGS
@given(data=tables(), measure=st.sampled_from(["OR", "RR", "RD"]))
def test_mantel_haenszel_never_crashes_and_is_order_invariant(
    data: tuple[list[np.ndarray], np.ndarray], measure: str
) -> None:
    cells, perm = data
    a = rma_mh(*cells, measure=measure)
    b = rma_mh(*[c[perm] for c in cells], measure=measure)
    for name in ("estimate", "se", "Q", "I2"):
        assert _same(getattr(a, name), getattr(b, name), 1e-9), name


@SETTINGS
@given(data=tables())
def test_peto_is_order_invariant(data: tuple[list[np.ndarray], np.ndarray]) -> None:
    cells, perm = data
    if not np.any((cells[0] + cells[2] > 0) & (cells[1] + cells[3] > 0)):
        return  # no informative table: Peto's OR is undefined and rejected as input
    a = rma_peto(*cells)
    b = rma_peto(*[c[perm] for c in cells])
    for name in ("estimate", "se", "Q"):
        assert _same(getattr(a, name), getattr(b, name), 1e-9), name


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=studies(min_k=2), method=st.sampled_from(["FE", "DL", "REML", "PM"]))
def test_diagnostics_never_crash(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], method: str
) -> None:
    from evsynth.stats.influence import cumul, influence, leave1out

    yi, vi, perm = data
    res = rma(yi, vi, method=method)
    assert len(leave1out(res).to_frame()) == yi.size
    assert len(influence(res).to_frame()) == yi.size
    cu = cumul(res, order=list(perm))
    # the last cumulative fit is the full model
    assert _same(float(cu.estimate[-1]), res.estimate, 1e-3)


extreme_variance = st.floats(min_value=1e-14, max_value=1e8, allow_nan=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    k=st.integers(min_value=1, max_value=8),
    data=st.data(),
    method=st.sampled_from(METHODS),
    test=st.sampled_from(["z", "knha"]),
)
def test_extreme_variances_give_a_result_or_an_input_error(
    k: int, data: st.DataObject, method: str, test: str
) -> None:
    # Variances up to 22 orders of magnitude apart: the fit either works (strict JSON out) or
    # says plainly that the data cannot be pooled stably; never a traceback.
    from evsynth.errors import InputError

    yi = np.array(data.draw(st.lists(finite, min_size=k, max_size=k)))
    vi = np.array(data.draw(st.lists(extreme_variance, min_size=k, max_size=k)))
    try:
        res = rma(yi, vi, method=method, test=test)
    except InputError as exc:
        assert "could not be fitted" in str(exc)
        return
    import json

    json.dumps(res.to_dict(), allow_nan=False)
    assert res.tau2 >= 0.0


@st.composite
def extreme_tables(draw: st.DrawFn) -> list[np.ndarray]:
    # large trials, rare or universal events, all-zero arms: where sparse-data formulas break
    k = draw(st.integers(min_value=1, max_value=6))
    n1 = np.array(draw(st.lists(st.integers(1, 10**6), min_size=k, max_size=k)), dtype=float)
    n2 = np.array(draw(st.lists(st.integers(1, 10**6), min_size=k, max_size=k)), dtype=float)
    share = st.sampled_from([0.0, 1e-5, 0.5, 1.0])
    a = np.floor(n1 * np.array(draw(st.lists(share, min_size=k, max_size=k))))
    c = np.floor(n2 * np.array(draw(st.lists(share, min_size=k, max_size=k))))
    return [a, n1 - a, c, n2 - c]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=extreme_tables(), measure=st.sampled_from(["OR", "RR", "RD"]))
def test_sparse_and_saturated_tables_never_crash(cells: list[np.ndarray], measure: str) -> None:
    import json

    res = rma_mh(*cells, measure=measure)
    json.dumps(res.to_dict(), allow_nan=False)
    assert res.summary()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=studies(min_k=3),
    groups=st.lists(st.sampled_from(["a", "b", "c"]), min_size=12, max_size=12),
    method=st.sampled_from(["FE", "DL", "REML"]),
)
def test_subgroups_never_crash_and_are_order_invariant(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], groups: list[str], method: str
) -> None:
    from evsynth.errors import InputError
    from evsynth.stats.regression import subgroups

    yi, vi, perm = data
    g = groups[: yi.size]
    try:
        a = subgroups(yi, vi, g, method=method)
    except InputError:
        assert len(set(g)) < 2  # the only refusal: a single subgroup
        return
    b = subgroups(yi[perm], vi[perm], [g[i] for i in perm], method=method)
    assert a.levels == b.levels
    rel = 1e-6 if method in ("FE", "DL") else 1e-3
    assert _same(a.Q_between, b.Q_between, rel)
    for fa, fb in zip(a.fits, b.fits, strict=True):
        assert _same(fa.estimate, fb.estimate, rel)
    assert len(a.to_frame()) == len(a.levels) + 1
