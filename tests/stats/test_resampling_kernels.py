"""The batched kernels give what rma gives, model by model (random data, every estimator)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from evsynth.stats.models import rma
from evsynth.stats.resampling.kernels import fit_batch

METHODS = ["FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM"]
FIELDS = ["estimate", "se", "statistic", "tau2", "Q", "I2", "H2"]


@pytest.mark.parametrize("test", ["z", "knha"])
@pytest.mark.parametrize("method", METHODS)
def test_masked_rows_equal_rma_on_the_subset(method: str, test: str) -> None:
    rng = np.random.default_rng(zlib.crc32(f"{method}-{test}".encode()))
    for _ in range(6):
        k = int(rng.integers(2, 14))
        y = rng.normal(0.3, 0.6, k)
        v = rng.uniform(0.01, 0.5, k)
        mask = rng.random((8, k)) < 0.6
        mask[:, 0] = True
        bf = fit_batch(y, v, method=method, test=test, mask=mask)
        for i in range(mask.shape[0]):
            r = rma(y[mask[i]], v[mask[i]], method=method, test=test)
            for name in FIELDS:
                # same formulas and iterations; only floating-point rounding differs (< 1e-12)
                np.testing.assert_allclose(
                    getattr(bf, name)[i], getattr(r, name), rtol=1e-10, atol=1e-12, err_msg=name
                )
            np.testing.assert_allclose(bf.p_values()[i, 0], r.p_value, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("test", ["z", "knha"])
@pytest.mark.parametrize("method", METHODS)
def test_permuted_moderators_equal_rma(method: str, test: str) -> None:
    rng = np.random.default_rng(7)
    k = 11
    y = rng.normal(0.2, 0.5, k)
    v = rng.uniform(0.02, 0.3, k)
    X = np.column_stack([np.ones(k), rng.normal(size=k), rng.integers(0, 2, k)])
    perms = np.array([rng.permutation(k) for _ in range(5)])
    bf = fit_batch(y, v, method=method, test=test, X=X[perms])
    for i, perm in enumerate(perms):
        r = rma(y, v, mods=X[perm][:, 1:], method=method, test=test)
        np.testing.assert_allclose(bf.coefficients[i], r.coefficients, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(bf.coef_se[i], r.coef_se, rtol=1e-10)
        np.testing.assert_allclose(bf.QM[i], r.QM, rtol=1e-10)
        np.testing.assert_allclose([bf.tau2[i], bf.Q[i], bf.I2[i]], [r.tau2, r.Q, r.I2],
                                   rtol=1e-10, atol=1e-12)  # fmt: skip


def test_per_row_variances_and_outcomes() -> None:
    """Bootstrap rows carry their own yi and vi."""
    rng = np.random.default_rng(3)
    Y = rng.normal(size=(4, 7))
    V = rng.uniform(0.05, 0.2, (4, 7))
    bf = fit_batch(Y, V, method="REML")
    for i in range(4):
        r = rma(Y[i], V[i], method="REML")
        assert bf.estimate[i] == pytest.approx(r.estimate, rel=1e-12)
        assert bf.tau2[i] == pytest.approx(r.tau2, rel=1e-10, abs=1e-14)


def test_single_study_rows_are_fixed_effect_and_knha_falls_back_to_z() -> None:
    mask = np.array([[True, False, False], [True, True, True]])
    bf = fit_batch([0.1, 0.5, -0.2], [0.1, 0.2, 0.3], method="REML", test="knha", mask=mask)
    r = rma([0.1], [0.1], method="REML", test="knha")
    assert bf.tau2[0] == 0.0 and bf.I2[0] == 0.0 and bf.H2[0] == 1.0
    assert not bf.knha[0] and bf.knha[1]
    assert bf.p_values()[0, 0] == pytest.approx(r.p_value, rel=1e-12)


def test_extreme_variance_ratios_stay_finite_and_close_to_rma() -> None:
    """Variances 16 orders of magnitude apart (rare events, huge trials beside tiny ones)."""
    rng = np.random.default_rng(11)
    for _ in range(40):
        k = int(rng.integers(3, 10))
        v = 10.0 ** rng.uniform(-8, 8, k)
        y = rng.normal(0, 1, k) * np.sqrt(v) + rng.normal(0, 2)
        for method in ("FE", "DL", "HE", "HS", "SJ", "PM", "ML", "REML", "EB"):
            bf = fit_batch(y, v, method=method)
            assert np.isfinite(bf.estimate[0]) and bf.tau2[0] >= 0.0
            if method in ("ML", "REML", "EB"):
                # Fisher scoring stops at a change below 1e-5; with weights 1e16 apart the
                # rounding of either implementation can decide one more or one less step,
                # so only the closed forms are compared
                continue
            r = rma(y, v, method=method)
            # closed forms: the leverage complements are computed without cancellation on both
            # sides; what remains is rounding amplified by the weight ratio (measured 1e-8)
            np.testing.assert_allclose(bf.estimate[0], r.estimate, rtol=1e-7, atol=1e-12)
            np.testing.assert_allclose(bf.tau2[0], r.tau2, rtol=1e-7, atol=1e-12 * v.min())


def test_step_halving_in_one_go_equals_halving_one_step_at_a_time() -> None:
    """The engine halves a Fisher step until tau^2 stays >= 0; the closed form must give the
    same bits (including -0.0 from tau^2 = 0)."""
    from evsynth.stats.resampling.kernels import halve_into_range

    rng = np.random.default_rng(0)
    n = 20_000
    t = np.abs(rng.normal(size=n)) * 10.0 ** rng.integers(-12, 3, n)
    t[::7] = 0.0
    adj = -np.abs(rng.normal(size=n)) * 10.0 ** rng.integers(-12, 12, n)
    adj[::5] *= -1
    t[:2], adj[:2] = 1.0, [-2.0, -1.0]  # exactly on the boundary
    got = halve_into_range(t, adj)
    expected = adj.copy()
    for i in range(n):
        a = adj[i]
        while t[i] + a < 0.0:
            a /= 2.0
        expected[i] = a
    assert np.array_equal(got, expected)
    assert np.array_equal(np.signbit(got), np.signbit(expected))
