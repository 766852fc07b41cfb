"""Funnel plot: each study's effect against its standard error, with pseudo-confidence limits.

The standard-error axis is inverted (precise studies at the top), as in metafor's ``funnel``
and the Cochrane Handbook. Options: contour-enhanced shading of the regions of statistical
significance against the null value, and trim-and-fill results with the filled studies drawn
as hollow points.

References
----------
.. [1] Sterne JAC, Egger M (2001). Funnel plots for detecting bias in meta-analysis:
   guidelines on choice of axis. Journal of Clinical Epidemiology 54:1046-1055.
.. [2] Peters JL, Sutton AJ, Jones DR, Abrams KR, Rushton L (2008). Contour-enhanced
   meta-analysis funnel plots help distinguish publication bias from other causes of asymmetry.
   Journal of Clinical Epidemiology 61:991-996.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from evsynth.errors import InputError
from evsynth.report.figures import _style

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from evsynth.stats.bias import TrimFillResult
    from evsynth.stats.results import RMAResult

#: Shades of the contour regions, from "not significant" outwards (greyscale-safe).
CONTOUR_SHADES = ("#ffffff", "#d9d9d9", "#b0b0b0", "#8c8c8c")


def funnel_plot(
    result: RMAResult | TrimFillResult,
    *,
    ax: Axes | None = None,
    contours: Sequence[float] | None = None,
    refline: float | None = None,
    pseudo_ci: bool = True,
    xlim: tuple[float, float] | None = None,
    title: str | None = None,
) -> Figure:
    """Draw a funnel plot of a fitted model or of a trim-and-fill result.

    Parameters
    ----------
    result : RMAResult or TrimFillResult
        A fitted model, or the result of :func:`evsynth.stats.bias.trimfill`; then the
        observed studies are solid, the filled ones hollow, and the vertical line is the
        adjusted estimate.
    ax : matplotlib Axes, optional
        Draw into this axes; by default a new 4.5 x 4 inch figure.
    contours : sequence of float, optional
        Confidence levels in percent, e.g. ``(90, 95, 99)``, for a contour-enhanced funnel:
        the regions where a study would be significant against ``refline`` (0 by default) at
        p < 0.10, 0.05 and 0.01 are shaded.
    refline : float, optional
        The null value for the contours, on the analysis scale (default 0).
    pseudo_ci : bool
        Draw the pseudo-confidence limits ``estimate -/+ z * se`` at the model's level.
    xlim : (low, high), optional
        Limits of the effect axis, on the analysis scale.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    from evsynth.stats.bias import funnel_contours

    fit, filled = _unpack(result)
    measure = str(fit.measure)
    yi = np.asarray(fit.yi, dtype=float)
    sei = np.sqrt(np.asarray(fit.vi, dtype=float))
    estimate = float(fit.estimate)
    level = float(fit.level)
    moderated = len(getattr(fit, "coef_names", ("intrcpt",))) > 1
    if moderated:
        # As metafor's funnel for a meta-regression: residuals (effect minus the fitted value
        # from the model's own coefficients) around 0, on the analysis scale.
        yi = yi - np.asarray(fit.X, dtype=float) @ np.asarray(fit.coefficients, dtype=float)
        estimate = 0.0
        measure = "GEN"

    if ax is None:
        # A contour legend goes to the right of the funnel, where it hides no study.
        width = 6.0 if contours or filled.any() else 4.5
        fig = Figure(figsize=(width, 4.0))
        ax = fig.add_axes((0.72 / width, 0.13, 3.6 / width, 0.8))
    else:
        fig = ax.get_figure()  # type: ignore[assignment]

    se_top = float(np.max(sei)) * 1.08 if sei.size else 1.0
    se_grid = np.array([0.0, se_top])
    z = NormalDist().inv_cdf(1.0 - (1.0 - level / 100.0) / 2.0)
    null = 0.0 if refline is None else float(refline)
    levels = sorted({float(v) for v in contours}) if contours else []
    if len(levels) > len(CONTOUR_SHADES) - 1:
        raise InputError(f"At most {len(CONTOUR_SHADES) - 1} contour levels can be shaded")

    xs: list[float] = [*yi.tolist(), estimate]
    if pseudo_ci:
        xs += [estimate - z * se_top, estimate + z * se_top]
    if levels:
        widest = funnel_contours(se_grid, (levels[-1],), center=null)[levels[-1]]
        xs += [float(widest[0][-1]), float(widest[1][-1])]
    lo, hi = xlim if xlim is not None else _pad(min(xs), max(xs))

    if levels:
        _draw_contours(ax, levels, null, se_top, lo, hi)
    if pseudo_ci:
        for sign in (-1.0, 1.0):
            (line,) = ax.plot(
                [estimate, estimate + sign * z * se_top],
                [0.0, se_top],
                color=_style.INK,
                lw=0.8,
                ls="--",
            )
            line.set_gid("pseudo-ci")
    ax.vlines(estimate, 0.0, se_top, color=_style.INK, lw=1.0).set_gid("estimate-line")

    observed = ax.scatter(
        yi[~filled],
        sei[~filled],
        s=22,
        color=_style.INK,
        edgecolors=_style.INK,
        zorder=4,
        label="Observed studies" if filled.any() else None,
    )
    observed.set_gid("observed-studies")
    if filled.any():
        imputed = ax.scatter(
            yi[filled],
            sei[filled],
            s=22,
            facecolors="white",
            edgecolors=_style.INK,
            linewidths=0.9,
            zorder=4,
            label="Filled studies (trim and fill)",
        )
        imputed.set_gid("filled-studies")

    ax.set_xlim(lo, hi)
    ax.set_ylim(se_top, 0.0)  # inverted: the most precise studies at the top
    ni = None if moderated else getattr(fit, "ni", None)
    _style.effect_axis(ax, measure, lo, hi, ni)
    label = "Residual value" if moderated else _style.effect_label(measure, ni)
    if _style.is_back_transformed(measure, ni):
        label += f" ({_style.ANALYSIS_SCALES[measure.upper()]} scale)"
    ax.set_xlabel(label, fontsize=_style.FONT_SIZE)
    ax.set_ylabel("Standard error", fontsize=_style.FONT_SIZE)
    ax.tick_params(labelsize=_style.SMALL_FONT_SIZE)
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, fontsize=_style.FONT_SIZE + 1, weight="bold")
    if levels or filled.any():
        handles, labels = ax.get_legend_handles_labels()
        # contour regions from "not significant" outwards, then the two kinds of point
        n_points = 2 if filled.any() else 0
        order = [
            *range(len(handles) - n_points - 1, -1, -1),
            *range(len(handles) - n_points, len(handles)),
        ]
        ax.legend(
            [handles[i] for i in order],
            [labels[i] for i in order],
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            fontsize=_style.SMALL_FONT_SIZE - 1,
            frameon=True,
            framealpha=0.9,
        ).set_gid("funnel-legend")
    return fig


def _unpack(result: RMAResult | TrimFillResult) -> tuple[RMAResult, np.ndarray]:
    if hasattr(result, "filled") and hasattr(result, "fit"):
        return result.fit, np.asarray(result.filled, dtype=bool)
    fit: RMAResult = result  # type: ignore[assignment]
    return fit, np.zeros(len(fit.yi), dtype=bool)


def _pad(lo: float, hi: float) -> tuple[float, float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return lo - 1.0, hi + 1.0
    pad = 0.05 * (hi - lo)
    return lo - pad, hi + pad


def _draw_contours(
    ax: Axes, levels: list[float], null: float, se_top: float, lo: float, hi: float
) -> None:
    """Shade the significance regions between consecutive contour levels."""
    from evsynth.stats.bias import funnel_contours

    se = np.array([0.0, se_top])
    bounds = funnel_contours(se, tuple(levels), center=null)
    shades = CONTOUR_SHADES[: len(levels) + 1]
    # Outside the widest contour: p below its alpha.
    ax.fill_between(
        [lo, hi], 0.0, se_top, color=shades[-1], lw=0, zorder=0, label=_p_label(levels[-1], None)
    )
    for i in range(len(levels) - 1, -1, -1):
        lower, upper = bounds[levels[i]]
        inner = levels[i - 1] if i > 0 else None
        shade = shades[i]
        patch = ax.fill(
            [null, float(lower[-1]), float(upper[-1])],
            [0.0, se_top, se_top],
            facecolor=shade,
            # the white innermost region gets a thin outline so that its legend key shows
            edgecolor=_style.GUIDE if i == 0 else shade,
            lw=0.4 if i == 0 else 0.0,
            zorder=0,
            label=_p_label(inner, levels[i]) if inner is not None else _p_label(None, levels[0]),
        )[0]
        patch.set_gid(f"contour-{levels[i]:g}")


def _p_label(inner: float | None, outer: float | None) -> str:
    """Legend text of the region between two contour levels (levels in percent)."""
    if outer is None and inner is not None:
        return f"p < {1 - inner / 100:.2f}"
    if inner is None and outer is not None:
        return f"p > {1 - outer / 100:.2f}"
    assert inner is not None and outer is not None
    return f"{1 - outer / 100:.2f} < p < {1 - inner / 100:.2f}"
