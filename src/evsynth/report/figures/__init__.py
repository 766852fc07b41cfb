"""Figures people put in papers: forest, funnel and PRISMA flow diagrams.

Each figure function takes a result object and returns a matplotlib ``Figure``; it never
computes statistics itself. This package imports nothing heavy at import time: matplotlib is
loaded by the figure modules, so ``evsynth meta`` without a plot never pays for it.
"""

from __future__ import annotations

from evsynth.report.figures._style import save_figure

__all__ = ["save_figure"]
