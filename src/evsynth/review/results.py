"""``results.json``: every number of a run, at full precision, for scripts and for checking.

Top-level fields: ``evsynth_version``, ``project``, ``evidence_level`` (the level, e.g. "II"),
``evidence_grading`` (level, label, rationale), ``analyses`` (each with ``outcome``,
``timepoint_months``, and ``fixed`` and ``random`` objects carrying the fields of
``evsynth meta``, i.e. :meth:`RMAResult.to_dict`), ``statements`` (the plain sentences the
report makes, including where random effects changes a result), ``prisma``, ``studies``,
``appraisals``, ``relevance``, ``summary_of_findings``, ``methods_check``, ``reproduction`` and
``project_files``. No timestamps: the same project gives the same file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from evsynth.fileio import write_text_atomic
from evsynth.report.documents.views import printed_estimate, random_effects_statement
from evsynth.review.model import AnalysisRun, ReviewRun


def _clean(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    return x


def _months(t: float) -> float | int:
    return int(t) if float(t).is_integer() else t


def _leave1out(a: AnalysisRun) -> list[dict[str, Any]] | None:
    loo = a.leave1out
    if loo is None:
        return None
    return [
        {
            "omitted": loo.slab[i],
            **{
                name: float(getattr(loo, name)[i])
                for name in ("estimate", "se", "ci_lower", "ci_upper", "tau2", "I2", "Q")
            },
        }
        for i in range(len(loo.slab))
    ]


def results_dict(run: ReviewRun) -> dict[str, Any]:
    """The JSON document of a run (see the module docstring for its fields)."""
    analyses = []
    statements = []
    for a in run.analyses:
        statement = random_effects_statement(a, printed_estimate(run, a.id, a.fixed.method))
        if statement:
            statements.append(
                {"analysis": a.id, "kind": "random-effects-changes-result", "text": statement}
            )
        analyses.append(
            {
                "id": a.id,
                "title": a.title,
                "reference": a.reference,
                "outcome": a.outcome,
                "outcome_name": a.outcome_name,
                "timepoint_months": _months(a.timepoint_months),
                "measure": a.measure,
                "data": a.data,
                "participants": a.participants,
                "fixed": a.fixed.to_dict(),
                "random": a.random.to_dict(),
                "random_knha": a.knha.to_dict() if a.knha is not None else None,
                "leave1out": _leave1out(a),
                "random_effects_changes_result": a.changes_result,
                "random_minus_fixed": a.shift,
                "figure": f"figures/{a.figure}.svg",
            }
        )
    out: dict[str, Any] = _clean(
        {
            "evsynth_version": run.version,
            "project": {"title": run.title, "slug": run.slug, "citation": run.citation},
            "evidence_level": run.evidence.level,
            "evidence_grading": {
                "approach": run.grading_approach,
                "level": run.evidence.level,
                "label": run.evidence.label,
                "rationale": run.evidence.rationale,
                "deciding_studies": list(run.evidence.deciding_studies),
                "by_outcome": [
                    {
                        "outcome": oid,
                        "outcome_name": name,
                        "level": level,
                        "label": label,
                        "rationale": rationale,
                    }
                    for oid, name, level, label, rationale in run.evidence.by_outcome
                ],
            },
            "analyses": analyses,
            "statements": statements,
            "prisma": run.prisma,
            "prisma_mapping": list(run.prisma_mapping),
            "studies": [
                {
                    "study_id": s.study_id,
                    "label": s.label,
                    "design": s.design,
                    "design_detail": s.design_detail,
                    "participants": s.participants,
                }
                for s in run.studies
            ],
            "appraisals": [
                {
                    "study_id": r.study_id,
                    "instrument": r.instrument,
                    "score": r.score,
                    "max_score": r.max_score,
                    "quality": r.quality,
                }
                for r in run.appraisals
            ],
            "relevance": [
                {
                    "study_id": r.study_id,
                    "label": r.label,
                    "by_timepoint": {str(_months(t)): v for t, v in sorted(r.by_timepoint.items())},
                }
                for r in run.relevance
            ],
            "summary_of_findings": [
                {
                    "outcome": r.outcome,
                    "timepoint_months": r.timepoint_months,
                    "studies": r.studies,
                    "participants": r.participants,
                    "effect": r.effect,
                    "certainty": r.certainty,
                    "reasons": list(r.reasons),
                }
                for r in run.certainty
            ],
            "methods_check": [f.to_dict() for f in run.findings],
            "reproduction": [
                {
                    "analysis": r.analysis,
                    "model": r.model,
                    "statistic": r.statistic,
                    "printed": r.printed,
                    "recomputed": r.recomputed,
                    "agrees_to_decimals": r.agrees_to,
                    "agrees_to_printed_rounding": r.agrees,
                    "source": r.source,
                }
                for r in run.reproduction
            ],
            "project_files": run.project_files,
        }
    )
    return out


def results_json(run: ReviewRun) -> str:
    """``results.json`` as text (sorted keys are not used: the order above reads best)."""
    return json.dumps(results_dict(run), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_results(run: ReviewRun, path: str | Path) -> None:
    """Write ``results.json`` atomically."""
    write_text_atomic(path, results_json(run))
