"""GOSH plot: the pooled estimate against I^2 for every subset fitted, with marginal densities.

Each point is one subset of the studies (Olkin et al. 2012). Up to ``HEXBIN_FROM`` points are
drawn as a translucent scatter; beyond that as hexagonal bins (counts on a log scale), so a
million subsets render quickly and dense regions stay readable. Subsets can be coloured by a
clustering (:mod:`evsynth.stats.resampling.outliers`) or by whether they hold one study.

References
----------
Olkin I, Dahabreh IJ, Trikalinos TA (2012). GOSH - a graphical display of study heterogeneity.
Research Synthesis Methods 3:214-223. doi:10.1002/jrsm.1053
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from evsynth.errors import InputError
from evsynth.report.figures import _style

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from evsynth.stats.resampling.gosh import GoshResult

#: From this many subsets on, points are binned into hexagons.
HEXBIN_FROM = 20_000
#: Points used for each marginal density (a random subsample of larger results).
DENSITY_POINTS = 20_000
CLUSTER_COLOURS = ("#3b5b92", "#b2182b", "#1b7837", "#e08214", "#762a83", "#35978f")


def gosh_plot(
    result: GoshResult,
    *,
    highlight: str | None = None,
    clusters: np.ndarray | None = None,
    hexbin: bool | None = None,
    title: str | None = None,
) -> Figure:
    """Draw the GOSH plot.

    Parameters
    ----------
    result : GoshResult
        From :func:`evsynth.stats.resampling.gosh.gosh`.
    highlight : str, optional
        A study label: subsets holding it are drawn in red, the others in blue.
    clusters : ndarray of int, optional
        A cluster number per subset (-1 for noise), e.g. ``GoshOutliers.labels``.
    hexbin : bool, optional
        Force hexagonal binning on or off (default: on from 20,000 subsets, when neither
        ``highlight`` nor ``clusters`` is given).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Axes: the scatter (x: estimate, y: I^2), the estimate's density above it and the
        density of I^2 to its right.
    """
    from matplotlib.figure import Figure

    x, y = result.estimate, result.I2
    ok = np.isfinite(x) & np.isfinite(y)
    groups = _groups(result, highlight, clusters)
    fig = Figure(figsize=(6.0, 5.5))
    grid = fig.add_gridspec(
        2, 2, width_ratios=(4, 1), height_ratios=(1, 4), wspace=0.05, hspace=0.05
    )
    ax = fig.add_subplot(grid[1, 0])
    top = fig.add_subplot(grid[0, 0], sharex=ax)
    right = fig.add_subplot(grid[1, 1], sharey=ax)
    use_hex = (ok.sum() >= HEXBIN_FROM) if hexbin is None else hexbin
    if groups is None and use_hex:
        ax.hexbin(x[ok], y[ok], gridsize=60, bins="log", cmap="Blues", mincnt=1)
        _density(top, x[ok], "#3b5b92", vertical=False)
        _density(right, y[ok], "#3b5b92", vertical=True)
    elif groups is None:
        alpha = float(np.clip(2000.0 / max(ok.sum(), 1), 0.05, 0.8))
        ax.scatter(x[ok], y[ok], s=6, alpha=alpha, color="#3b5b92", linewidths=0)
        _density(top, x[ok], "#3b5b92", vertical=False)
        _density(right, y[ok], "#3b5b92", vertical=True)
    else:
        alpha = float(np.clip(2000.0 / max(ok.sum(), 1), 0.05, 0.8))
        for label, sel, colour in groups:
            s = sel & ok
            ax.scatter(x[s], y[s], s=6, alpha=alpha, color=colour, linewidths=0, label=label)
            # each group's density scaled by its share, so the curves add up to the whole
            share = float(s.sum()) / max(float(ok.sum()), 1.0)
            _density(top, x[s], colour, vertical=False, share=share)
            _density(right, y[s], colour, vertical=True, share=share)
        legend = ax.legend(
            loc="best", fontsize=_style.SMALL_FONT_SIZE, markerscale=2.5, frameon=False
        )
        for handle in legend.legend_handles:
            if handle is not None:
                handle.set_alpha(1.0)
    if len(result.coef_names) > 1:
        # a meta-regression: the first coefficient (the intercept) is on the x axis
        ax.set_xlabel(f"{result.coef_names[0]} ({result.measure}, analysis scale)")
    elif result.measure in _style.LOG_SCALE_MEASURES:
        # the estimates are on the analysis (log) scale
        ax.set_xlabel(f"Log {_style.measure_label(result.measure).lower()} ({result.measure})")
    else:
        ax.set_xlabel(f"{_style.measure_label(result.measure)} ({result.measure})")
    ax.set_ylabel("I² (%)")
    top.set_ylabel("Density", fontsize=_style.SMALL_FONT_SIZE)
    right.set_xlabel("Density", fontsize=_style.SMALL_FONT_SIZE)
    # the densities' shape matters, not their values
    top.tick_params(labelbottom=False, labelleft=False, left=False)
    right.tick_params(labelleft=False, labelbottom=False, bottom=False)
    count = f"all {result.n_subsets:,}" if result.exact else f"{result.n_subsets:,} random"
    heading = title or (
        f"GOSH plot: {count} subsets of {len(result.slab)} studies "
        f"({_style.method_label(result.method)})"
    )
    top.set_title(heading, fontsize=_style.FONT_SIZE)
    return fig


def _groups(
    result: GoshResult, highlight: str | None, clusters: np.ndarray | None
) -> list[tuple[str, np.ndarray, str]] | None:
    if highlight is not None:
        if highlight not in result.slab:
            raise InputError(f"Unknown study '{highlight}' to highlight", column="highlight")
        holds = result.incl[:, result.slab.index(highlight)]
        return [
            (f"without {highlight}", ~holds, "#3b5b92"),
            (f"with {highlight}", holds, "#b2182b"),
        ]
    if clusters is None:
        return None
    labels = np.asarray(clusters)
    out = []
    for i, c in enumerate(sorted(set(labels.tolist()))):
        name = "noise" if c < 0 else f"cluster {c + 1}"
        colour = "#bdbdbd" if c < 0 else CLUSTER_COLOURS[i % len(CLUSTER_COLOURS)]
        out.append((name, labels == c, colour))
    return out


def _density(
    ax: Axes, values: np.ndarray, colour: str, *, vertical: bool, share: float = 1.0
) -> None:
    from scipy.stats import gaussian_kde

    vals = values[np.isfinite(values)]
    if vals.size > DENSITY_POINTS:
        vals = np.random.default_rng(0).choice(vals, DENSITY_POINTS, replace=False)
    if vals.size == 0:
        return
    if np.ptp(vals) == 0:
        # all mass at one value (e.g. I^2 = 0 in every subset): a line there, not a density
        if vertical:
            ax.axhline(vals[0], color=colour, linewidth=1.5)
        else:
            ax.axvline(vals[0], color=colour, linewidth=1.5)
        return
    grid = np.linspace(vals.min(), vals.max(), 200)
    dens = share * gaussian_kde(vals)(grid)
    if vertical:
        ax.plot(dens, grid, color=colour, linewidth=1.0)
        ax.fill_betweenx(grid, 0, dens, color=colour, alpha=0.2)
    else:
        ax.plot(grid, dens, color=colour, linewidth=1.0)
        ax.fill_between(grid, 0, dens, color=colour, alpha=0.2)
