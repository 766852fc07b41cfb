"""The scientific report as HTML (the source of the PDF too)."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING, Any

from evsynth.report.documents._env import environment
from evsynth.report.documents.views import (
    DESIGN_LABELS,
    analysis_view,
    appraisal_tables,
    key_findings,
    printed_estimate,
    prisma_view,
    relevance_view,
    reproduction_view,
)

if TYPE_CHECKING:
    from evsynth.review.figures import FigureSet
    from evsynth.review.model import ReviewRun


def css() -> str:
    """The shared stylesheet of the documents."""
    return resources.files("evsynth.report").joinpath("templates/base.css").read_text("utf-8")


def _thresholds(outcome: dict[str, Any]) -> str:
    parts = []
    for t in outcome.get("thresholds", ()):
        kind = t.get("kind")
        value = t.get("value")
        scale = f" on {t['scale']}" if t.get("scale") else ""
        if kind == "percent_improvement":
            parts.append(f"≥ {value:g} % improvement from baseline{scale}")
        elif kind == "absolute_improvement":
            parts.append(f"≥ {value:g} points{scale}")
        elif kind == "responder_proportion":
            parts.append(f"≥ {value:g} % of patients responding")
        if t.get("note"):
            parts[-1] += f" ({t['note']})"
    rule = " or " if outcome.get("threshold_rule", "any") == "any" else " and "
    return rule.join(parts) or "–"


def software_versions() -> str:
    """The versions behind the numbers and the figures, for the methods section."""
    import platform
    from importlib import metadata

    parts = [f"Python {platform.python_version()}"]
    for name in ("numpy", "scipy", "matplotlib", "Jinja2", "weasyprint", "python-docx"):
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(parts)


def report_context(run: ReviewRun, figures: FigureSet) -> dict[str, Any]:
    """Everything the report template prints, formatted."""
    q = run.question
    question = [
        ("Population", q.get("population", "")),
        ("Intervention", q.get("intervention", "")),
        ("Comparator", q.get("comparator", "") or "–"),
        ("Outcomes", q.get("outcomes", "") or "–"),
    ]
    el = run.eligibility
    eligibility = [f"Included: {x}" for x in el.get("include", ())]
    eligibility += [f"Excluded: {x}" for x in el.get("exclude", ())]
    if el.get("min_participants") and not eligibility:
        eligibility.append(f"At least {el['min_participants']} participants.")
    if el.get("min_followup_months") and not el.get("include"):
        eligibility.append(f"Follow-up of at least {el['min_followup_months']:g} months.")
    outcomes = [
        {
            "name": o.get("name", o.get("id", "")),
            "primary": o.get("primary", False),
            "scales": ", ".join(o.get("scales", ())) or "–",
            "thresholds": _thresholds(o),
        }
        for o in run.outcomes
    ]
    studies = [
        {
            "label": s.label,
            "design": DESIGN_LABELS.get(s.design, s.design)
            + (f" ({s.design_detail})" if s.design_detail else ""),
            "participants": s.participants,
            "population": s.population or "–",
            "interventions": s.interventions or "–",
            "follow_up": s.follow_up or "–",
        }
        for s in run.studies
    ]
    sof = [
        {
            "outcome": r.outcome
            + (f", {r.timepoint_months:g} months" if r.timepoint_months is not None else ""),
            "studies": r.studies,
            "participants": r.participants if r.participants is not None else "–",
            "effect": r.effect,
            "certainty": r.certainty,
            "reasons": "; ".join(r.reasons) or "–",
        }
        for r in run.certainty
    ]
    methods = [
        "Pooling: each analysis of the protocol fitted with a fixed-effect inverse-variance "
        "model and a random-effects model (estimator named in each table), Wald-type tests "
        "unless the protocol asks for Hartung-Knapp; heterogeneity by Cochran's Q, I² and tau².",
        "Computations by evsynth's statistics layer, which reproduces R's metafor 3.8.1 (its "
        "reference tests compare with metafor's output).",
        "Quality appraisal, grading and clinical relevance by rules from the protocol; each "
        "rule's inputs are the project files listed below.",
        f"Software: evsynth {run.version}; {software_versions()}.",
        *run.notes,
    ]
    return {
        "title": run.title,
        "slug": run.slug,
        "citation": run.citation,
        "version": run.version,
        "css": css(),
        "evidence": run.evidence,
        "key_findings": key_findings(run),
        "headline_departures": any(f.severity == "departure" for f in run.findings),
        "question": question,
        "eligibility": eligibility,
        "outcomes": outcomes,
        "long_term_from": run.long_term_from_months,
        "prisma": prisma_view(run.prisma, run.prisma_mapping),
        "figures": {"prisma": figures.prisma_svg},
        "studies": studies,
        "appraisal_tables": appraisal_tables(run),
        "analyses": [
            analysis_view(
                a, figures.forest_svg.get(a.id), printed_estimate(run, a.id, a.fixed.method)
            )
            for a in run.analyses
        ],
        "relevance": relevance_view(run),
        "sof": sof,
        "sof_level": run.analyses[0].random.level if run.analyses else 95.0,
        "findings": run.findings,
        "reproduction": reproduction_view(run),
        "methods": methods,
        "rebuild": f"evsynth review run {run.slug} --out DIR",
        "files": sorted(run.project_files.items()),
    }


def render_report_html(run: ReviewRun, figures: FigureSet) -> str:
    """The report as one self-contained HTML page (figures referenced by relative path)."""
    return environment().get_template("report.html").render(**report_context(run, figures))
