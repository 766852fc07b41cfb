"""The PRISMA 2020 flow diagram (new systematic reviews; databases, registers, other methods).

The layout follows the PRISMA 2020 template: phase labels on the left (Identification,
Screening, Included), the main column of boxes for databases and registers with the removals
and exclusions beside it, an optional column for other methods (websites, organisations,
citation searching), and one box of included studies and reports. Boxes grow with their text;
nothing is computed here, every number comes from :class:`~evsynth.records.prisma.PrismaCounts`.

Two additions to the template appear only when they are not zero: records and reports still
awaiting a decision (an ongoing review; stated in the box of their step) and, in the
other-methods column, duplicates removed and records excluded on title and abstract.

References
----------
.. [1] Page MJ, McKenzie JE, Bossuyt PM, et al. The PRISMA 2020 statement: an updated guideline
   for reporting systematic reviews. BMJ 2021;372:n71 (Figure 1, flow diagram template).
"""

from __future__ import annotations

import itertools
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from evsynth.records.prisma import FlowColumn, PrismaCounts

FONT = 8.5
LINE = 0.165  # inches per text line at FONT points, with leading
PAD = 0.09  # inner padding of a box, inches
BOX_W = 2.75
SIDE_W = 2.75
GAP_X = 0.4
GAP_Y = 0.32
PHASE_W = 0.32
MARGIN = 0.15
WRAP = 40  # characters per line that fit BOX_W / SIDE_W at FONT points (tested)
MIN_INCLUDED_H = 1.0  # tall enough for the rotated 'Included' phase label

PHASE_COLOUR = "#9ec5e8"
HEADER_MAIN = "#f4d27a"
HEADER_OTHER = "#d9d9d9"
EDGE = "#000000"


@dataclass(frozen=True)
class _Box:
    lines: tuple[str, ...]
    x: float
    width: float

    min_height: float = 0.0

    @property
    def height(self) -> float:
        return max(len(self.lines) * LINE + 2 * PAD, self.min_height)


_KEEP = "\u00a0"  # joins "(n = 12)" so that wrapping never splits a count from its "n ="


def _n(value: int) -> str:
    return f"(n{_KEEP}={_KEEP}{value:,})"


def _wrap(text: str, indent: str = "") -> list[str]:
    lines = textwrap.wrap(text, WRAP, initial_indent=indent, subsequent_indent=indent + "  ")
    return [line.replace(_KEEP, " ") for line in lines] or [indent]


def _listing(head: str, items: dict[str, int] | Any) -> tuple[str, ...]:
    lines = [head]
    for name, value in items.items():
        lines += _wrap(f"{name} {_n(value)}", "  ")
    return tuple(lines)


def _identified_lines(column: FlowColumn, other: bool) -> tuple[str, ...]:
    head = "Records identified from:" if other else "Records identified from*:"
    lines = _listing(head, column.identified)
    if len(column.identified) > 1:
        lines += (f"Total {_n(column.identified_total)}",)
    return lines


def _removed_lines(column: FlowColumn, other: bool) -> tuple[str, ...]:
    if other:
        return (f"Duplicate records removed {_n(column.duplicates_removed)}",)
    lines = ["Records removed before screening:"]
    lines += _wrap(f"Duplicate records removed {_n(column.duplicates_removed)}", "  ")
    lines += _wrap(
        f"Records marked as ineligible by automation tools {_n(column.automation_removed)}", "  "
    )
    lines += _wrap(f"Records removed for other reasons {_n(column.other_removed)}", "  ")
    return tuple(lines)


def _excluded_lines(column: FlowColumn) -> tuple[str, ...]:
    lines = list(_listing("Reports excluded:", column.reports_excluded))
    if not column.reports_excluded:
        lines[0] = f"Reports excluded {_n(0)}"
    return tuple(lines)


# In an ongoing review the records and reports still in progress are stated in the main box of
# their step (they have not been screened or assessed, so they belong to neither side).
def _screened_lines(column: FlowColumn) -> tuple[str, ...]:
    lines = [f"Records screened {_n(column.records_screened)}"]
    if column.records_awaiting_screening:
        lines += _wrap(f"Awaiting screening {_n(column.records_awaiting_screening)}")
    return tuple(lines)


def _assessed_lines(column: FlowColumn) -> tuple[str, ...]:
    lines = _wrap(f"Reports assessed for eligibility {_n(column.reports_assessed)}")
    if column.reports_awaiting_assessment:
        lines += _wrap(f"Awaiting retrieval or assessment {_n(column.reports_awaiting_assessment)}")
    return tuple(lines)


def _screen_excluded_lines(column: FlowColumn) -> tuple[str, ...]:
    return (f"Records excluded** {_n(column.records_excluded)}",)


def _column_rows(column: FlowColumn, x: float, other: bool) -> dict[str, tuple[_Box, _Box | None]]:
    """The boxes of one column by row name: (main box, side box or None)."""
    side_x = x + BOX_W + GAP_X
    rows: dict[str, tuple[_Box, _Box | None]] = {}
    show_removed = not other or column.duplicates_removed > 0
    rows["identification"] = (
        _Box(_identified_lines(column, other), x, BOX_W),
        _Box(_removed_lines(column, other), side_x, SIDE_W) if show_removed else None,
    )
    if not other or column.records_excluded or column.records_awaiting_screening:
        rows["screened"] = (
            _Box(_screened_lines(column), x, BOX_W),
            _Box(_screen_excluded_lines(column), side_x, SIDE_W),
        )
    rows["sought"] = (
        _Box((f"Reports sought for retrieval {_n(column.reports_sought)}",), x, BOX_W),
        _Box((f"Reports not retrieved {_n(column.reports_not_retrieved)}",), side_x, SIDE_W),
    )
    rows["assessed"] = (
        _Box(_assessed_lines(column), x, BOX_W),
        _Box(_excluded_lines(column), side_x, SIDE_W),
    )
    return rows


def prisma_diagram(counts: PrismaCounts, *, title: str | None = None) -> Figure:
    """Draw the PRISMA 2020 flow diagram of ``counts``.

    Parameters
    ----------
    counts
        The flow counts (:func:`evsynth.records.prisma.prisma_counts` or
        :meth:`~evsynth.records.prisma.PrismaCounts.from_dict`).
    title
        Optional title above the diagram.

    Returns
    -------
    matplotlib.figure.Figure
        Save it with :func:`evsynth.report.figures.save_figure` (SVG, PNG at 300 dpi, PDF).
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    x_main = MARGIN + PHASE_W + 0.15
    columns = [_column_rows(counts.databases, x_main, other=False)]
    x_other = x_main + BOX_W + GAP_X + SIDE_W + 0.45
    if counts.other_methods is not None:
        columns.append(_column_rows(counts.other_methods, x_other, other=True))
    width = (x_other if len(columns) == 2 else x_main) + BOX_W + GAP_X + SIDE_W + MARGIN
    if len(columns) == 1:
        width = x_main + BOX_W + GAP_X + SIDE_W + MARGIN

    order = ("identification", "screened", "sought", "assessed")
    heights = {
        row: max(b.height for col in columns if row in col for b in col[row] if b is not None)
        for row in order
    }
    included = _Box(
        (
            f"Studies included in review {_n(counts.studies_included)}",
            f"Reports of included studies {_n(counts.reports_included)}",
        ),
        x_main,
        BOX_W,
        MIN_INCLUDED_H,
    )
    header_h = 2 * LINE + 2 * PAD
    title_h = 0.35 if title else 0.0
    footnote = (
        "*Records identified from each database or register searched. "
        "**Records excluded on title and abstract by the reviewers."
    )
    foot_lines = textwrap.wrap(footnote, int(width * 13))
    foot_h = len(foot_lines) * LINE + 0.1
    total_h = (
        MARGIN
        + title_h
        + header_h
        + GAP_Y
        + sum(heights.values())
        + GAP_Y * len(order)
        + included.height
        + foot_h
        + MARGIN
    )

    fig = Figure(figsize=(width, total_h))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, total_h)
    ax.set_axis_off()

    def draw(box: _Box, top: float, height: float, face: str = "white") -> tuple[float, float]:
        ax.add_patch(
            FancyBboxPatch(
                (box.x, top - height),
                box.width,
                height,
                boxstyle="square,pad=0",
                facecolor=face,
                edgecolor=EDGE,
                linewidth=0.8,
            )
        )
        ax.text(
            box.x + PAD,
            top - PAD,
            "\n".join(box.lines).replace(_KEEP, " "),
            ha="left",
            va="top",
            fontsize=FONT,
            linespacing=1.25,
        )
        return top, top - height

    def arrow(x0: float, y0: float, x1: float, y1: float) -> None:
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={
                "arrowstyle": "-|>",
                "color": EDGE,
                "lw": 0.8,
                "shrinkA": 0,
                "shrinkB": 0,
                "mutation_scale": 9,
            },
        )

    y = total_h - MARGIN
    if title:
        ax.text(width / 2, y, title, ha="center", va="top", fontsize=FONT + 2, weight="bold")
        y -= title_h
    headers = [("Identification of studies via databases and registers", x_main, HEADER_MAIN)]
    if len(columns) == 2:
        headers.append(("Identification of studies via other methods", x_other, HEADER_OTHER))
    for text, x, face in headers:
        span = BOX_W + GAP_X + SIDE_W
        ax.add_patch(
            FancyBboxPatch(
                (x, y - header_h),
                span,
                header_h,
                boxstyle="round,pad=0,rounding_size=0.08",
                facecolor=face,
                edgecolor=face,
            )
        )
        ax.text(
            x + span / 2,
            y - header_h / 2,
            text,
            ha="center",
            va="center",
            fontsize=FONT + 0.5,
            weight="bold",
        )
    y -= header_h + GAP_Y

    row_top: dict[str, float] = {}
    bottoms: list[dict[str, float]] = [{} for _ in columns]
    for row in order:
        row_top[row] = y
        h = heights[row]
        for ci, col in enumerate(columns):
            if row not in col:
                continue
            main, side = col[row]
            draw(main, y, h)
            bottoms[ci][row] = y - h
            if side is not None:
                draw(side, y, h)
                arrow(main.x + main.width, y - h / 2, side.x, y - h / 2)
        y -= h + GAP_Y
    included_top = y
    draw(included, included_top, included.height)
    included_bottom = included_top - included.height

    # Vertical arrows down each column, then into the included box.
    for ci, col in enumerate(columns):
        present = [r for r in order if r in col]
        cx = col[present[0]][0].x + BOX_W / 2
        for upper, lower in itertools.pairwise(present):
            arrow(cx, bottoms[ci][upper], cx, row_top[lower])
        last = bottoms[ci][present[-1]]
        if ci == 0:
            arrow(cx, last, cx, included_top)
        else:
            # Down to the level of the included box, then across into its right side.
            mid = included_top - included.height / 2
            ax.plot([cx, cx], [last, mid], color=EDGE, lw=0.8)
            arrow(cx, mid, x_main + BOX_W, mid)

    # Phase labels on the left.
    screening_top = row_top["screened"] if "screened" in columns[0] else row_top["sought"]
    phases = (
        ("Identification", row_top["identification"], bottoms[0]["identification"]),
        ("Screening", screening_top, bottoms[0]["assessed"]),
        ("Included", included_top, included_bottom),
    )
    for label, top, bottom in phases:
        ax.add_patch(
            FancyBboxPatch(
                (MARGIN, bottom),
                PHASE_W,
                top - bottom,
                boxstyle="round,pad=0,rounding_size=0.08",
                facecolor=PHASE_COLOUR,
                edgecolor=PHASE_COLOUR,
            )
        )
        ax.text(
            MARGIN + PHASE_W / 2,
            (top + bottom) / 2,
            label,
            rotation=90,
            ha="center",
            va="center",
            fontsize=FONT + 0.5,
            weight="bold",
        )
    ax.text(
        MARGIN,
        included_bottom - 0.12,
        "\n".join(foot_lines),
        ha="left",
        va="top",
        fontsize=FONT - 1.5,
        color="#404040",
    )
    return fig
