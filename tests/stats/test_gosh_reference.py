"""GOSH against metafor 3.8.1's gosh() (reference/metafor/resample_gosh.R).

Every subset of the first 8 BCG trials for nine estimators, and all 8,191 subsets of the 13
trials with DL: the same subsets in the same row order, and every statistic within 1e-9.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import numpy as np
import pytest

from evsynth.stats.models import rma
from evsynth.stats.resampling.gosh import gosh, subsets_by_rank, total_subsets
from helpers import REFERENCE

pytestmark = pytest.mark.reference

PATH = REFERENCE / "metafor" / "resample_gosh.json"


@cache
def _cases() -> list[dict[str, Any]]:
    data: dict[str, Any] = json.loads(PATH.read_text())
    cases: list[dict[str, Any]] = data["cases"]
    return cases


def _incl(case: dict[str, Any]) -> np.ndarray:
    out = np.zeros((len(case["incl"]), case["k"]), dtype=bool)
    for i, s in enumerate(case["incl"]):
        out[i, s] = True  # jsonlite writes a one-study subset as a bare number
    return out


@pytest.mark.parametrize("case", _cases(), ids=lambda c: f"{c['method']}-k{c['k']}")
def test_gosh_rows_equal_metafor(case: dict[str, Any]) -> None:
    res = rma(case["yi"], case["vi"], method=case["method"])
    g = gosh(res)
    assert g.exact and g.n_subsets == 2 ** case["k"] - 1
    # same subsets, same order: by size, then as binary numbers (R's expand.grid)
    assert np.array_equal(g.incl, _incl(case))
    assert np.array_equal(g.size, np.asarray(case["size"]))
    for name in ("estimate", "Q", "I2", "H2", "tau2"):
        expected = np.asarray(case[name], dtype=float)
        # 1e-9 relative (absolute below 1): both sides run the same iterations (Fisher scoring,
        # uniroot for PM); measured differences are below 1e-12.
        np.testing.assert_allclose(getattr(g, name), expected, rtol=1e-9, atol=1e-9, err_msg=name)


def test_dl_h2_follows_metafors_fast_path() -> None:
    """With tau^2 truncated at 0, metafor's gosh reports H2 = Q/(k-1) for DL (rma says 1)."""
    case = next(c for c in _cases() if c["method"] == "DL" and c["k"] == 8)
    g = gosh(rma(case["yi"], case["vi"], method="DL"))
    zero = (g.tau2 == 0) & (g.size > 1)
    assert zero.any()
    np.testing.assert_allclose(g.H2[zero], g.Q[zero] / (g.size[zero] - 1), rtol=1e-12)
    assert np.all(g.H2[zero] < 1)


def test_subset_ranks_enumerate_each_subset_once_in_order() -> None:
    k = 10
    incl = subsets_by_rank(k, 0, total_subsets(k))
    as_int = incl @ (1 << np.arange(k))
    sizes = incl.sum(axis=1)
    assert len(set(as_int.tolist())) == 2**k - 1
    order = np.lexsort((as_int, sizes))
    assert np.array_equal(order, np.arange(order.size))
    # any slice is the same as the corresponding rows of the whole
    assert np.array_equal(subsets_by_rank(k, 300, 700), incl[300:700])


@pytest.mark.parametrize("method", ["REML", "PM", "SJ", "ML"])
def test_full_set_row_is_the_model_and_single_rows_are_the_studies(method: str) -> None:
    case = _cases()[0]
    res = rma(case["yi"], case["vi"], method=method)
    g = gosh(res)
    last = -1  # the subset of all studies comes last
    assert g.incl[last].all()
    for name in ("estimate", "Q", "I2", "H2", "tau2"):
        assert getattr(g, name)[last] == pytest.approx(getattr(res, name), rel=1e-10, abs=1e-12)
    singles = g.size == 1
    np.testing.assert_allclose(g.estimate[singles], case["yi"], rtol=1e-12)
    assert np.all(g.tau2[singles] == 0) and np.all(g.I2[singles] == 0)


MODS = REFERENCE / "metafor" / "resample_gosh_mods.json"


@pytest.mark.parametrize("method", ["FE", "DL", "REML"])
def test_gosh_of_a_meta_regression_equals_metafor(method: str) -> None:
    """rma(yi, vi, mods = ~ ablat) on 8 BCG trials: the 247 subsets of 2 or more studies;
    subsets that cannot be fitted (two studies under a random-effects model, two trials at the
    same latitude) are NaN where metafor has NA."""
    data = json.loads(MODS.read_text())
    case = next(c for c in data["cases"] if c["method"] == method)
    res = rma(data["yi"], data["vi"], mods={"ablat": data["ablat"]}, method=method)
    g = gosh(res)
    assert g.coef_names == ("intrcpt", "ablat") and g.n_subsets == 247
    assert np.array_equal(g.incl, _incl({**case, "k": 8}))
    assert g.coefficients is not None
    got = {"intrcpt": g.coefficients[:, 0], "ablat": g.coefficients[:, 1]}
    for name in ("Q", "I2", "H2", "tau2"):
        got[name] = getattr(g, name)
    for name, values in got.items():
        expected = np.array(case[name], dtype=float)
        assert np.array_equal(np.isnan(values), np.isnan(expected)), name
        np.testing.assert_allclose(values, expected, rtol=1e-9, atol=1e-9, err_msg=name)
    assert [c for c, _ in g.columns()][:2] == ["intrcpt", "ablat"]


def test_memory_is_bounded_by_the_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    """No fit sees more subsets than a chunk: a million subsets are never one weight matrix."""
    from evsynth.stats.resampling import gosh as gosh_module

    seen: list[tuple[int, ...]] = []
    real = gosh_module.fit_batch

    def recording(*args: Any, **kw: Any) -> Any:
        seen.append(np.shape(kw["mask"]))
        return real(*args, **kw)

    monkeypatch.setattr(gosh_module, "fit_batch", recording)
    case = _cases()[0]
    g = gosh(rma(case["yi"], case["vi"], method="DL"), chunk_size=40)
    assert g.n_subsets == 255 and max(s[0] for s in seen) == 40 and len(seen) == 7
    # the default chunk holds one million matrix cells: 50,000 subsets of 20 studies
    assert gosh_module.CHUNK_ELEMENTS // 20 == 50_000


def test_random_subsets_follow_metafors_distribution() -> None:
    """metafor draws a size m from dbinom(m, k, 1/2) on p..k, then m studies at random; that is
    each study in with probability 1/2, conditioned on at least p studies."""
    from scipy import stats

    from evsynth.stats.resampling.gosh import random_subsets

    k, n = 10, 60_000
    sub = random_subsets(k, n, seed=5, chunk=0, min_size=2)
    sizes = sub.sum(axis=1)
    assert sizes.min() == 2
    probs = stats.binom.pmf(np.arange(2, k + 1), k, 0.5)
    expected = n * probs / probs.sum()
    observed = np.bincount(sizes, minlength=k + 1)[2:]
    # chi-squared goodness of fit; p below 1e-4 would mean a wrong distribution (or a 1 in
    # 10,000 fluke with this fixed seed, which it is not)
    assert stats.chisquare(observed, expected).pvalue > 1e-4
    np.testing.assert_allclose(sub.mean(axis=0), sub.mean(), atol=0.01)  # no study favoured


def test_subsets_metafor_cannot_fit_are_flagged() -> None:
    """metafor's REML stops on these data (Fisher scoring does not converge): its GOSH row is NA;
    ours holds the engine's fallback (rma's value) and is flagged."""
    y, v = [0.0, 0.0, 0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0, 0.125]
    res = rma(y, v, method="REML")
    g = gosh(res)
    assert g.converged is not None and not g.converged[-1]
    assert g.tau2[-1] == pytest.approx(res.tau2, rel=1e-12)
    assert "did not converge (metafor reports NA" in g.summary()
