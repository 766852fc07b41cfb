"""Shared look of evsynth's figures and the one way to save them.

Kept free of a module-level matplotlib import so that importing the figures package is cheap.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from evsynth.errors import InputError
from evsynth.fileio import write_bytes_atomic

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Print resolution for raster output (journals ask for at least 300 dpi).
PNG_DPI = 300

#: Font sizes in points: body text of the table columns and the smaller footnote lines.
FONT_SIZE = 9.0
SMALL_FONT_SIZE = 8.0

#: Colours: black ink for data, a mid grey for guides, so that the figure prints in greyscale.
INK = "#000000"
GUIDE = "#7f7f7f"
DIAMOND_FIXED = "#000000"
DIAMOND_RANDOM = "#3b5b92"
SQUARE = "#3b5b92"
PI_COLOUR = "#b2182b"

#: Measures whose analysis scale is the log of a ratio: drawn on a log axis whose tick labels
#: show the ratio itself, as RevMan and CMA do.
LOG_SCALE_MEASURES = frozenset({"RR", "OR", "ROM", "IRR", "HR", "PETO", "PLN", "IRLN", "CVR", "VR"})

#: Column headings per metafor measure code (the reporting scale, after back-transformation).
MEASURE_LABELS: dict[str, str] = {
    "MD": "Mean difference",
    "SMD": "Std. mean difference",
    "SMDH": "Std. mean difference",
    "ROM": "Ratio of means",
    "MC": "Mean change",
    "SMCC": "Std. mean change",
    "SMCR": "Std. mean change",
    "RR": "Risk ratio",
    "OR": "Odds ratio",
    "PETO": "Peto odds ratio",
    "RD": "Risk difference",
    "PR": "Proportion",
    "PLN": "Proportion",
    "PLO": "Proportion",
    "PAS": "Proportion",
    "PFT": "Proportion",
    "COR": "Correlation",
    "ZCOR": "Correlation",
    "IRR": "Rate ratio",
    "HR": "Hazard ratio",
    "GEN": "Estimate",
}

#: Where a difference, a ratio or a correlation means "no effect" (0 on the analysis scale);
#: proportions have no null. GEN gets metafor's default reference line at 0.
NULL_VALUE_MEASURES = frozenset(
    {"MD", "SMD", "SMDH", "ROM", "MC", "SMCC", "SMCR", "RR", "OR", "PETO", "RD", "IRR", "HR"}
    | {"GEN", "COR", "ZCOR"}
)

METHOD_LABELS: dict[str, str] = {
    "FE": "Fixed effect",
    "EE": "Fixed effect",
    "MH": "Fixed effect (Mantel-Haenszel)",
    "PETO": "Fixed effect (Peto)",
    "DL": "Random effects (DerSimonian-Laird)",
    "HE": "Random effects (Hedges)",
    "HS": "Random effects (Hunter-Schmidt)",
    "SJ": "Random effects (Sidik-Jonkman)",
    "ML": "Random effects (ML)",
    "REML": "Random effects (REML)",
    "EB": "Random effects (empirical Bayes)",
    "PM": "Random effects (Paule-Mandel)",
}


def measure_label(measure: str) -> str:
    """Column heading for a metafor measure code; the code itself when it is not known."""
    return MEASURE_LABELS.get(measure.upper(), measure)


def method_label(method: str) -> str:
    """Row label of a pooled diamond for a model-fitting method."""
    return METHOD_LABELS.get(method.upper(), method)


def is_fixed(method: str) -> bool:
    """Whether a model-fitting method is a fixed-effect (common-effect) model."""
    return method.upper() in {"FE", "EE", "CE", "MH", "PETO"}


def format_p(p: float) -> str:
    """A p-value as journals print it: ``p < 0.001`` below that, else three decimals."""
    if p != p:  # NaN
        return "p = NA"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}"


#: Measures whose back-transformation is delegated to ``evsynth.stats.escalc.back_transform``
#: (PFT only when the sample sizes are known: its inverse needs them).
_DELEGATED_BACK_TRANSFORMS = frozenset({"PLO", "PAS", "ZCOR", "PFT"})

#: The analysis scale of each transformed measure, named for readers.
ANALYSIS_SCALES: dict[str, str] = {
    **dict.fromkeys(LOG_SCALE_MEASURES, "log"),
    "PLO": "logit",
    "PAS": "arcsine",
    "PFT": "Freeman-Tukey double-arcsine",
    "ZCOR": "Fisher's z",
}


def is_back_transformed(measure: str, ni: object = None) -> bool:
    """Whether values of ``measure`` are shown on a scale other than the analysis scale."""
    code = measure.upper()
    return code in ANALYSIS_SCALES and not (code == "PFT" and ni is None)


def back_transformer(measure: str, ni: object = None) -> Callable[[float], float]:
    """The map from the analysis scale to the reporting scale used for labels and text columns.

    exp for log-ratio measures, the measure's own inverse for logit, arcsine and Fisher-z
    proportions or correlations, and for Freeman-Tukey proportions the inverse at the harmonic
    mean of the sample sizes ``ni`` (metafor's ``transf.ipft.hm``; one study's own n gives that
    study's proportion); identity otherwise, and for PFT without ``ni``.
    """
    code = measure.upper()
    if code in LOG_SCALE_MEASURES:
        return math.exp
    if code in _DELEGATED_BACK_TRANSFORMS and is_back_transformed(code, ni):
        from evsynth.stats.escalc import back_transform

        sizes = None if ni is None else np.asarray(ni, dtype=float)

        def delegated(x: float) -> float:
            return float(back_transform(code, x, ni=sizes))

        return delegated
    return float


def effect_label(measure: str, ni: object = None) -> str:
    """Heading of an effect column: the reporting-scale name, or the analysis scale's when the
    values cannot be back-transformed (PFT without sample sizes)."""
    code = measure.upper()
    if code == "PFT" and ni is None:
        return "Freeman-Tukey proportion (analysis scale)"
    return measure_label(code)


def effect_axis(ax: Axes, measure: str, lo: float, hi: float, ni: object = None) -> None:
    """Ticks of an effect axis drawn on the analysis scale, labelled on the reporting scale.

    Ratio measures get ticks at round ratios (0.1, 0.2, 0.5, 1, 2, 5, ...) placed at their logs,
    which is a log axis with back-transformed labels.
    """
    code = measure.upper()
    if code in LOG_SCALE_MEASURES:
        ratios = [b * 10.0**e for e in range(-4, 5) for b in (1.0, 2.0, 5.0)]
        ticks = [math.log(r) for r in ratios if lo <= math.log(r) <= hi]
        if len(ticks) > 7:  # a wide range: powers of ten only, so the labels do not collide
            ticks = [math.log(10.0**e) for e in range(-4, 5) if lo <= math.log(10.0**e) <= hi]
        if len(ticks) < 3:
            fine = [0.25, 0.33, 0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0]
            ticks = sorted({*ticks, *(math.log(r) for r in fine if lo <= math.log(r) <= hi)})
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{math.exp(t):.3g}" for t in ticks])
        return
    from matplotlib.ticker import MaxNLocator

    back = back_transformer(code, ni)
    if back is float:
        ticks = [float(t) for t in MaxNLocator(nbins=5).tick_values(lo, hi) if lo <= t <= hi]
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{t:g}" for t in ticks])
        return
    # Round values on the reporting scale (e.g. correlations 0, 0.2, 0.4), placed where they
    # fall on the analysis scale; the back-transformations are increasing, so a dense grid
    # inverts them.
    grid = np.linspace(lo, hi, 2001)
    shown = np.array([back(float(x)) for x in grid])
    nice = [
        float(t)
        for t in MaxNLocator(nbins=5).tick_values(shown[0], shown[-1])
        if shown[0] <= t <= shown[-1]
    ]
    ax.set_xticks([float(np.interp(t, shown, grid)) for t in nice])
    ax.set_xticklabels([f"{t:g}" for t in nice])


def fixed(x: float, digits: int) -> str:
    """``x`` with ``digits`` decimals, never printing a negative zero ("-0.00")."""
    text = f"{x:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


FIGURE_FORMATS = ("svg", "png", "pdf")


def figure_format(path: str | Path) -> str:
    """The format a figure file's suffix asks for, or an InputError naming the allowed ones."""
    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        raise InputError(
            f"unsupported figure format '{target.suffix}'; expected .svg, .png or .pdf",
            file=target,
        )
    return fmt


#: Largest PNG side in pixels: beyond it the raster needs gigabytes of memory (a forest plot of
#: about 500 studies at 300 dpi); vector formats have no such limit.
MAX_PNG_PIXELS = 32_000


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """Render a figure in memory as SVG, PNG (300 dpi) or PDF."""
    import matplotlib

    if fmt == "png":
        width, height = (float(v) * PNG_DPI for v in fig.get_size_inches())
        if max(width, height) > MAX_PNG_PIXELS:
            raise InputError(
                f"the figure would be {width:.0f} x {height:.0f} pixels at {PNG_DPI} dpi, too "
                "large for PNG; save it as .svg or .pdf"
            )

    buffer = io.BytesIO()
    # No date and a fixed hash salt keep SVG output byte-for-byte reproducible; text stays text.
    metadata: dict[str, str | None] = {"Date": None} if fmt == "svg" else {}
    with matplotlib.rc_context({"svg.hashsalt": "evsynth", "svg.fonttype": "none"}):
        fig.savefig(
            buffer,
            format=fmt,
            dpi=PNG_DPI if fmt == "png" else "figure",
            bbox_inches="tight",
            pad_inches=0.05,
            metadata=metadata,
        )
    return buffer.getvalue()


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Save a figure as SVG, PNG (300 dpi) or PDF, chosen by the file suffix.

    The file is rendered in memory and written atomically, so a failure never leaves a
    partial file.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to save.
    path : str or Path
        Target file; its suffix (``.svg``, ``.png`` or ``.pdf``) picks the format.

    Returns
    -------
    Path
        The path written.
    """
    target = Path(path)
    data = figure_bytes(fig, figure_format(target))
    write_bytes_atomic(target, data)
    return target
