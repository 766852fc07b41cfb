"""The PRISMA 2020 flow diagram: every count in its box, the template's layout, no overflow."""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patches import FancyBboxPatch

from evsynth.records.prisma import FlowColumn, PrismaCounts
from evsynth.report.figures import save_figure
from evsynth.report.figures.prisma import prisma_diagram

DATABASES = FlowColumn(
    identified={"PubMed": 412, "Embase": 530, "ClinicalTrials.gov": 23},
    duplicates_removed=310,
    other_removed=12,
    records_screened=643,
    records_excluded=552,
    reports_sought=91,
    reports_not_retrieved=4,
    reports_assessed=87,
    reports_excluded={
        "Wrong population (not lumbar disc herniation)": 30,
        "Wrong design": 22,
        "Fewer than 50 participants": 18,
        "Follow-up shorter than 6 months": 9,
    },
    reports_included=8,
)
OTHER = FlowColumn(
    identified={"Citation searching": 14},
    records_screened=14,
    reports_sought=14,
    reports_not_retrieved=1,
    reports_assessed=13,
    reports_excluded={"Wrong design": 11},
    reports_included=2,
)


def _texts(fig: object) -> str:
    return "\n".join(t.get_text() for t in fig.axes[0].texts)  # type: ignore[attr-defined]


def test_boxes_show_every_count_of_both_columns() -> None:
    counts = PrismaCounts(DATABASES, OTHER, studies_included=7, reports_included=10)
    counts.check()
    text = _texts(prisma_diagram(counts))
    for expected in (
        "Identification of studies via databases and registers",
        "Identification of studies via other methods",
        "PubMed (n = 412)",
        "Total (n = 965)",
        "Duplicate records removed (n = 310)",
        "Records screened (n = 643)",
        "Records excluded** (n = 552)",
        "Reports sought for retrieval (n = 91)",
        "Reports not retrieved (n = 4)",
        "Wrong design (n = 22)",
        "Citation searching (n = 14)",
        "Reports sought for retrieval (n = 14)",
        "Studies included in review (n = 7)",
        "Reports of included studies (n = 10)",
        "Identification",
        "Screening",
        "Included",
    ):
        assert expected in text.replace("\n  ", " ").replace("\n", " ") or expected in text, (
            expected
        )


def test_main_column_only_when_no_other_methods() -> None:
    counts = PrismaCounts(DATABASES, None, studies_included=7, reports_included=8)
    fig = prisma_diagram(counts)
    assert "other methods" not in _texts(fig)
    boxes = [p for p in fig.axes[0].patches if p.get_boxstyle().__class__.__name__ == "Square"]
    # 4 rows x (main box + side box) + the included box.
    assert len(boxes) == 9


def test_no_box_overlaps_and_text_stays_inside(tmp_path: Path) -> None:
    counts = PrismaCounts(DATABASES, OTHER, studies_included=7, reports_included=10)
    fig = prisma_diagram(counts, title="Percutaneous adhesiolysis")
    save_figure(fig, tmp_path / "prisma.png")
    save_figure(fig, tmp_path / "prisma.svg")
    assert (tmp_path / "prisma.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (tmp_path / "prisma.svg").read_text(encoding="utf-8")[:500]
    renderer = FigureCanvasAgg(fig).get_renderer()
    ax = fig.axes[0]
    boxes = [
        p.get_window_extent(renderer)
        for p in ax.patches
        if isinstance(p, FancyBboxPatch) and p.get_boxstyle().__class__.__name__ == "Square"
    ]
    # Main column 4 rows x 2; other methods: identified (no duplicates), sought and assessed with
    # their side boxes (no title/abstract exclusions there); the included box.
    assert len(boxes) == 8 + 5 + 1
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            overlap_w = min(a.x1, b.x1) - max(a.x0, b.x0)
            overlap_h = min(a.y1, b.y1) - max(a.y0, b.y0)
            assert overlap_w <= 0.5 or overlap_h <= 0.5, (a, b)
    for text in ax.texts:
        extent = text.get_window_extent(renderer)
        assert fig.bbox.x0 <= extent.x0 and extent.x1 <= fig.bbox.x1, text.get_text()
        owners = [b for b in boxes if b.contains(extent.x0 + 1, extent.y1 - 1)]
        for box in owners:  # box texts start inside a box and must end inside it
            assert extent.x1 <= box.x1 and extent.y0 >= box.y0, text.get_text()


def test_ongoing_review_states_what_is_awaiting() -> None:
    from dataclasses import replace

    ongoing = replace(
        DATABASES,
        records_screened=623,
        records_awaiting_screening=20,
        records_excluded=532,
        reports_not_retrieved=1,
        reports_awaiting_assessment=3,
    )
    counts = PrismaCounts(ongoing, None, studies_included=7, reports_included=8)
    counts.check()
    text = _texts(prisma_diagram(counts))
    assert "Awaiting screening (n = 20)" in text
    assert "Awaiting retrieval or assessment (n = 3)" in text
    finished = _texts(prisma_diagram(PrismaCounts(DATABASES, None, 7, 8)))
    assert "Awaiting" not in finished
