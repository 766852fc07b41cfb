"""The seed review's single-arm analyses (its Figs. 2A-3B, in ../shared/reference/
seed-review-facts.md) as effect-size tables: "difference in means with standard error" is GEN
with sei, and the per-study Z and 95% limits it printed follow from yi and sei."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evsynth.dataio import read_effect_table

# study, difference, SE, lower, upper, Z, as printed (Comprehensive Meta-Analysis, 3 decimals).
FIG_2A = [
    ("Choi 2017", 2.640, 0.084, 2.475, 2.805, 31.429),
    ("Gerdesmeyer 2013", 2.400, 0.184, 2.039, 2.761, 13.043),
    ("Cho 2019", 2.700, 0.082, 2.539, 2.861, 32.935),
    ("Park 2018", 2.900, 0.277, 2.357, 3.443, 10.469),
    ("Ji 2015", 2.760, 0.106, 2.553, 2.967, 26.161),
]
FIG_3B = [
    ("Gerdesmeyer 2013", 16.800, 1.482, 13.895, 19.705, 11.336),
    ("Park 2018", 8.400, 0.793, 6.847, 9.953, 10.598),
]


@pytest.mark.parametrize("rows", [FIG_2A, FIG_3B], ids=["2A", "3B"])
def test_seed_single_arm_tables_read_as_gen(
    tmp_path: Path, rows: list[tuple[str, float, float, float, float, float]]
) -> None:
    path = tmp_path / "seed.csv"
    body = "\n".join(f"{s},{y},{se}" for s, y, se, *_ in rows)
    path.write_text(f"study,yi,sei\n{body}\n", encoding="utf-8")
    es, _ = read_effect_table(path)
    assert es.measure == "GEN"
    assert es.slab == tuple(r[0] for r in rows)
    printed = np.array([r[1:] for r in rows])
    np.testing.assert_allclose(es.yi, printed[:, 0], rtol=1e-15)
    # The printed Z and limits were computed from unrounded SEs: the SE they imply rounds to the
    # printed SE (within half a unit of the 3rd decimal), and the limits agree to that rounding
    # times 1.96 plus the rounding of the limits themselves.
    implied_se = es.yi / printed[:, 4]
    np.testing.assert_allclose(implied_se, es.sei, atol=5e-4 + 1e-6)
    np.testing.assert_allclose(es.yi - 1.959964 * es.sei, printed[:, 2], atol=1.5e-3)
    np.testing.assert_allclose(es.yi + 1.959964 * es.sei, printed[:, 3], atol=1.5e-3)
