"""Property tests: any valid table reads without error, gives escalc's numbers, and the order of
its rows does not matter."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from evsynth.dataio import read_effect_table
from evsynth.stats.escalc import escalc

SETTINGS = settings(max_examples=40, deadline=None)

tables = st.lists(
    st.tuples(
        st.integers(0, 500), st.integers(0, 500), st.integers(0, 500), st.integers(0, 500)
    ).filter(lambda t: t[0] + t[1] > 0 and t[2] + t[3] > 0),
    min_size=1,
    max_size=15,
)
means = st.lists(
    st.tuples(
        st.floats(-100, 100, allow_nan=False),
        st.floats(0.01, 50, allow_nan=False),
        st.integers(2, 2000),
        st.floats(-100, 100, allow_nan=False),
        st.floats(0.01, 50, allow_nan=False),
        st.integers(2, 2000),
    ),
    min_size=1,
    max_size=15,
)


def _csv(header: str, rows: list[tuple[float, ...]]) -> str:
    body = "\n".join(f"S{i}," + ",".join(repr(v) for v in r) for i, r in enumerate(rows))
    return f"study,{header}\n{body}\n"


def _read(text: str, measure: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        path.write_text(text, encoding="utf-8")
        es, _ = read_effect_table(path, measure)
    return es.yi, es.vi, es.labels()


@SETTINGS
@given(tables, st.sampled_from(["RR", "OR", "RD"]), st.randoms(use_true_random=False))
def test_two_by_two_tables_read_as_escalc_in_any_order(
    rows: list[tuple[int, ...]], measure: str, rnd: random.Random
) -> None:
    yi, vi, labels = _read(_csv("ai,bi,ci,di", rows), measure)
    cols = list(zip(*rows, strict=True))
    want = escalc(measure, ai=cols[0], bi=cols[1], ci=cols[2], di=cols[3])
    np.testing.assert_array_equal(yi, want.yi)
    np.testing.assert_array_equal(vi, want.vi)
    assert np.all(np.isfinite(yi)) and np.all(np.isfinite(vi))
    order = list(range(len(rows)))
    rnd.shuffle(order)
    text = _csv("ai,bi,ci,di", [rows[i] for i in order]).replace("\nS", "\nX")
    yi2, vi2, _ = _read(text, measure)
    np.testing.assert_array_equal(yi2, yi[order])
    np.testing.assert_array_equal(vi2, vi[order])
    assert labels == tuple(f"S{i}" for i in range(len(rows)))


@SETTINGS
@given(means, st.sampled_from(["MD", "SMD", "SMDH"]), st.randoms(use_true_random=False))
def test_two_group_means_read_as_escalc_in_any_order(
    rows: list[tuple[float, ...]], measure: str, rnd: random.Random
) -> None:
    header = "m1i,sd1i,n1i,m2i,sd2i,n2i"
    yi, vi, _ = _read(_csv(header, rows), measure)
    cols = dict(zip(header.split(","), zip(*rows, strict=True), strict=True))
    want = escalc(measure, **cols)  # type: ignore[arg-type]
    # repr() round-trips floats exactly, so the file gives the same numbers bit for bit.
    np.testing.assert_array_equal(yi, want.yi)
    np.testing.assert_array_equal(vi, want.vi)
    order = list(range(len(rows)))
    rnd.shuffle(order)
    yi2, vi2, _ = _read(_csv(header, [rows[i] for i in order]), measure)
    np.testing.assert_array_equal(yi2, yi[order])
    np.testing.assert_array_equal(vi2, vi[order])
