"""The forest plot shows what the fitted models say: rows, labels, numbers, diamonds.

Checks the figure's content (text artists, square and diamond positions), computed from the
models and, for the study intervals and weights, from metafor's reference values.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Polygon

from evsynth.errors import InputError
from evsynth.report.figures import save_figure
from evsynth.report.figures.forest import forest_plot
from evsynth.stats.models import rma
from helpers import REFERENCE

BIAS = {
    c["name"]: c
    for c in json.loads((REFERENCE / "metafor" / "bias_cases.json").read_text())["cases"]
}
SEED = json.loads((REFERENCE / "metafor" / "seed_figs.json").read_text())["figs"]


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(match=lambda a: hasattr(a, "get_text"))]


def _by_gid(fig: Figure, gid: str) -> list[Any]:
    return list(fig.findobj(match=lambda a: a.get_gid() == gid))


def _bcg(method: str = "REML") -> Any:
    case = BIAS["bcg"]
    slab = [f"Trial {i + 1}" for i in range(len(case["yi"]))]
    return rma(case["yi"], case["vi"], method=method, measure="RR", slab=slab)


def test_one_row_per_study_with_label_effect_and_weight() -> None:
    res = _bcg()
    fig = forest_plot(res)
    texts = _texts(fig)
    squares = _by_gid(fig, "study-squares")
    assert len(squares) == 1 and isinstance(squares[0], PathCollection)
    offsets = squares[0].get_offsets()
    assert len(offsets) == res.k == 13
    # squares sit at the studies' log risk ratios, one per row, top to bottom in input order
    np.testing.assert_allclose(offsets[:, 0], res.yi)
    assert np.all(np.diff(offsets[:, 1]) < 0)
    for i in range(res.k):
        assert f"Trial {i + 1}" in texts
    # Study 1 of dat.bcg (Aronson 1948): RR 0.41 [0.13, 1.26], as metafor's forest() prints it;
    # recomputed here from metafor's yi and vi.
    yi, vi = BIAS["bcg"]["yi"][0], BIAS["bcg"]["vi"][0]
    lo, hi = math.exp(yi - 1.959964 * math.sqrt(vi)), math.exp(yi + 1.959964 * math.sqrt(vi))
    assert f"{math.exp(yi):.2f} [{lo:.2f}, {hi:.2f}]" == "0.41 [0.13, 1.26]"
    assert "0.41 [0.13, 1.26]" in texts
    for w in res.weights:
        assert f"{w:.1f}%" in texts
    assert "Risk ratio [95% CI]" in texts
    # squares: area proportional to weight (above the 2.5-pt floor that keeps tiny ones visible)
    sizes = squares[0].get_sizes()
    above = sizes > 2.5**2
    assert above.sum() >= 10
    ratio = sizes[above] / res.weights[above]
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)


def test_diamond_spans_the_confidence_interval_at_the_estimate() -> None:
    fe, re = _bcg("FE"), _bcg("REML")
    fig = forest_plot([fe, re])
    for fit in (fe, re):
        (diamond,) = _by_gid(fig, f"diamond-{fit.method}")
        assert isinstance(diamond, Polygon)
        xs = diamond.get_xy()[:4, 0]
        np.testing.assert_allclose(
            xs, [fit.ci_lower, fit.estimate, fit.ci_upper, fit.estimate], rtol=1e-12
        )
    texts = _texts(fig)
    assert "Fixed effect" in texts and "Random effects (REML)" in texts
    # back-transformed pooled values, as metafor's predict(res, transf=exp)
    assert f"{math.exp(re.estimate):.2f} [{math.exp(re.ci_lower):.2f}, " in " ".join(texts)
    assert "Weight (REML)" in texts
    assert any(t.startswith("Test for overall effect, fixed effect: Z = ") for t in texts)
    assert any(t.startswith("Test for overall effect, random effects (REML): Z = ") for t in texts)


def test_prediction_interval_and_heterogeneity_line() -> None:
    res = _bcg()
    fig = forest_plot(res)
    (pi_line,) = _by_gid(fig, "prediction-interval")
    np.testing.assert_allclose(pi_line.get_xdata(), [res.pi_lower, res.pi_upper])
    texts = _texts(fig)
    het = next(t for t in texts if t.startswith("Heterogeneity:"))
    assert het == (
        f"Heterogeneity: τ² = {res.tau2:.2f}; Q = {res.Q:.2f}, df = 12 (p < 0.001); "
        f"I² = {res.I2:.0f}%"
    )
    assert "Q = 152.23" in het  # metafor: QE = 152.2330 for dat.bcg
    assert f"Test for overall effect: Z = {res.statistic:.2f} (p < 0.001)" in texts
    assert not _by_gid(forest_plot(_bcg("FE")), "prediction-interval")


def test_log_axis_has_back_transformed_tick_labels() -> None:
    fig = forest_plot(_bcg())
    ax = fig.axes[0]
    ticks = ax.get_xticks()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert "1" in labels
    for tick, label in zip(ticks, labels, strict=True):
        assert math.exp(tick) == pytest.approx(float(label), rel=1e-9)
    # the line of no effect at log(1) = 0
    (ref,) = _by_gid(fig, "refline")
    assert ref.get_segments()[0][0][0] == 0.0


def test_favours_caption_and_title() -> None:
    fig = forest_plot(_bcg(), favours=("Favours BCG", "Favours control"), title="BCG")
    texts = _texts(fig)
    assert {"Favours BCG", "Favours control", "BCG"} <= set(texts)


def test_subgroups_have_headers_subtotals_and_overall_weights() -> None:
    case = BIAS["bcg"]
    slab = [f"Trial {i + 1}" for i in range(13)]
    overall = rma(case["yi"], case["vi"], measure="RR", slab=slab)
    a = rma(case["yi"][:6], case["vi"][:6], measure="RR", slab=slab[:6])
    b = rma(case["yi"][6:], case["vi"][6:], measure="RR", slab=slab[6:])
    fig = forest_plot(overall, subgroups=[("Early", a), ("Late", b)], subgroup_test=(1.5, 1, 0.22))
    texts = _texts(fig)
    assert {"Early", "Late"} <= set(texts)
    assert texts.count("Subtotal (REML)") == 2
    assert len(_by_gid(fig, "diamond-REML")) == 3
    assert len(_by_gid(fig, "study-squares")[0].get_offsets()) == 13
    # weights are the overall model's, and each subtotal shows the sum of its studies' weights
    assert f"{overall.weights[:6].sum():.1f}%" in texts
    assert "Test for subgroup differences: Q = 1.50, df = 1 (p = 0.220)" in texts
    assert texts.count(next(t for t in texts if t.startswith("Heterogeneity:"))) == 1


def test_seed_review_weights_match_metafor() -> None:
    """Fig. 3A: the weight column equals metafor's weights(res) for the REML model."""
    fig3a = SEED["3A"]
    res = rma(fig3a["yi"], sei=fig3a["sei"], method="REML", measure="MD", slab=fig3a["study"])
    texts = _texts(forest_plot(res))
    for w in fig3a["REML"]["weights"]:
        assert f"{w:.1f}%" in texts
    assert "Mean difference [95% CI]" in texts
    assert "Moon 2017" in texts


def test_intervals_beyond_the_limits_end_in_arrows() -> None:
    res = _bcg()
    fig = forest_plot(res, xlim=(-1.5, 1.0))
    ax = fig.axes[0]
    markers = [ln.get_marker() for ln in ax.get_lines()]
    assert "<" in markers and ">" in markers


def test_save_as_svg_and_png(tmp_path: Path) -> None:
    fig = forest_plot(_bcg())
    svg = save_figure(fig, tmp_path / "forest.svg")
    png = save_figure(fig, tmp_path / "forest.png")
    text = svg.read_text(encoding="utf-8")
    assert "Trial 13" in text and "Random effects (REML)" in text  # text stays text in SVG
    # 300 dpi: the PNG's pixel width is about 300 x the figure's width in inches
    import matplotlib.image as mpimg

    _height_px, width_px = mpimg.imread(png).shape[:2]
    assert width_px == pytest.approx(fig.get_figwidth() * 300, rel=0.15)
    assert save_figure(fig, tmp_path / "again.svg").read_bytes() == svg.read_bytes()
    with pytest.raises(InputError, match="unsupported figure format"):
        save_figure(fig, tmp_path / "forest.gif")
    assert not (tmp_path / "forest.gif").exists()


def test_a_subgroup_analysis_result_is_drawn_with_its_test() -> None:
    from evsynth.stats.regression import subgroups

    case = BIAS["bcg"]
    slab = [f"Trial {i + 1}" for i in range(13)]
    groups = ["early"] * 6 + ["late"] * 7
    sg = subgroups(case["yi"], case["vi"], groups, measure="RR", slab=slab)
    fig = forest_plot(sg)
    texts = _texts(fig)
    assert {"early", "late"} <= set(texts)
    assert len(_by_gid(fig, "diamond-REML")) == 3
    expected = (
        f"Test for subgroup differences: Q = {sg.Q_between:.2f}, df = 1 (p = {sg.Q_between_p:.3f})"
    )
    assert expected in texts


def test_correlation_axis_shows_round_correlations_where_they_fall() -> None:
    """ZCOR is analysed as Fisher's z; the axis shows r = ..., at z = atanh(r)."""
    case = BIAS["molloy2014"]
    res = rma(case["yi"], case["vi"], measure="ZCOR")
    fig = forest_plot(res)
    ax = fig.axes[0]
    labels = [float(t.get_text()) for t in ax.get_xticklabels()]
    assert 0.0 in labels and len(labels) >= 3
    np.testing.assert_allclose(np.tanh(ax.get_xticks()), labels, atol=1e-3)
    texts = _texts(fig)
    # study 1's lower limit back-transforms to -0.0003: printed 0.00, never "-0.00"
    assert not any("-0.00" in t for t in texts)
    assert "0.19 [0.00, 0.36]" in texts


def test_draws_into_a_given_axes() -> None:
    fig = Figure(figsize=(9, 6))
    ax = fig.add_axes((0.35, 0.2, 0.35, 0.7))
    res = _bcg()
    assert forest_plot(res, ax=ax) is fig
    assert res.plot_forest(ax=fig.add_axes((0.35, 0.2, 0.35, 0.7))) is fig
    (squares, _again) = _by_gid(fig, "study-squares")
    assert squares.axes is ax and len(squares.get_offsets()) == 13


def test_meta_regression_draws_no_pooled_diamond() -> None:
    """A model with moderators has no single pooled effect: its intercept is not drawn as one."""
    case = BIAS["bcg"]
    res = rma(case["yi"], case["vi"], mods=np.arange(13.0), measure="RR")
    fig = forest_plot(res)
    assert not _by_gid(fig, "diamond-REML") and not _by_gid(fig, "prediction-interval")
    assert len(_by_gid(fig, "study-squares")[0].get_offsets()) == 13
    texts = _texts(fig)
    assert any(t.startswith("Meta-regression on ") and "Residual heterogeneity" in t for t in texts)
    assert not any(t.startswith("Test for overall effect") for t in texts)


def test_a_figure_too_tall_for_png_asks_for_a_vector_format(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    k = 600  # 600 rows x 0.22 in x 300 dpi: about 40,000 pixels
    res = rma(rng.normal(0, 0.3, k), rng.uniform(0.01, 0.2, k), method="DL")
    fig = forest_plot(res, heterogeneity=False)
    with pytest.raises(InputError, match=r"too large for PNG; save it as \.svg or \.pdf"):
        save_figure(fig, tmp_path / "forest.png")
    assert not (tmp_path / "forest.png").exists()


@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_columns_never_overlap(scale: float) -> None:
    """Rendered text boxes: labels end left of the plot, effect texts start right of it, and the
    effect and weight columns do not touch, for long labels and for large numbers."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    case = BIAS["bcg"]
    slab = [("A very long study label, first author et al. " if i % 4 == 0 else "") + f"T{i}"
            for i in range(13)]  # fmt: skip
    yi = np.asarray(case["yi"]) * scale
    vi = np.asarray(case["vi"]) * scale**2
    fe = rma(yi, vi, method="FE", measure="MD", slab=slab)
    re = rma(yi, vi, method="REML", measure="MD", slab=slab)
    fig = forest_plot([fe, re], favours=("Favours A", "Favours B"))
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    ax = fig.axes[0]
    plot_box = ax.get_window_extent(renderer)
    texts = [t for t in ax.texts if t.get_text()]
    labels = [t for t in texts if t.get_gid() in {"label-study", "label-pooled"}]
    assert len(labels) == 13 + 2
    for t in labels:
        assert t.get_window_extent(renderer).x1 < plot_box.x0
    right = [t for t in texts if t.get_window_extent(renderer).x0 > plot_box.x1]
    by_row: dict[float, list[Any]] = {}
    for t in right:
        by_row.setdefault(round(t.get_position()[1], 6), []).append(t)
    for row in by_row.values():
        boxes = sorted((t.get_window_extent(renderer) for t in row), key=lambda bb: bb.x0)
        for a, b in itertools.pairwise(boxes):
            assert a.x1 + 3 < b.x0, (a, b)  # at least 3 px apart at 100 dpi


def test_trimfill_result_shows_filled_studies_hollow() -> None:
    from evsynth.stats.bias import trimfill

    case = BIAS["hackshaw1998"]
    tf = trimfill(rma(case["yi"], case["vi"], method="FE", measure="OR"))
    fig = forest_plot(tf)
    (observed,) = _by_gid(fig, "study-squares")
    (filled,) = _by_gid(fig, "filled-squares")
    assert len(observed.get_offsets()) == 37 and len(filled.get_offsets()) == tf.k0 == 7
    np.testing.assert_allclose(filled.get_facecolors()[0], [1, 1, 1, 1])
    np.testing.assert_allclose(filled.get_offsets()[:, 0], tf.yi[tf.filled])
    (diamond,) = _by_gid(fig, "diamond-FE")
    assert diamond.get_xy()[1, 0] == pytest.approx(tf.fit.estimate)
    texts = _texts(fig)
    assert "Filled 7" in texts
    assert "Trim and fill (L0): 7 studies filled on the left side (hollow squares)" in texts


def test_wide_log_axis_keeps_to_powers_of_ten() -> None:
    """Four decades of odds ratios: ticks 0.01, 0.1, 1, 10, 100 rather than a crowd of 1-2-5."""
    res = rma([-4.0, 0.0, 4.0], [0.5, 0.5, 0.5], method="FE", measure="OR")
    ax = forest_plot(res).axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["0.01", "0.1", "1", "10", "100"]
