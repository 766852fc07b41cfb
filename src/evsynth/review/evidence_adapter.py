"""Adapters from the evidence layer (appraisal, grading, certainty, relevance) to run rows.

The evidence layer owns the rules; this module only calls them and keeps what the documents
print, so the documents never depend on the evidence layer's internal types.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

from evsynth.review.model import (
    AnalysisRun,
    AppraisalRow,
    CertaintyRow,
    EvidenceGrade,
    RelevanceRow,
)

if TYPE_CHECKING:
    from evsynth.evidence.project import ReviewProject


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None


def appraisal_rows(project: ReviewProject) -> tuple[AppraisalRow, ...]:
    """Each study's score and class with each instrument (one row per study and instrument)."""
    from evsynth.evidence.appraisal import appraise_project
    from evsynth.evidence.instruments import load_instruments

    instruments = load_instruments(project.instruments_dir)
    labels = {s.study_id: s.label for s in project.studies}
    rows = []
    for a in appraise_project(project, instruments):
        inst = instruments[a.instrument]
        name = inst.name + (f" ({inst.version})" if inst.version else "")
        quality = (
            a.rating if not a.quality or a.quality == a.rating else f"{a.rating} ({a.quality})"
        )
        note = (
            "total score as the paper reports it; item answers not published"
            if a.from_total
            else ""
        )
        if len(project.appraisals) and a.rater and "consensus" not in a.rater.lower():
            note = (note + "; " if note else "") + f"rater: {a.rater}"
        rows.append(
            AppraisalRow(
                study_id=a.study_id,
                label=labels.get(a.study_id, a.study_id),
                instrument=a.instrument,
                instrument_name=name,
                score=a.score,
                max_score=a.max_score,
                quality=quality,
                note=note,
            )
        )
    return tuple(rows)


def evidence_grade(project: ReviewProject) -> EvidenceGrade:
    """The level of the body of evidence by the protocol's grading approach.

    Each included study enters with its design, the quality class of the instrument the
    protocol names for its design, and its overall direction of result.
    """
    grading = _module("evsynth.evidence.grading")
    if grading is None:
        return EvidenceGrade("not graded", "", "The grading rules are not in this build.")
    body = _module("evsynth.evidence.body")
    by_outcome: tuple[tuple[str, str, str, str, str], ...] = ()
    if body is not None and hasattr(body, "grade_project_report"):
        report = body.grade_project_report(project)
        result = report.overall
        names = {o.id: o.name for o in project.protocol.outcomes}
        by_outcome = tuple(
            (oid, names.get(oid, oid), str(g.level), str(g.label), str(g.rationale))
            for oid, g in report.by_outcome.items()
        )
    else:
        result = grading.grade_project(project)
    return EvidenceGrade(
        level=str(result.level),
        label=str(result.label),
        rationale=str(result.rationale),
        deciding_studies=tuple(result.deciding),
        by_outcome=by_outcome,
    )


def certainty_rows(
    project: ReviewProject, analyses: Sequence[AnalysisRun]
) -> tuple[CertaintyRow, ...]:
    """GRADE summary-of-findings rows, one per analysis, from its random-effects result.

    Egger's test enters the publication-bias domain only with 10 or more studies (Sterne et al.
    2011); below that the domain is left to the evidence layer's rule for small bodies.
    """
    certainty = _module("evsynth.evidence.certainty")
    if certainty is None:
        return ()
    specs = {s.id: s for s in project.protocol.analyses}
    rows = []
    for a in analyses:
        egger_p = None
        if a.random.k >= 10:
            from evsynth.stats.bias import regtest

            egger_p = float(regtest(a.random).p_value)
        _, row = certainty.certainty_for_analysis(project, specs[a.id], a.random, egger_p=egger_p)
        rows.append(
            CertaintyRow(
                outcome=f"{a.reference}: {row.outcome}" if a.reference else str(row.outcome),
                timepoint_months=row.timepoint_months
                if row.timepoint_months is not None
                else a.timepoint_months,
                studies=int(row.studies),
                participants=row.participants,
                effect=str(row.effect),
                certainty=str(row.certainty),
                reasons=tuple(row.reasons),
            )
        )
    return tuple(rows)


def relevance_rows(project: ReviewProject) -> tuple[RelevanceRow, ...]:
    """Clinical relevance of each study at the protocol's reference time points."""
    relevance = _module("evsynth.evidence.relevance")
    if relevance is None:
        return ()
    return tuple(
        RelevanceRow(
            study_id=r.study_id,
            label=r.label,
            by_timepoint=dict(r.by_timepoint),
            detail=dict(r.detail),
        )
        for r in relevance.clinical_relevance(project)
    )
