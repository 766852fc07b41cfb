"""Property tests: random valid summary data never crash escalc, give finite results where the
measure is defined, and do not depend on the order of the studies."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from evsynth.stats.escalc import escalc

SETTINGS = settings(max_examples=60, deadline=None)
counts = st.integers(min_value=0, max_value=5000)
pos_n = st.integers(min_value=2, max_value=5000)
means = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False)
pos_means = st.floats(min_value=1e-2, max_value=1e3, allow_nan=False)
sds = st.floats(min_value=1e-2, max_value=1e2, allow_nan=False)
corr = st.floats(min_value=-0.999, max_value=0.999, allow_nan=False)


def _permuted(args: dict[str, list[Any]], seed: int) -> tuple[dict[str, Any], np.ndarray]:
    k = len(next(iter(args.values())))
    order = np.random.default_rng(seed).permutation(k)
    return {name: np.asarray(v, dtype=float)[order] for name, v in args.items()}, order


def _check(measure: str, args: dict[str, list[Any]], seed: int, **opts: Any) -> None:
    res = escalc(measure, **args, **opts)
    assert np.all(np.isfinite(res.yi)), (measure, args, res.yi)
    assert np.all(np.isfinite(res.vi)) and np.all(res.vi >= 0), (measure, args, res.vi)
    shuffled, order = _permuted(args, seed)
    again = escalc(measure, **shuffled, **opts)
    # Per-study formulas are order free; the AV variance types average over studies, where
    # summation order can move the last bits only.
    np.testing.assert_allclose(again.yi, res.yi[order], rtol=1e-12)
    np.testing.assert_allclose(again.vi, res.vi[order], rtol=1e-12)


tables = st.lists(st.tuples(counts, counts, counts, counts), min_size=1, max_size=12).filter(
    lambda rows: all(a + b > 0 and c + d > 0 for a, b, c, d in rows)
)


@SETTINGS
@given(tables, st.sampled_from(["RR", "OR", "RD"]), st.sampled_from(["only0", "all", "if0all"]),
       st.integers(0, 2**32 - 1))  # fmt: skip
def test_two_by_two_tables(rows: list[tuple[int, ...]], measure: str, to: str, seed: int) -> None:
    ai, bi, ci, di = (list(col) for col in zip(*rows, strict=True))
    # With a continuity correction every table gives a finite effect, zero cells or not.
    _check(measure, {"ai": ai, "bi": bi, "ci": ci, "di": di}, seed, to=to)


@SETTINGS
@given(
    st.lists(st.tuples(means, sds, pos_n, means, sds, pos_n), min_size=1, max_size=12),
    st.sampled_from(["MD", "SMD", "SMDH"]),
    st.sampled_from(["LS", "UB", "LS2", "AV"]),
    st.integers(0, 2**32 - 1),
)
def test_two_group_means(
    rows: list[tuple[float, ...]], measure: str, vtype: str, seed: int
) -> None:
    cols = ["m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"]
    args = {c: list(v) for c, v in zip(cols, zip(*rows, strict=True), strict=True)}
    allowed = {"MD": ("LS", "UB"), "SMD": ("LS", "UB", "LS2", "AV"), "SMDH": ("LS", "LS2")}
    _check(measure, args, seed, vtype=vtype if vtype in allowed[measure] else "LS")


@SETTINGS
@given(
    st.lists(st.tuples(pos_means, sds, pos_n, pos_means, sds, pos_n), min_size=1, max_size=12),
    st.sampled_from(["LS", "HO", "AV", "AVHO"]),
    st.integers(0, 2**32 - 1),
)
def test_ratio_of_means(rows: list[tuple[float, ...]], vtype: str, seed: int) -> None:
    cols = ["m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"]
    args = {c: list(v) for c, v in zip(cols, zip(*rows, strict=True), strict=True)}
    _check("ROM", args, seed, vtype=vtype)


@SETTINGS
@given(
    st.lists(
        st.tuples(means, sds, means, sds, st.integers(3, 5000), corr), min_size=1, max_size=12
    ),
    st.sampled_from(["MC", "SMCC", "SMCR"]),
    st.integers(0, 2**32 - 1),
)
def test_change_from_baseline(rows: list[tuple[float, ...]], measure: str, seed: int) -> None:
    cols = ["m1i", "sd1i", "m2i", "sd2i", "ni", "ri"]
    args = {c: list(v) for c, v in zip(cols, zip(*rows, strict=True), strict=True)}
    _check(measure, args, seed)


@SETTINGS
@given(
    st.lists(st.tuples(counts, st.integers(1, 5000)), min_size=1, max_size=12),
    st.sampled_from(["PR", "PLN", "PLO", "PAS", "PFT"]),
    st.integers(0, 2**32 - 1),
)
def test_proportions(rows: list[tuple[int, int]], measure: str, seed: int) -> None:
    xi = [min(x, n) for x, n in rows]
    ni = [n for _, n in rows]
    _check(measure, {"xi": xi, "ni": ni}, seed)


@SETTINGS
@given(
    st.lists(st.tuples(corr, st.integers(4, 100000)), min_size=1, max_size=12),
    st.sampled_from(["COR", "ZCOR"]),
    st.integers(0, 2**32 - 1),
)
def test_correlations(rows: list[tuple[float, int]], measure: str, seed: int) -> None:
    args = {"ri": [r for r, _ in rows], "ni": [n for _, n in rows]}
    _check(measure, args, seed)
