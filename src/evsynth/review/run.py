"""Build a :class:`~evsynth.review.model.ReviewRun` from a loaded review project.

The run computes, once: every analysis of the protocol with fixed and random effects, the
appraisal scores and quality classes, the level of evidence with its rationale, the GRADE
summary of findings, clinical relevance per study and time point, the PRISMA 2020 counts and
the methods check. The documents and results.json only read the run.
"""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evsynth import __version__
from evsynth.errors import InputError
from evsynth.review import published
from evsynth.review.analyses import run_analyses
from evsynth.review.methods_check import methods_check
from evsynth.review.model import (
    AnalysisRun,
    AppraisalRow,
    CertaintyRow,
    EvidenceGrade,
    RelevanceRow,
    ResponderRow,
    ReviewRun,
    StudyRow,
)

if TYPE_CHECKING:
    from evsynth.evidence.project import ReviewProject

PROJECT_FILES = ("review.yaml", "studies.csv", "outcomes.csv", "appraisals.csv")


def _study_rows(project: ReviewProject) -> tuple[StudyRow, ...]:
    rows = []
    for s in project.studies:
        arms = "; ".join(f"{a.name} (n = {a.n})" if a.n else a.name for a in s.arms)
        interventions = s.intervention
        if s.comparator:
            interventions += f" Comparator: {s.comparator}"
        follow = ", ".join(f"{m:g}" for m in s.followup_months)
        rows.append(
            StudyRow(
                study_id=s.study_id,
                label=s.label,
                design=s.design,
                design_detail=s.design_detail,
                participants=s.n,
                population=s.condition + (f"; arms: {arms}" if arms else ""),
                interventions=interventions,
                setting=s.setting,
                follow_up=f"{follow} months" if follow else "",
                citation=s.citation,
            )
        )
    return tuple(rows)


def _responder_rows(project: ReviewProject) -> tuple[ResponderRow, ...]:
    """Two-arm responder counts, for statements like '58 of 100 compared with 17 of 100'."""
    out = []
    for s in project.studies:
        if len(s.arms) != 2:
            continue
        first, second = s.arms[0].name, s.arms[1].name
        rows = [
            v for v in project.outcomes if v.study_id == s.study_id and v.responders is not None
        ]
        for t in sorted({v.timepoint_months for v in rows}):
            for outcome in sorted({v.outcome for v in rows if v.timepoint_months == t}):
                by_arm = {
                    v.arm: v for v in rows if v.timepoint_months == t and v.outcome == outcome
                }
                if first in by_arm and second in by_arm:
                    a, b = by_arm[first], by_arm[second]
                    assert a.responders is not None and b.responders is not None
                    assert a.n is not None and b.n is not None
                    out.append(
                        ResponderRow(
                            s.study_id,
                            s.label,
                            outcome,
                            float(t),
                            first,
                            a.responders,
                            a.n,
                            second,
                            b.responders,
                            b.n,
                        )
                    )
    return tuple(out)


def _file_hashes(project: ReviewProject) -> dict[str, str]:
    if project.path is None:
        return {}
    out = {}
    root = Path(project.path)
    for name in PROJECT_FILES:
        p = root / name
        if p.is_file():
            out[name] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _prisma(project: ReviewProject) -> tuple[dict[str, Any] | None, Any, tuple[str, ...]]:
    """PRISMA counts: from the recorded work when the project has records, else the protocol's.

    Returns the counts as a mapping of PRISMA 2020 boxes, the
    :class:`evsynth.records.prisma.PrismaCounts` for the diagram (None when the records layer
    is not in this build), and the protocol's note on how a source's boxes were mapped.
    """
    spec = project.protocol.prisma
    mapping = tuple(spec.mapping) if spec is not None else ()
    try:
        module: Any = importlib.import_module("evsynth.records.prisma")
    except ModuleNotFoundError:
        module = None
    has_records = (
        project.path is not None and (Path(project.path) / "records" / "records.jsonl").is_file()
    )
    counts: Any = None
    if module is not None and has_records:
        counts = module.prisma_counts(project.path)
    elif module is not None and spec is not None:
        counts = module.PrismaCounts.from_dict(
            _spec_counts(spec), file=Path(project.path or ".") / "review.yaml"
        )
    if counts is not None:
        return dict(counts.to_dict()), counts, mapping
    if spec is not None:
        return spec.model_dump(exclude={"mapping"}), None, mapping
    return None, None, ()


def _spec_counts(spec: Any) -> dict[str, Any]:
    """The protocol's ``prisma:`` counts in the records layer's key names."""
    data: dict[str, Any] = spec.model_dump(exclude={"mapping", "identified_other_methods"})
    if spec.identified_other_methods:
        data["other_methods"] = {"identified": dict(spec.identified_other_methods)}
    return data


def _extra_fits(
    project: ReviewProject, printed: list[dict[str, str]], analyses: tuple[AnalysisRun, ...]
) -> dict[tuple[str, str], Any]:
    """Fits of the models a source printed that the run does not show (for reproduction)."""
    from evsynth.review.analyses import fit_model, gather

    specs = {s.id: s for s in project.protocol.analyses}
    out: dict[tuple[str, str], Any] = {}
    for aid, model in published.models_needed(printed, analyses):
        spec = specs[aid]
        try:
            out[(aid, model)] = fit_model(spec, gather(project, spec), model)
        except InputError:  # a model the data cannot take (e.g. MH without counts): skip it
            continue
    return out


def build_run(project: ReviewProject) -> ReviewRun:
    """Compute everything one run of ``project`` reports.

    Parameters
    ----------
    project : ReviewProject
        A loaded, validated project (:func:`evsynth.evidence.project.load_project`).

    Returns
    -------
    ReviewRun
    """
    from evsynth.review import evidence_adapter as ev

    protocol = project.protocol
    analyses: tuple[AnalysisRun, ...] = run_analyses(project)
    prisma, counts, mapping = _prisma(project)
    appraisals: tuple[AppraisalRow, ...] = ev.appraisal_rows(project)
    evidence: EvidenceGrade = ev.evidence_grade(project)
    certainty: tuple[CertaintyRow, ...] = ev.certainty_rows(project, analyses)
    relevance: tuple[RelevanceRow, ...] = ev.relevance_rows(project)
    slug = protocol.slug or (Path(project.path).name if project.path else "review")
    ids = {a.id for a in analyses}
    # Only what this project's analyses can be compared with (a project may drop analyses).
    printed = [r for r in published.published_rows(project, slug) if r["analysis"] in ids]
    return ReviewRun(
        title=protocol.title,
        slug=slug,
        citation=protocol.citation,
        question=protocol.question.model_dump(),
        eligibility=protocol.eligibility.model_dump(),
        outcomes=tuple(o.model_dump() for o in protocol.outcomes),
        long_term_from_months=protocol.duration.long_term_from_months,
        studies=_study_rows(project),
        appraisals=appraisals,
        analyses=analyses,
        evidence=evidence,
        certainty=certainty,
        relevance=relevance,
        responders=_responder_rows(project),
        findings=methods_check(analyses, published.printed_heterogeneity(printed)),
        reproduction=published.reproduction(
            printed, analyses, _extra_fits(project, printed, analyses)
        ),
        prisma=prisma,
        prisma_counts=counts,
        prisma_mapping=mapping,
        notes=tuple(protocol.notes),
        project_files=_file_hashes(project),
        version=__version__,
        grading_approach=protocol.grading.approach,
    )
