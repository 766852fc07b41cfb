"""The funnel plot: points at (yi, sei) with the SE axis inverted, pseudo-CI, contours, filled."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from matplotlib.figure import Figure

from evsynth.errors import InputError
from evsynth.report.figures.funnel import funnel_plot
from evsynth.stats.bias import trimfill
from evsynth.stats.models import rma
from helpers import REFERENCE

BIAS = {
    c["name"]: c
    for c in json.loads((REFERENCE / "metafor" / "bias_cases.json").read_text())["cases"]
}


def _by_gid(fig: Figure, gid: str) -> list[Any]:
    return list(fig.findobj(match=lambda a: a.get_gid() == gid))


def _hackshaw() -> Any:
    case = BIAS["hackshaw1998"]
    return rma(case["yi"], case["vi"], method="FE", measure="OR")


def test_points_and_inverted_standard_error_axis() -> None:
    res = _hackshaw()
    fig = res.plot_funnel()
    ax = fig.axes[0]
    (points,) = _by_gid(fig, "observed-studies")
    offsets = points.get_offsets()
    np.testing.assert_allclose(offsets[:, 0], res.yi)
    np.testing.assert_allclose(offsets[:, 1], np.sqrt(res.vi))
    bottom, top = ax.get_ylim()
    assert top == 0.0 and bottom > np.sqrt(res.vi).max()
    assert ax.get_ylabel() == "Standard error"
    assert ax.get_xlabel() == "Odds ratio (log scale)"
    (line,) = _by_gid(fig, "estimate-line")
    assert line.get_segments()[0][0][0] == pytest.approx(res.estimate)
    # pseudo 95% limits: estimate -/+ 1.96 se, meeting at the estimate at se = 0
    for ci in _by_gid(fig, "pseudo-ci"):
        x, y = ci.get_xdata(), ci.get_ydata()
        assert x[0] == res.estimate and y[0] == 0.0
        assert abs(x[1] - res.estimate) == pytest.approx(1.959963984540054 * y[1])


def test_trimfill_points_are_hollow() -> None:
    tf = trimfill(_hackshaw())
    fig = funnel_plot(tf)
    (filled,) = _by_gid(fig, "filled-studies")
    assert len(filled.get_offsets()) == tf.k0 == 7
    face = filled.get_facecolors()[0]
    np.testing.assert_allclose(face, [1, 1, 1, 1])  # hollow
    (observed,) = _by_gid(fig, "observed-studies")
    assert len(observed.get_offsets()) == 37
    (line,) = _by_gid(fig, "estimate-line")
    assert line.get_segments()[0][0][0] == pytest.approx(tf.fit.estimate)
    (legend,) = _by_gid(fig, "funnel-legend")
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == ["Observed studies", "Filled studies (trim and fill)"]


def test_contour_enhanced_regions_and_legend() -> None:
    fig = funnel_plot(_hackshaw(), contours=(90, 95, 99))
    for level in ("90", "95", "99"):
        assert len(_by_gid(fig, f"contour-{level}")) == 1
    (contour95,) = _by_gid(fig, "contour-95")
    xy = contour95.get_xy()
    se_top = xy[1, 1]
    # the 95% region around the null (log OR 0) is 0 -/+ 1.96 se
    assert xy[0, 0] == 0.0
    assert xy[2, 0] == pytest.approx(1.959963984540054 * se_top)
    (legend,) = _by_gid(fig, "funnel-legend")
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == ["p > 0.10", "0.05 < p < 0.10", "0.01 < p < 0.05", "p < 0.01"]
    with pytest.raises(InputError, match="At most 3 contour levels"):
        funnel_plot(_hackshaw(), contours=(80, 90, 95, 99))


def test_draws_into_a_given_axes() -> None:
    fig = Figure(figsize=(5, 4))
    ax = fig.add_subplot()
    assert funnel_plot(_hackshaw(), ax=ax) is fig
    (points,) = _by_gid(fig, "observed-studies")
    assert points.axes is ax


def test_meta_regression_funnel_shows_residuals() -> None:
    """As metafor's funnel() for a model with moderators: residuals around 0."""
    case = BIAS["hackshaw1998"]
    x = np.arange(37.0)
    res = rma(case["yi"], case["vi"], mods=x, method="FE", measure="OR")
    fig = funnel_plot(res)
    (points,) = _by_gid(fig, "observed-studies")
    fitted = res.coefficients[0] + res.coefficients[1] * x
    np.testing.assert_allclose(points.get_offsets()[:, 0], np.asarray(res.yi) - fitted)
    assert fig.axes[0].get_xlabel() == "Residual value"
    (line,) = _by_gid(fig, "estimate-line")
    assert line.get_segments()[0][0][0] == 0.0
