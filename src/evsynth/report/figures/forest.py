"""Forest plot in the RevMan / Comprehensive Meta-Analysis style.

One row per study (label, a square whose area is proportional to the study's weight, its
confidence interval, the effect and interval as text, the weight), then one diamond per pooled
model, a prediction-interval bar, and the heterogeneity and overall-effect lines. Subgroups add
a header row, their studies, a subgroup diamond and the subgroup's heterogeneity line.

The figure never computes a statistic of the meta-analysis: every pooled number comes from the
fitted result objects. The only arithmetic here is the per-study Wald interval
``yi -/+ z * sqrt(vi)`` that every forest plot draws, and the back-transformation of labels.

References
----------
.. [1] Lewis S, Clarke M. Forest plots: trying to see the wood and the trees. BMJ.
   2001;322:1479-1480.
.. [2] Higgins JPT, Thomas J, et al. (eds). Cochrane Handbook for Systematic Reviews of
   Interventions, version 6.4, section 10.2 (forest plots), 2023.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

from evsynth.report.figures import _style

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from evsynth.stats.bias import TrimFillResult
    from evsynth.stats.regression import SubgroupResult
    from evsynth.stats.results import RMAResult

#: Height of one table row, in inches.
ROW_HEIGHT = 0.22
#: Width of the plotting region, in inches.
PLOT_WIDTH = 2.8
#: Estimated width of one character of 9-pt text, in inches (generous, so columns never touch).
CHAR_WIDTH = 0.068
#: Gap between columns, in inches.
GAP = 0.15


@dataclass(frozen=True)
class _Row:
    """One line of the forest plot's table."""

    kind: str  # header | subheader | study | pooled | pi | text | blank
    label: str = ""
    estimate: float = math.nan
    lower: float = math.nan
    upper: float = math.nan
    weight: float = math.nan
    method: str = ""
    ni: float = math.nan  # the study's sample size, for back-transforming PFT
    filled: bool = False  # a study imputed by trim-and-fill


def forest_plot(
    result: RMAResult | Sequence[RMAResult] | SubgroupResult | TrimFillResult,
    *,
    ax: Axes | None = None,
    subgroups: Sequence[tuple[str, RMAResult]] | None = None,
    subgroup_test: tuple[float, float, float] | None = None,
    favours: tuple[str, str] | None = None,
    xlim: tuple[float, float] | None = None,
    refline: float | None = None,
    prediction: bool = True,
    heterogeneity: bool = True,
    digits: int = 2,
    title: str | None = None,
) -> Figure:
    """Draw a forest plot of one or more fitted models of the same studies.

    Parameters
    ----------
    result : RMAResult, sequence of RMAResult, SubgroupResult or TrimFillResult
        The fitted model(s) of the same studies, a trim-and-fill result (the filled studies
        drawn as hollow squares, the diamond the adjusted estimate), or a subgroup analysis
        (:func:`evsynth.stats.regression.subgroups`: its subgroup fits, overall fit and test
        for subgroup differences fill ``subgroups`` and ``subgroup_test``). Each model adds
        a pooled diamond (for example a fixed-effect and a random-effects fit of the same
        data); the last one is the primary analysis, whose weights size the squares and fill
        the weight column and whose heterogeneity is reported. With ``subgroups`` these are the
        overall fits.
    ax : matplotlib Axes, optional
        Draw into this axes (the table columns are placed to its left and right, so leave room).
        By default a new figure sized to its content is created.
    subgroups : sequence of (name, RMAResult), optional
        One fit per subgroup, in display order; their studies are shown under a header row with
        a subgroup diamond. Weights are shown as the overall model's when the study labels match.
    subgroup_test : (Q, df, p), optional
        The test for subgroup differences, printed under the plot.
    favours : (left, right), optional
        Captions under the axis, e.g. ``("Favours control", "Favours treatment")``.
    xlim : (low, high), optional
        Limits on the analysis scale (log scale for ratio measures); intervals beyond them end
        in an arrow.
    refline : float, optional
        Position of the line of no effect on the analysis scale; by default 0 for differences,
        log ratios, correlations and GEN (metafor's default), none for proportions.
    prediction : bool
        Draw the prediction interval of random-effects models.
    heterogeneity : bool
        Print the heterogeneity and overall-effect lines.
    digits : int
        Decimals of the effect and interval columns.
    title : str, optional
        A title above the table.

    Returns
    -------
    matplotlib.figure.Figure
    """
    filled: np.ndarray | None = None
    trim_note: str | None = None
    if hasattr(result, "filled") and hasattr(result, "k0") and hasattr(result, "fit"):
        tf: TrimFillResult = result  # type: ignore[assignment]
        filled = np.asarray(tf.filled, dtype=bool)
        trim_note = (
            f"Trim and fill ({tf.estimator}): {tf.k0} "
            f"stud{'y' if tf.k0 == 1 else 'ies'} filled on the {tf.side} side (hollow squares)"
        )
        result = tf.fit
    if hasattr(result, "fits") and hasattr(result, "overall"):
        sg: SubgroupResult = result  # type: ignore[assignment]
        subgroups = list(zip(sg.levels, sg.fits, strict=True))
        if subgroup_test is None:
            subgroup_test = (sg.Q_between, float(sg.Q_between_df), sg.Q_between_p)
        result = sg.overall
    fits = _as_list(result)  # type: ignore[arg-type]
    main = fits[-1]
    measure = str(main.measure)
    ni = getattr(main, "ni", None)
    back = _style.back_transformer(measure, ni)
    z = NormalDist().inv_cdf(1.0 - (1.0 - float(main.level) / 100.0) / 2.0)

    rows, footer = _build_rows(fits, subgroups, subgroup_test, z, prediction, heterogeneity, filled)
    if trim_note is not None:
        footer.append(trim_note)
    if refline is None and measure.upper() in _style.NULL_VALUE_MEASURES:
        refline = 0.0

    effect_texts = [_effect_text(r, back, digits, measure) for r in rows]
    weight_texts = [_weight_text(r) for r in rows]
    label_chars = max(len(r.label) for r in rows if r.kind not in {"text"})
    level_label = f"{float(main.level):g}% CI"
    effect_head = f"{_style.effect_label(measure, ni)} [{level_label}]"
    effect_chars = max([len(t) for t in effect_texts] + [len(effect_head)])
    weight_head = "Weight" if len(fits) == 1 else f"Weight ({main.method})"
    weight_chars = max([len(t) for t in weight_texts] + [len(weight_head)])
    label_w = max(1.2, label_chars * CHAR_WIDTH)
    effect_w = effect_chars * CHAR_WIDTH
    weight_w = (weight_chars + 1) * CHAR_WIDTH  # bold pooled rows run wider than estimated

    from matplotlib.figure import Figure
    from matplotlib.transforms import blended_transform_factory

    n = len(rows)
    footer_h = (0.55 if favours else 0.35) + 0.18 * len(footer) + 0.1
    title_h = 0.3 if title else 0.0
    if ax is None:
        width = 0.1 + label_w + GAP + PLOT_WIDTH + 3 * GAP + effect_w + weight_w + 0.1
        height = title_h + (n + 1.5) * ROW_HEIGHT + footer_h
        fig = Figure(figsize=(width, height))
        ax = fig.add_axes(
            (
                (0.1 + label_w + GAP) / width,
                footer_h / height,
                PLOT_WIDTH / width,
                (n + 1.0) * ROW_HEIGHT / height,
            )
        )
    else:
        fig = ax.get_figure()  # type: ignore[assignment]
    plot_w = ax.get_position().width * fig.get_figwidth()

    # Table geometry: row i sits at y = n - i; the header sits one row above the first row.
    ys = np.arange(n, 0, -1, dtype=float)
    ax.set_ylim(0.5, n + 1.5)
    trans = blended_transform_factory(ax.transAxes, ax.transData)
    x_label = -(label_w + GAP) / plot_w
    x_effect = 1.0 + (GAP + effect_w) / plot_w
    x_weight = x_effect + (2 * GAP + weight_w) / plot_w  # bold headings run wide

    finite = [
        v
        for r in rows
        if r.kind in {"study", "pooled", "pi"}
        for v in (r.lower, r.upper, r.estimate)
        if math.isfinite(v)
    ]
    if refline is not None:
        finite.append(refline)
    lo, hi = xlim if xlim is not None else _auto_limits(finite)
    ax.set_xlim(lo, hi)
    _style.effect_axis(ax, measure, lo, hi, ni)

    header_y = n + 1.0
    text_kw: dict[str, Any] = {"fontsize": _style.FONT_SIZE, "va": "center", "clip_on": False}
    ax.text(x_label, header_y, "Study", transform=trans, ha="left", weight="bold", **text_kw)
    ax.text(x_effect, header_y, effect_head, transform=trans, ha="right", weight="bold", **text_kw)
    ax.text(x_weight, header_y, weight_head, transform=trans, ha="right", weight="bold", **text_kw)
    if title:
        fig.suptitle(title, fontsize=_style.FONT_SIZE + 2, weight="bold")

    _draw_refline(ax, rows, ys, refline)
    _draw_studies(ax, rows, ys, lo, hi)
    for row, y, eff, wt in zip(rows, ys, effect_texts, weight_texts, strict=True):
        if row.kind == "text":
            ax.text(
                x_label,
                y,
                row.label,
                transform=trans,
                ha="left",
                fontsize=_style.SMALL_FONT_SIZE,
                va="center",
                clip_on=False,
            )
            continue
        weight = "bold" if row.kind in {"subheader", "pooled"} else "normal"
        style = "italic" if row.kind == "pi" else "normal"
        if row.label:
            ax.text(
                x_label,
                y,
                row.label,
                transform=trans,
                ha="left",
                weight=weight,
                style=style,
                **text_kw,
            ).set_gid(f"label-{row.kind}")
        if eff:
            ax.text(x_effect, y, eff, transform=trans, ha="right", weight=weight, **text_kw)
        if wt:
            ax.text(x_weight, y, wt, transform=trans, ha="right", weight=weight, **text_kw)
        if row.kind == "pooled":
            _draw_diamond(ax, row, y)
        elif row.kind == "pi":
            _draw_prediction(ax, row, y)

    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_yticks([])
    ax.tick_params(axis="x", labelsize=_style.SMALL_FONT_SIZE)

    offset = 16.0  # points below the axis: room for the tick labels
    if favours:
        mid = refline if refline is not None else (lo + hi) / 2.0
        frac = (mid - lo) / (hi - lo)
        for text, ha, dx in ((favours[0], "right", -4.0), (favours[1], "left", 4.0)):
            ax.annotate(
                text,
                xy=(frac, 0.0),
                xycoords="axes fraction",
                xytext=(dx, -offset - 4.0),
                textcoords="offset points",
                ha=ha,
                va="top",
                fontsize=_style.SMALL_FONT_SIZE,
            ).set_gid("favours")
        offset += 14.0
    for line in footer:
        ax.annotate(
            line,
            xy=(x_label, 0.0),
            xycoords="axes fraction",
            xytext=(0.0, -offset - 4.0),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=_style.SMALL_FONT_SIZE,
        ).set_gid("footer")
        offset += 12.0
    return fig


def _as_list(result: RMAResult | Sequence[RMAResult]) -> list[RMAResult]:
    if isinstance(result, Sequence):
        fits = list(result)
        if not fits:
            raise ValueError("forest_plot needs at least one fitted model")
        return fits
    return [result]


def _study_rows(
    fit: RMAResult, z: float, weights_from: RMAResult | None, filled: np.ndarray | None = None
) -> list[_Row]:
    yi = np.asarray(fit.yi, dtype=float)
    sei = np.sqrt(np.asarray(fit.vi, dtype=float))
    weights = np.asarray(fit.weights, dtype=float)
    labels = _labels(fit)
    raw_ni = getattr(fit, "ni", None)
    ni = np.full(yi.size, math.nan) if raw_ni is None else np.asarray(raw_ni, dtype=float)
    if weights_from is not None:
        overall = dict(zip(_labels(weights_from), np.asarray(weights_from.weights), strict=True))
        if len(overall) == len(weights_from.yi) and all(lab in overall for lab in labels):
            weights = np.array([overall[lab] for lab in labels], dtype=float)
    imputed = np.zeros(yi.size, dtype=bool) if filled is None else filled
    return [
        _Row(
            "study",
            lab,
            float(y),
            float(y - z * s),
            float(y + z * s),
            float(w),
            ni=float(n),
            filled=bool(f),
        )
        for lab, y, s, w, n, f in zip(labels, yi, sei, weights, ni, imputed, strict=True)
    ]


def _labels(fit: RMAResult) -> list[str]:
    slab = getattr(fit, "slab", None)
    if slab is None:
        return [f"Study {i + 1}" for i in range(len(fit.yi))]
    return [str(s) for s in slab]


def _pooled_rows(
    fits: Sequence[RMAResult], totals: Sequence[float], prediction: bool, subtotal: bool = False
) -> list[_Row]:
    rows: list[_Row] = []
    for fit, total in zip(fits, totals, strict=True):
        if _moderated(fit):
            continue  # a meta-regression has no single pooled effect to draw
        method = str(fit.method)
        label = f"Subtotal ({method})" if subtotal else _style.method_label(method)
        rows.append(
            _Row(
                "pooled",
                label,
                float(fit.estimate),
                float(fit.ci_lower),
                float(fit.ci_upper),
                total,
                str(fit.method),
            )
        )
    if prediction:
        for fit in fits:
            if _style.is_fixed(str(fit.method)) or _moderated(fit):
                continue
            lo, hi = float(fit.pi_lower), float(fit.pi_upper)
            if math.isfinite(lo) and math.isfinite(hi):
                rows.append(_Row("pi", "Prediction interval", math.nan, lo, hi))
    return rows


def _moderated(fit: RMAResult) -> bool:
    """A model with moderators (its ``estimate`` is an intercept, not a pooled effect)."""
    return len(getattr(fit, "coef_names", ("intrcpt",))) > 1


def _heterogeneity_text(fit: RMAResult) -> str:
    parts = []
    if not _style.is_fixed(str(fit.method)):
        parts.append(f"τ² = {_num(float(fit.tau2))}")
    parts.append(
        f"Q = {float(fit.Q):.2f}, df = {int(fit.Q_df)} ({_style.format_p(float(fit.Q_p))})"
    )
    parts.append(f"I² = {float(fit.I2):.0f}%")
    if _moderated(fit):
        names = ", ".join(str(n) for n in fit.coef_names[1:])
        return (
            f"Meta-regression on {names}: no pooled effect is shown. "
            "Residual heterogeneity: " + "; ".join(parts)
        )
    return "Heterogeneity: " + "; ".join(parts)


def _overall_text(fit: RMAResult, named: bool) -> str:
    stat = "t" if str(fit.test).lower() == "knha" else "Z"
    df = f"({int(fit.k) - 1})" if stat == "t" else ""
    label = _style.method_label(str(fit.method))
    which = f", {label[:1].lower()}{label[1:]}" if named else ""
    return (
        f"Test for overall effect{which}: {stat}{df} = {float(fit.statistic):.2f} "
        f"({_style.format_p(float(fit.p_value))})"
    )


def _num(x: float) -> str:
    return f"{x:.3g}" if 0 < abs(x) < 0.01 else f"{x:.2f}"


def _build_rows(
    fits: list[RMAResult],
    subgroups: Sequence[tuple[str, RMAResult]] | None,
    subgroup_test: tuple[float, float, float] | None,
    z: float,
    prediction: bool,
    heterogeneity: bool,
    filled: np.ndarray | None = None,
) -> tuple[list[_Row], list[str]]:
    main = fits[-1]
    rows: list[_Row] = []
    if subgroups:
        for name, sub in subgroups:
            rows.append(_Row("subheader", name))
            studies = _study_rows(sub, z, main)
            rows.extend(studies)
            subtotal = float(np.nansum([r.weight for r in studies]))
            rows.extend(_pooled_rows([sub], [subtotal], prediction=False, subtotal=True))
            if heterogeneity and int(sub.k) > 1:
                rows.append(_Row("text", _heterogeneity_text(sub)))
            rows.append(_Row("blank"))
    else:
        rows.extend(_study_rows(main, z, None, filled))
        rows.append(_Row("blank"))
    rows.extend(_pooled_rows(fits, [math.nan] * (len(fits) - 1) + [100.0], prediction))
    footer: list[str] = []
    if heterogeneity:
        if int(main.k) > 1:
            footer.append(_heterogeneity_text(main))
        # A test against 0 on the analysis scale means "no effect" only where the measure has a
        # null value; for a proportion it would test a logit of 0 (p = 0.5) or p = 0.
        if str(main.measure).upper() in _style.NULL_VALUE_MEASURES:
            footer.extend(
                _overall_text(fit, named=len(fits) > 1) for fit in fits if not _moderated(fit)
            )
        if subgroup_test is not None:
            q, df, p = subgroup_test
            footer.append(
                f"Test for subgroup differences: Q = {q:.2f}, df = {df:g} ({_style.format_p(p)})"
            )
    return rows, footer


def _effect_text(row: _Row, back: Callable[[float], float], digits: int, measure: str) -> str:
    f = _style.fixed
    if row.kind == "study" and measure.upper() == "PFT" and math.isfinite(row.ni):
        # each study back-transformed with its own n, which recovers its own proportion
        back = _style.back_transformer("PFT", [row.ni])
    if row.kind in {"study", "pooled"}:
        est, lo, hi = back(row.estimate), back(row.lower), back(row.upper)
        return f"{f(est, digits)} [{f(lo, digits)}, {f(hi, digits)}]"
    if row.kind == "pi":
        return f"[{f(back(row.lower), digits)}, {f(back(row.upper), digits)}]"
    return ""


def _weight_text(row: _Row) -> str:
    if row.kind in {"study", "pooled"} and math.isfinite(row.weight):
        return f"{row.weight:.1f}%"
    return ""


def _auto_limits(values: list[float]) -> tuple[float, float]:
    if not values:
        return -1.0, 1.0
    lo, hi = min(values), max(values)
    if hi <= lo:
        lo, hi = lo - 1.0, hi + 1.0
    pad = 0.05 * (hi - lo)
    return lo - pad, hi + pad


def _draw_refline(ax: Axes, rows: list[_Row], ys: np.ndarray, refline: float | None) -> None:
    if refline is None:
        return
    # The line of no effect runs through the data rows only, never through text lines.
    run: list[float] = []
    for row, y in [*zip(rows, ys, strict=True), (_Row("text"), 0.0)]:
        if row.kind in {"study", "pooled", "pi", "subheader", "blank"}:
            run.append(float(y))
            continue
        if run:
            ax.vlines(
                refline, min(run) - 0.5, max(run) + 0.5, color=_style.GUIDE, lw=0.8, zorder=0
            ).set_gid("refline")
            run = []


def _draw_studies(ax: Axes, rows: list[_Row], ys: np.ndarray, lo: float, hi: float) -> None:
    study = [(r, y) for r, y in zip(rows, ys, strict=True) if r.kind == "study"]
    if not study:
        return
    weights = np.array([r.weight for r, _ in study], dtype=float)
    if not np.all(np.isfinite(weights)) or np.nanmax(weights) <= 0:
        weights = np.ones_like(weights)
    # Square AREA proportional to weight (Lewis & Clarke 2001), with a floor so that a study of
    # tiny weight stays visible.
    row_pts = ROW_HEIGHT * 72.0
    side = 0.6 * row_pts * np.sqrt(weights / weights.max())
    side = np.maximum(side, 2.5)
    for r, y in study:
        a, b = max(r.lower, lo), min(r.upper, hi)
        ax.plot([a, b], [y, y], color=_style.INK, lw=0.9, solid_capstyle="butt")
        if r.lower < lo:
            ax.plot([lo], [y], marker="<", color=_style.INK, ms=4, clip_on=False)
        if r.upper > hi:
            ax.plot([hi], [y], marker=">", color=_style.INK, ms=4, clip_on=False)
    xs = np.array([r.estimate for r, _ in study])
    yy = np.array([y for _, y in study])
    imputed = np.array([r.filled for r, _ in study], dtype=bool)
    inside = (xs >= lo) & (xs <= hi)
    shown = inside & ~imputed
    squares = ax.scatter(
        xs[shown],
        yy[shown],
        s=(side[shown]) ** 2,
        marker="s",
        color=_style.SQUARE,
        edgecolors="none",
        zorder=3,
    )
    squares.set_gid("study-squares")
    if imputed.any():
        hollow = inside & imputed
        ax.scatter(
            xs[hollow],
            yy[hollow],
            s=(side[hollow]) ** 2,
            marker="s",
            facecolors="white",
            edgecolors=_style.SQUARE,
            linewidths=1.0,
            zorder=3,
        ).set_gid("filled-squares")


def _draw_diamond(ax: Axes, row: _Row, y: float) -> None:
    from matplotlib.patches import Polygon

    half = 0.32
    colour = _style.DIAMOND_FIXED if _style.is_fixed(row.method) else _style.DIAMOND_RANDOM
    diamond = Polygon(
        [
            (row.lower, y),
            (row.estimate, y + half),
            (row.upper, y),
            (row.estimate, y - half),
        ],
        closed=True,
        facecolor=colour,
        edgecolor=colour,
        zorder=3,
    )
    diamond.set_gid(f"diamond-{row.method}")
    ax.add_patch(diamond)


def _draw_prediction(ax: Axes, row: _Row, y: float) -> None:
    (line,) = ax.plot(
        [row.lower, row.upper], [y, y], color=_style.PI_COLOUR, lw=1.6, solid_capstyle="butt"
    )
    line.set_gid("prediction-interval")
    ax.plot(
        [row.lower, row.lower, math.nan, row.upper, row.upper],
        [y - 0.2, y + 0.2, math.nan, y - 0.2, y + 0.2],
        color=_style.PI_COLOUR,
        lw=1.2,
    )
