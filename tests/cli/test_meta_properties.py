"""Property-based checks of ``evsynth meta``: random valid tables never end in a traceback, and
the pooled result does not depend on the order of the rows."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from evsynth.cli import cli

effect = st.floats(-20.0, 20.0, allow_nan=False, allow_infinity=False)
variance = st.floats(1e-4, 50.0, allow_nan=False, allow_infinity=False)
rows = st.lists(st.tuples(effect, variance), min_size=1, max_size=15)


def _write(folder: Path, data: list[tuple[float, float]], name: str) -> Path:
    path = folder / name
    lines = [f"S{i + 1},{y!r},{v!r}" for i, (y, v) in enumerate(data)]
    path.write_text("study,yi,vi\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@settings(max_examples=25, deadline=None)
@given(data=rows, method=st.sampled_from(["FE", "DL", "REML", "PM"]), bias=st.booleans())
def test_random_tables_never_crash_and_order_does_not_matter(
    data: list[tuple[float, float]], method: str, bias: bool
) -> None:
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        forward = _write(folder, data, "a.csv")
        backward = _write(folder, data[::-1], "b.csv")
        extra = ["--bias"] if bias else []
        args = ["--method", method, "--format", "json", *extra]
        first = runner.invoke(cli, ["meta", str(forward), *args])
        second = runner.invoke(cli, ["meta", str(backward), *args])
    # a valid table is pooled; an estimator that cannot be fitted is a located message, exit 2
    assert first.exit_code in (0, 2), first.output
    assert first.exception is None or isinstance(first.exception, SystemExit), first.exception
    assert second.exit_code == first.exit_code
    if first.exit_code == 2:
        assert first.stderr.count("\n") == 1
        return
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert a["k"] == len(data)
    for key in ("estimate", "se", "tau2", "Q"):
        if a[key] is None:
            assert b[key] is None
        else:
            assert math.isclose(a[key], b[key], rel_tol=1e-6, abs_tol=1e-9), key
