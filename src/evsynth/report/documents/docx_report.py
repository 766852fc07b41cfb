"""The scientific report as DOCX (python-docx), for journals that want a word-processor file.

Same sections, same numbers and same figures (PNG at 300 dpi) as the HTML report, built from
the same view rows.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evsynth.report.documents.report_html import report_context

if TYPE_CHECKING:
    from evsynth.review.figures import FigureSet
    from evsynth.review.model import ReviewRun


def _table(doc: Any, header: list[str], rows: list[list[str]], caption: str = "") -> None:
    from docx.shared import Pt

    if caption:
        p = doc.add_paragraph()
        p.add_run(caption).bold = True
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = str(text)
    for row in table.rows:
        for cell in row.cells:
            for para in cell.paragraphs:
                for run in para.runs:
                    run.font.size = Pt(8)
    doc.add_paragraph()


def _figure(doc: Any, path: Path, caption: str) -> None:
    from docx.shared import Cm

    if path.is_file():
        doc.add_picture(str(path), width=Cm(16))
        doc.add_paragraph(caption).italic = True


def report_docx(run: ReviewRun, figures: FigureSet, base_dir: str | Path) -> bytes:
    """The report as DOCX bytes; figures are read from ``base_dir`` (their PNG files)."""
    from docx import Document
    from docx.shared import Pt

    base = Path(base_dir)
    ctx = report_context(run, figures)
    doc = Document()
    doc.styles["Normal"].font.size = Pt(10)
    doc.core_properties.title = f"{run.title}: evidence report"
    doc.core_properties.author = f"evsynth {run.version}"
    doc.add_heading(run.title, level=0)
    doc.add_paragraph(
        f"Evidence report built by evsynth {run.version} from the review project {run.slug}"
        + (f"; source review: {run.citation}" if run.citation else "")
        + "."
    )
    doc.add_heading("Key findings", level=1)
    ev = run.evidence
    doc.add_paragraph(
        f"Evidence level: Level {ev.level} ({ev.label}). {ev.rationale}", style="List Bullet"
    )
    for line in ctx["key_findings"]:
        doc.add_paragraph(line, style="List Bullet")

    doc.add_heading("Review question", level=1)
    _table(doc, ["", ""], [[k, v] for k, v in ctx["question"]], "Question in PICO form")
    for line in ctx["eligibility"]:
        doc.add_paragraph(line, style="List Bullet")

    doc.add_heading("Study selection (PRISMA 2020)", level=1)
    if figures.prisma_png:
        _figure(doc, base / figures.prisma_png, "PRISMA 2020 flow diagram.")
    if ctx["prisma"]:
        _table(doc, ["Box", "n"], [[a, str(b)] for a, b in ctx["prisma"]["rows"]], "PRISMA counts")
        for line in ctx["prisma"]["mapping"]:
            doc.add_paragraph(line, style="List Bullet")

    doc.add_heading("Included studies", level=1)
    _table(
        doc,
        ["Study", "Design", "n", "Population", "Intervention and comparator", "Follow-up"],
        [
            [
                s["label"],
                s["design"],
                str(s["participants"] or "–"),
                s["population"],
                s["interventions"],
                s["follow_up"],
            ]
            for s in ctx["studies"]
        ],
        "Characteristics of the included studies",
    )

    doc.add_heading("Quality appraisal", level=1)
    for inst in ctx["appraisal_tables"]:
        _table(
            doc,
            ["Study", "Score", "Quality", "Note"],
            [[r["label"], r["score"], r["quality"], r["note"]] for r in inst["rows"]],
            inst["name"],
        )

    doc.add_heading("Meta-analyses", level=1)
    for a in ctx["analyses"]:
        doc.add_heading(f"{a['reference']}: {a['title']}" if a["reference"] else a["title"], 2)
        png = figures.forest_png.get(a["id"])
        if png:
            _figure(doc, base / png, f"Forest plot: {a['title']}.")
        _table(
            doc,
            ["Model", "Estimate", "CI", "p", "Prediction interval", "tau²", "I²", "Q (df), p"],
            [[m.label, m.estimate, m.ci, m.p, m.pi, m.tau2, m.I2, m.Q] for m in a["models"]],
            "Pooled results, fixed and random effects side by side",
        )
        if a["statement"]:
            doc.add_paragraph(a["statement"]).runs[0].bold = True
        if a["leave1out"]:
            _table(
                doc,
                ["Study left out", "Estimate", "CI", "tau²", "I²"],
                [
                    [r["omitted"], r["estimate"], r["ci"], r["tau2"], r["I2"]]
                    for r in a["leave1out"]
                ],
                f"Leave one out: {a['models'][1].label} without each study",
            )

    doc.add_heading("Reproduction of the published results", level=1)
    if ctx["reproduction"]:
        _table(
            doc,
            ["Analysis", "Model", "Statistic", "Printed", "evsynth", "Agreement"],
            [
                [
                    r["analysis"],
                    r["model"],
                    r["statistic"],
                    r["printed"],
                    r["recomputed"],
                    r["agreement"],
                ]
                for r in ctx["reproduction"]
            ],
        )

    doc.add_heading("Clinical relevance", level=1)
    rel = ctx["relevance"]
    _table(
        doc,
        ["Study", *[f"{t:g} months" for t in rel["timepoints"]]],
        [
            [
                r["label"],
                *[c["text"] + (f": {c['detail']}" if c["detail"] else "") for c in r["cells"]],
            ]
            for r in rel["rows"]
        ],
    )

    doc.add_heading("Level of evidence", level=1)
    doc.add_paragraph(f"Level {ev.level}: {ev.label}.").runs[0].bold = True
    doc.add_paragraph(ev.rationale)
    if ev.by_outcome:
        _table(
            doc,
            ["Outcome", "Level", "Rationale"],
            [[name, f"{level} ({label})", why] for _, name, level, label, why in ev.by_outcome],
            "Level of evidence by outcome",
        )

    doc.add_heading("GRADE summary of findings", level=1)
    _table(
        doc,
        ["Outcome", "Studies", "Participants", "Effect", "Certainty", "Reasons"],
        [
            [
                r["outcome"],
                str(r["studies"]),
                str(r["participants"]),
                r["effect"],
                r["certainty"],
                r["reasons"],
            ]
            for r in ctx["sof"]
        ],
    )

    doc.add_heading("Methods check", level=1)
    for f in run.findings:
        p = doc.add_paragraph()
        p.add_run(f"{f.severity.upper()}: {f.title}. ").bold = True
        p.add_run(f.detail)
        if f.guidance:
            p.add_run(f" Guidance: {f.guidance}.").italic = True

    doc.add_heading("Methods and software", level=1)
    for line in ctx["methods"]:
        doc.add_paragraph(line, style="List Bullet")
    doc.add_heading("Reproducibility", level=1)
    doc.add_paragraph(f"Rebuild with: {ctx['rebuild']}")
    for path, digest in ctx["files"]:
        doc.add_paragraph(f"{path}: SHA-256 {digest}", style="List Bullet")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
