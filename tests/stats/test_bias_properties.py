"""Property-based checks of the bias diagnostics: random valid inputs never crash, and the
answers do not depend on the order in which the studies are listed."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from evsynth.errors import InputError
from evsynth.stats.bias import kendall_test, ranktest, regtest, trimfill
from evsynth.stats.models import rma

finite = st.floats(-5.0, 5.0, allow_nan=False, allow_infinity=False)
variance = st.floats(0.001, 2.0, allow_nan=False, allow_infinity=False)


@st.composite
def studies(draw: st.DrawFn, min_k: int = 4, max_k: int = 25) -> tuple[np.ndarray, np.ndarray]:
    k = draw(st.integers(min_k, max_k))
    yi = np.array(draw(st.lists(finite, min_size=k, max_size=k)))
    vi = np.array(draw(st.lists(variance, min_size=k, max_size=k)))
    return yi, vi


@settings(max_examples=40, deadline=None)
@given(data=studies(), seed=st.integers(0, 2**31 - 1))
def test_egger_and_begg_are_invariant_to_study_order(
    data: tuple[np.ndarray, np.ndarray], seed: int
) -> None:
    yi, vi = data
    # Egger's regression needs differing standard errors (else sei is collinear with the
    # intercept, and metafor refuses too)
    assume(float(np.ptp(np.sqrt(vi))) > 1e-3)
    perm = np.random.default_rng(seed).permutation(yi.size)
    a = rma(yi, vi, method="DL")
    b = rma(yi[perm], vi[perm], method="DL")

    def same(x: float, y: float, rel: float, abs_: float) -> bool:
        # an exact fit gives NaN statistics (as R); NaN must then be NaN in both orders
        return (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=rel, abs_tol=abs_)

    ea, eb = regtest(a), regtest(b)
    assert same(ea.statistic, eb.statistic, 1e-8, 1e-10)
    la, lb = regtest(a, model="lm"), regtest(b, model="lm")
    assert same(la.p_value, lb.p_value, 1e-8, 1e-12)
    ra, rb = ranktest(a), ranktest(b)
    assert same(ra.tau, rb.tau, 0.0, 1e-12)
    assert same(ra.p_value, rb.p_value, 1e-9, 1e-15)
    assert math.isnan(ra.tau) or (0.0 <= ra.p_value <= 1.0 and -1.0 <= ra.tau <= 1.0)


@settings(max_examples=40, deadline=None)
@given(data=studies(min_k=3), estimator=st.sampled_from(["L0", "R0"]))
def test_trimfill_never_crashes_and_fills_mirror_images(
    data: tuple[np.ndarray, np.ndarray], estimator: str
) -> None:
    yi, vi = data
    res = rma(yi, vi, method="FE")
    try:
        tf = trimfill(res, estimator=estimator, side="left")
    except InputError as exc:
        # metafor stops the same way when the estimate of k0 oscillates
        assert "did not converge" in exc.message
        return
    assert 0 <= tf.k0 < yi.size
    assert tf.fit.k == yi.size + tf.k0
    assert int(tf.filled.sum()) == tf.k0
    # the filled studies copy the variances of existing studies
    assert set(np.round(tf.vi[tf.filled], 12)) <= set(np.round(vi, 12))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 6), seed=st.integers(0, 2**31 - 1))
def test_kendall_exact_p_equals_enumeration(n: int, seed: int) -> None:
    """The exact two-sided p is the share of all n! orderings with |S| at least as large."""
    from itertools import permutations

    x = np.random.default_rng(seed).permutation(n).astype(float)
    y = np.arange(n, dtype=float)
    tau, p, exact = kendall_test(x, y)
    assert exact
    s = abs(tau)
    taus = [kendall_test(np.array(perm, dtype=float), y)[0] for perm in permutations(range(n))]
    extreme = sum(abs(t) >= s - 1e-12 for t in taus)
    assert math.isclose(p, extreme / math.factorial(n), rel_tol=1e-12)
