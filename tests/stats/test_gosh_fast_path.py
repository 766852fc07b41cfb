"""The short path of ``evsynth gosh``: the same rows and bytes, less start-up and writing.

``evsynth gosh`` checks the model as ``rma`` does but leaves out the fit of all studies (it is
the table's last row) and with it scipy; subsets are built as integers; the CSV's numbers come
from pydantic-core's JSON encoder where its text is Python's ``repr``. Each is pinned here
against the slower path it replaced.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from evsynth.cli.resample import _number_rows
from evsynth.errors import InputError
from evsynth.stats.models import rma
from evsynth.stats.resampling.gosh import gosh, gosh_model, subsets_by_rank, total_subsets
from helpers import REFERENCE

BCG = json.loads((REFERENCE / "metafor" / "resample_permutest.json").read_text())
METHODS = ["FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM"]


def _same(a: Any, b: Any) -> None:
    assert a.slab == b.slab and a.method == b.method and a.measure == b.measure
    assert a.coef_names == b.coef_names and np.array_equal(a.incl, b.incl)
    for name in ("estimate", "Q", "I2", "H2", "tau2", "coefficients"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@pytest.mark.parametrize("method", METHODS)
def test_unfitted_model_gives_the_rows_of_the_fitted_one(method: str) -> None:
    yi, vi = BCG["yi"][:9], BCG["vi"][:9]
    slab = [f"T{i}" for i in range(9)]
    fitted = gosh(rma(yi, vi, method=method, slab=slab, measure="RR"))
    light = gosh(gosh_model(yi, vi, method=method.lower(), slab=slab, measure="RR"))
    _same(fitted, light)


@pytest.mark.parametrize("method", ["FE", "REML"])
def test_unfitted_meta_regression_gives_the_same_rows(method: str) -> None:
    yi, vi = BCG["yi"][:8], BCG["vi"][:8]
    mods = {"ablat": BCG["ablat"][:8]}
    _same(
        gosh(rma(yi, vi, method=method, mods=mods)),
        gosh(gosh_model(yi, vi, method=method, mods=mods)),
    )


@pytest.mark.parametrize(
    ("yi", "vi", "kw"),
    [
        ([0.1, 0.2, 0.3], [0.1, 0.1, 0.1], {"method": "REMLL"}),
        ([0.1, 0.2, 0.3], [0.1, -0.1, 0.1], {}),
        ([0.1, float("nan"), 0.3], [0.1, 0.1, 0.1], {}),
        ([0.1, 0.2], [0.1, 0.1], {"mods": {"x": [1.0, 2.0]}}),
        ([0.1, 0.2, 0.3, 0.4], [0.1] * 4, {"mods": {"x": [1.0, 2, 3, 4], "z": [2.0, 4, 6, 8]}}),
        ([0.1, 0.2, 0.3], [0.1, 0.1, 0.1], {"slab": ["a", "b"]}),
    ],
)
def test_unfitted_model_rejects_what_rma_rejects(yi: Any, vi: Any, kw: dict[str, Any]) -> None:
    with pytest.raises(InputError) as fitted:
        rma(yi, vi, **kw)
    with pytest.raises(InputError) as light:
        gosh_model(yi, vi, **kw)
    assert str(light.value) == str(fitted.value)


@pytest.mark.parametrize(("k", "min_size"), [(1, 1), (2, 1), (5, 1), (9, 2), (12, 3), (16, 1)])
def test_subsets_as_integers_are_metafors_order(k: int, min_size: int) -> None:
    """By size, then as binary numbers (study 1 the lowest bit); any slice of the ranks."""
    codes = np.arange(1, 2**k, dtype=np.int64)
    sizes = np.array([bin(c).count("1") for c in codes.tolist()])
    keep = sizes >= min_size
    codes, sizes = codes[keep], sizes[keep]
    expected = codes[np.lexsort((codes, sizes))]
    n = total_subsets(k, min_size)
    assert n == expected.size
    rng = np.random.default_rng(k)
    cuts = [(0, n), (0, 1), (n - 1, n)] + [
        tuple(sorted(rng.integers(0, n + 1, 2).tolist())) for _ in range(5)
    ]
    for start, stop in cuts:
        got = subsets_by_rank(k, start, stop, min_size=min_size)
        assert got.shape == (stop - start, k) and got.dtype == bool
        as_int = got @ (1 << np.arange(k, dtype=np.int64))
        assert np.array_equal(as_int, expected[start:stop]), (start, stop)


def _repr_rows(block: np.ndarray) -> list[str]:
    return [",".join("" if x != x else repr(x) for x in row) for row in block.tolist()]


def test_number_rows_are_python_repr() -> None:
    """Every kind of double: random bit patterns over the whole range, the edges of the range
    written by the JSON encoder, round decimals, integers, signed zeros, NaN and infinities."""
    rng = np.random.default_rng(2026)
    bits = rng.integers(0, 2**63 - 1, 300_000, dtype=np.int64).view(np.float64)
    bits = bits[np.isfinite(bits)]
    lo, hi = np.float64(1e-5).view(np.int64), np.float64(1e15).view(np.int64)
    inside = rng.integers(lo, hi, 300_000, dtype=np.int64).view(np.float64)
    scale = 10.0 ** rng.integers(0, 15, 100_000)
    decimals = np.round(rng.uniform(-1e5, 1e5, 100_000) * scale) / scale
    edges = []
    for e in (1e-4, 1e14, 2.0**49, 1e15, 1e16):
        x = np.float64(e)
        edges += [x, np.nextafter(x, 0), np.nextafter(x, np.inf), -x]
    special = [0.0, -0.0, 1.0, 0.1, 1 / 3, math.nan, math.inf, -math.inf, 5e-324, 1.7e308]
    values = np.concatenate([bits, -inside, inside, decimals, edges, special])
    values = values[rng.permutation(values.size)]
    # blocks of five and of one column, as the GOSH table's statistics and coefficients
    for width in (5, 1):
        block = values[: values.size // width * width].reshape(-1, width)
        assert _number_rows(block) == _repr_rows(block)
    assert _number_rows(np.zeros((0, 5))) == []


def test_gosh_command_imports_neither_scipy_nor_pandas(tmp_path: Path) -> None:
    data = tmp_path / "five.csv"
    data.write_text(
        "study,yi,vi\nA,0.1,0.02\nB,0.5,0.03\nC,-0.2,0.05\nD,0.3,0.01\nE,0.9,0.2\n",
        encoding="utf-8",
    )
    probe = (
        "import sys\nfrom evsynth.cli import main\n"
        f"sys.argv = ['evsynth', 'gosh', {str(data)!r}, '--method', 'REML', "
        f"'--out', {str(tmp_path / 'g.csv')!r}, '--no-progress']\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    loaded = set(out.strip().splitlines()[-1].split())
    assert not loaded & {"scipy", "pandas", "rich", "matplotlib"}
    assert (tmp_path / "g.csv").read_text(encoding="utf-8").count("\n") == 32


def test_summary_quartiles_are_nanquantiles() -> None:
    from evsynth.stats.resampling.gosh import _quartiles

    rng = np.random.default_rng(3)
    for n in (1, 2, 3, 4, 5, 7, 10, 65_535):
        for _ in range(10):
            x = rng.normal(size=n) * 10.0 ** rng.integers(-5, 5)
            x[rng.random(n) < 0.1] = np.nan
            if np.isnan(x).all():
                assert np.isnan(_quartiles(x)).all()
                continue
            q = np.nanquantile(x, [0.0, 0.25, 0.5, 0.75, 1.0])
            assert np.array_equal(_quartiles(x), q)


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from evsynth.cli.resample import show_progress
    from evsynth.stats.resampling.chunks import map_chunks

    class Stream:
        def __init__(self, tty: bool) -> None:
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

    monkeypatch.setattr(sys, "stderr", Stream(False))
    assert not show_progress(True)
    monkeypatch.setattr(sys, "stderr", Stream(True))
    assert show_progress(True) and not show_progress(False)
    monkeypatch.undo()
    # the bar itself (rich) still runs where it is shown
    assert map_chunks(abs, [-1, -2, 3], sizes=[1, 2, 3], progress=True) == [1, 2, 3]


@pytest.mark.parametrize("method", METHODS)
def test_exact_rows_do_not_depend_on_the_chunks(method: str) -> None:
    """Exact runs use smaller chunks than random ones (speed only): every chunking gives the
    same bits."""
    model = gosh_model(BCG["yi"][:10], BCG["vi"][:10], method=method)
    whole = gosh(model, chunk_size=2**10)
    assert whole.exact
    for size in (1, 7, 100, 333):
        _same(whole, gosh(model, chunk_size=size))
    _same(whole, gosh(model))


@pytest.mark.parametrize("method", ["FE", "REML", "PM"])
def test_exact_meta_regression_rows_do_not_depend_on_the_chunks(method: str) -> None:
    model = gosh_model(
        BCG["yi"][:10], BCG["vi"][:10], method=method, mods={"ablat": BCG["ablat"][:10]}
    )
    whole = gosh(model, chunk_size=2**10)
    for size in (7, 100):
        _same_nan(whole, gosh(model, chunk_size=size))
    _same_nan(whole, gosh(model))


def _same_nan(a: Any, b: Any) -> None:
    assert np.array_equal(a.incl, b.incl)
    for name in ("Q", "I2", "H2", "tau2", "coefficients"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
