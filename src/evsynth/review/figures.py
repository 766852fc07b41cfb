"""The figures of a run: one forest plot per analysis and the PRISMA 2020 flow diagram.

Each figure is written as SVG (for the HTML and the PDF) and PNG at 300 dpi (for the DOCX).
The figure functions belong to :mod:`evsynth.report.figures`; this module only chooses what to
draw and where to save it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evsynth.review.model import ReviewRun

FIGURES_DIR = "figures"


@dataclass(frozen=True)
class FigureSet:
    """Relative paths (from the output folder) of the figures of a run."""

    prisma_svg: str | None = None
    prisma_png: str | None = None
    forest_svg: dict[str, str] = field(default_factory=dict)
    forest_png: dict[str, str] = field(default_factory=dict)

    def all_paths(self) -> list[str]:
        paths = [p for p in (self.prisma_svg, self.prisma_png) if p]
        return paths + sorted(self.forest_svg.values()) + sorted(self.forest_png.values())


def _favours(run: ReviewRun, analysis_id: str) -> tuple[str, str] | None:
    a = run.analysis(analysis_id)
    if a.data == "change":
        return ("Worse than baseline", "Better than baseline")
    lower_is_better = next(
        (bool(o.get("lower_is_better", True)) for o in run.outcomes if o.get("id") == a.outcome),
        True,
    )
    if a.measure.upper() in ("RR", "OR", "RD"):
        # Responders: more is better; adverse events: fewer is better.
        return (
            ("Favours treatment", "Favours control")
            if lower_is_better
            else ("Favours control", "Favours treatment")
        )
    if a.measure.upper() in ("MD", "SMD", "ROM"):
        # Treatment minus control: a lower score is better on pain and disability scales.
        return (
            ("Favours treatment", "Favours control")
            if lower_is_better
            else ("Favours control", "Favours treatment")
        )
    return None


def _save(fig: Any, out_dir: Path, stem: str) -> tuple[str, str]:
    # The figure functions build plain Figure objects (no pyplot state), so saving is safe in
    # the web application's worker threads and the figure is freed with its last reference.
    from evsynth.report.figures import save_figure

    save_figure(fig, out_dir / FIGURES_DIR / f"{stem}.svg")
    save_figure(fig, out_dir / FIGURES_DIR / f"{stem}.png")
    return f"{FIGURES_DIR}/{stem}.svg", f"{FIGURES_DIR}/{stem}.png"


def make_figures(run: ReviewRun, out_dir: Path) -> FigureSet:
    """Draw and save every figure of ``run`` under ``out_dir/figures``."""
    from evsynth.report.figures.forest import forest_plot

    forest_svg: dict[str, str] = {}
    forest_png: dict[str, str] = {}
    for a in run.analyses:
        fig = forest_plot(
            [a.fixed, a.random],
            favours=_favours(run, a.id),
            title=f"{a.reference}: {a.title}" if a.reference else a.title,
        )
        forest_svg[a.id], forest_png[a.id] = _save(fig, out_dir, a.figure)
    prisma_svg = prisma_png = None
    if run.prisma_counts is not None:
        try:
            module: Any = importlib.import_module("evsynth.report.figures.prisma")
        except ModuleNotFoundError:  # the PRISMA figure module is not in this build
            module = None
        if module is not None:
            fig = module.prisma_diagram(run.prisma_counts)
            prisma_svg, prisma_png = _save(fig, out_dir, "prisma")
    return FigureSet(prisma_svg, prisma_png, forest_svg, forest_png)
