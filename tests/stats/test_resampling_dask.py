"""The resampling chunks on a Dask cluster give exactly the local results.

A LocalCluster of two worker processes (one thread each) stands in for a real cluster: the
chunks are pickled, shipped and run in other processes, and gathered in chunk order.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from evsynth.stats.models import rma
from evsynth.stats.resampling.bootstrap import bootstrap
from evsynth.stats.resampling.gosh import gosh
from evsynth.stats.resampling.permutation import permutation_test
from evsynth.stats.results import RMAResult

pytestmark = pytest.mark.slow  # starting worker processes takes several seconds


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def _model(method: str = "REML") -> RMAResult:
    rng = np.random.default_rng(8)
    y, v = rng.normal(0.3, 0.4, 11), rng.uniform(0.02, 0.2, 11)
    return rma(y, v, method=method, mods=None)


def test_gosh_on_dask_equals_local(scheduler: str) -> None:
    res = _model()
    local = gosh(res, chunk_size=300)  # 2047 subsets in 7 chunks
    remote = gosh(res, chunk_size=300, scheduler=scheduler)
    np.testing.assert_array_equal(remote.incl, local.incl)
    for name in ("estimate", "Q", "I2", "H2", "tau2"):
        np.testing.assert_array_equal(getattr(remote, name), getattr(local, name))
    rand_local = gosh(res, max_subsets=1500, seed=3, chunk_size=400)
    rand_remote = gosh(res, max_subsets=1500, seed=3, chunk_size=400, scheduler=scheduler)
    np.testing.assert_array_equal(rand_remote.incl, rand_local.incl)
    np.testing.assert_array_equal(rand_remote.tau2, rand_local.tau2)


def test_permutation_and_bootstrap_on_dask_equal_local(scheduler: str) -> None:
    res = _model("DL")
    local = permutation_test(res, exact=True)
    remote = permutation_test(res, exact=True, scheduler=scheduler)
    assert remote.p_value == local.p_value
    np.testing.assert_array_equal(remote.statistic_perm, local.statistic_perm)
    b_local = bootstrap(res, replicates=500, seed=2)
    b_remote = bootstrap(res, replicates=500, seed=2, scheduler=scheduler)
    np.testing.assert_array_equal(b_remote.t_tau2, b_local.t_tau2)
