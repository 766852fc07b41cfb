"""GOSH cluster analysis names a planted outlier and nothing in homogeneous data; the GOSH and
permutation figures show what they claim (axes, points, lines)."""

from __future__ import annotations

import numpy as np
import pytest

from evsynth.errors import InputError
from evsynth.stats.models import rma
from evsynth.stats.resampling.gosh import gosh
from evsynth.stats.resampling.outliers import gosh_outliers
from evsynth.stats.resampling.permutation import permutation_test

LABELS = [f"S{i + 1}" for i in range(10)]


def _data(outlier: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    v = rng.uniform(0.02, 0.08, 10)
    y = rng.normal(0.3, 0.05, 10)
    if outlier:
        # one precise study far from the others (Olkin et al. 2012's situation)
        y[6], v[6] = 1.4, 0.01
    else:
        y = rng.normal(0.3, 0.15, 10)
    return y, v


@pytest.mark.parametrize("algorithm", ["kmeans", "dbscan", "gmm"])
def test_planted_outlier_is_named_by_every_algorithm(algorithm: str) -> None:
    y, v = _data(outlier=True)
    g = gosh(rma(y, v, method="REML", slab=LABELS))
    found = gosh_outliers(g, algorithms=(algorithm,))
    assert found.drivers == ("S7",)
    f = found.findings[0]
    # one cluster holds S7 in (nearly) all its subsets, another in (nearly) none
    rates = f.inclusion[:, 6][np.array(f.sizes) >= 0.05 * sum(f.sizes)]
    assert rates.max() > 0.95 and rates.min() < 0.05


def test_homogeneous_data_has_no_drivers() -> None:
    y, v = _data(outlier=False)
    found = gosh_outliers(gosh(rma(y, v, method="REML", slab=LABELS)))
    assert found.drivers == ()
    assert set(found.to_dict()["algorithms"]) == {"kmeans", "dbscan", "gmm"}


def test_unknown_algorithm_is_an_input_error() -> None:
    y, v = _data(outlier=True)
    with pytest.raises(InputError, match="Unknown algorithm 'ward'"):
        gosh_outliers(gosh(rma(y, v, method="DL")), algorithms=("ward",))


def test_gosh_plot_draws_every_subset_and_the_marginals() -> None:
    from matplotlib.collections import PathCollection

    y, v = _data(outlier=True)
    g = gosh(rma(y, v, method="DL", slab=LABELS))
    fig = g.plot(highlight="S7")
    main, top, right = fig.axes
    points = [c for c in main.collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in points) == 2**10 - 1
    assert main.get_ylabel() == "I² (%)"
    assert "all 1,023 subsets of 10 studies" in top.get_title()
    assert {t.get_text() for t in main.get_legend().get_texts()} == {"with S7", "without S7"}
    assert len(top.lines) == 2 and len(right.lines) == 2  # one density per group
    hexed = g.plot(hexbin=True)
    assert type(hexed.axes[0].collections[0]).__name__ == "PolyCollection"
    with pytest.raises(InputError, match="Unknown study 'S99'"):
        g.plot(highlight="S99")


def test_permutation_plot_marks_the_observed_statistic() -> None:
    y, v = _data(outlier=False)
    pt = permutation_test(rma(y, v, method="REML"), exact=True)
    fig = pt.plot()
    ax = fig.axes[0]
    observed = sorted(line.get_xdata()[0] for line in ax.lines[1:])
    assert observed == pytest.approx(sorted([pt.statistic[0], -pt.statistic[0]]))
    assert "exact, 1,024 permutations" in ax.get_title()
    heights = sum(p.get_height() * p.get_width() for p in ax.patches)
    assert heights == pytest.approx(1.0)  # a density histogram


def test_magnesium_trials_isis4_drives_the_clusters() -> None:
    """dat.egger2001 (16 magnesium trials): metafor's fixed-effect GOSH over all 65,535 subsets
    (reference/metafor/resample_egger2001.R) is reproduced, and the cluster analysis names ISIS-4,
    the mega-trial whose null result conflicts with the small trials (Sterne et al. 2001)."""
    import json

    from helpers import REFERENCE

    ref = json.loads((REFERENCE / "metafor" / "resample_egger2001.json").read_text())
    g = gosh(rma(ref["yi"], ref["vi"], method="FE", slab=ref["study"]))
    assert g.n_subsets == 65_535
    ours = {"QE": g.Q, "I2": g.I2, "H2": g.H2, "estimate": g.estimate}
    for name, values in ours.items():
        # sums over 65,535 rows that each agree to ~1e-13
        assert values.sum() == pytest.approx(ref["sum"][name], rel=1e-9)
        assert values.min() == pytest.approx(ref["min"][name], rel=1e-9, abs=1e-12)
        assert values.max() == pytest.approx(ref["max"][name], rel=1e-9)
        np.testing.assert_allclose(values[ref["rows"]], ref["row_values"][name], rtol=1e-9)
    for row, studies in zip(ref["rows"], ref["row_incl"], strict=True):
        assert np.flatnonzero(g.incl[row]).tolist() == np.atleast_1d(studies).tolist()
    found = gosh_outliers(g)
    assert found.drivers == ("ISIS-4",)
    assert all(f.drivers == ("ISIS-4",) for f in found.findings)
