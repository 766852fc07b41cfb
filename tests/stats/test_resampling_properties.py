"""Properties that hold whatever the data (hypothesis): symmetry of the sign-flip distribution,
invariance of exact tests and of GOSH to the order of the studies, bootstrap determinism."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from evsynth.stats.models import rma
from evsynth.stats.resampling.gosh import gosh
from evsynth.stats.resampling.permutation import permutation_test

studies = st.integers(min_value=3, max_value=8).flatmap(
    lambda k: st.tuples(
        st.lists(st.floats(-3, 3, allow_nan=False), min_size=k, max_size=k),
        st.lists(st.floats(0.005, 2.0, allow_nan=False), min_size=k, max_size=k),
        st.permutations(list(range(k))),
    )
)
methods = st.sampled_from(["FE", "DL", "REML", "PM", "SJ"])


@settings(max_examples=25, deadline=None)
@given(studies, methods)
def test_sign_flips_are_symmetric_and_order_free(data: tuple, method: str) -> None:
    y, v, order = (np.asarray(x, dtype=float) for x in data)
    order = order.astype(int)
    pt = permutation_test(rma(y, v, method=method), exact=True)
    z = pt.statistic_perm[:, 0]
    # flipping every sign negates the statistic: permutation i and its complement
    np.testing.assert_allclose(z, -z[::-1], rtol=1e-9, atol=1e-9)
    shuffled = permutation_test(rma(y[order], v[order], method=method), exact=True)
    assert shuffled.p_value == pt.p_value
    assert 1 / 2 ** len(y) <= pt.p_value <= 1


@settings(max_examples=20, deadline=None)
@given(studies, methods)
def test_gosh_values_do_not_depend_on_study_order(data: tuple, method: str) -> None:
    y, v, order = (np.asarray(x, dtype=float) for x in data)
    order = order.astype(int)
    a = gosh(rma(y, v, method=method))
    b = gosh(rma(y[order], v[order], method=method))
    # the same subsets, found under other row numbers: compare rows keyed by their studies
    key_a = {tuple(np.flatnonzero(r)): i for i, r in enumerate(a.incl)}
    # closed forms agree to rounding; REML and PM stop at a tolerance (Fisher scoring at a change
    # of 1e-5, uniroot at 1.2e-4), and a different summation order can stop them one step apart
    atol = 1e-10 if method in ("FE", "DL", "SJ") else 2e-4
    for j, r in enumerate(b.incl):
        i = key_a[tuple(sorted(order[np.flatnonzero(r)]))]
        assert np.isclose(b.estimate[j], a.estimate[i], rtol=1e-9, atol=atol)
        assert np.isclose(b.tau2[j], a.tau2[i], rtol=1e-9, atol=atol)
