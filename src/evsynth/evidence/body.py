"""The body of evidence: studies with design, quality and direction, from a table or a project.

Two sources feed :func:`evsynth.evidence.grading.grade_evidence`:

- an evidence table (``evsynth grade EVIDENCE.csv``): columns ``study design quality`` and
  optionally ``result`` and ``outcome``;
- a review project: design from ``studies.csv``, quality class from the appraisal with the
  instrument the protocol names for that design, direction from the study's ``result``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from evsynth.errors import InputError
from evsynth.evidence.grading import (
    Design,
    EvidenceGrade,
    EvidenceStudy,
    GradingRules,
    Quality,
    Question,
    Result,
    grade_evidence,
)
from evsynth.evidence.project import ReviewProject

_DESIGNS = {"rct": "rct", "nonrandomized": "nonrandomized", "non-randomized": "nonrandomized",
            "observational": "nonrandomized"}  # fmt: skip
_QUALITIES = ("high", "moderate", "low")
# "neutral" is the seed's negative/neutral category: it does not support effectiveness.
_RESULTS = {"positive": "positive", "negative": "negative", "neutral": "negative",
            "negative/neutral": "negative", "": None}  # fmt: skip


def read_evidence_table(path: str | Path) -> tuple[list[EvidenceStudy], bool]:
    """Read an evidence table; return its studies and whether it has an ``outcome`` column."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise InputError("file not found", file=p) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", file=p) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise InputError("empty file (expected a header: study,design,quality)", file=p, row=1)
    reader.fieldnames = header
    for col in ("study", "design", "quality"):
        if col not in header:
            raise InputError(f"missing column {col!r}", file=p, row=1, column=col)
    studies: list[EvidenceStudy] = []
    seen: dict[tuple[str, str | None], int] = {}
    for rec in reader:
        line = reader.line_num
        if None in rec:
            raise InputError("more cells than header columns", file=p, row=line)
        cells = {k: (v or "").strip() for k, v in rec.items() if k is not None}
        if not any(cells.values()):
            continue
        if not cells["study"]:
            raise InputError("empty study name", file=p, row=line, column="study")
        design = _DESIGNS.get(cells["design"].lower())
        if design is None:
            raise InputError(
                f"design {cells['design']!r} not one of: rct, nonrandomized",
                file=p, row=line, column="design",
            )  # fmt: skip
        quality = cells["quality"].lower()
        if quality not in _QUALITIES:
            raise InputError(
                f"quality {cells['quality']!r} not one of: high, moderate, low",
                file=p, row=line, column="quality",
            )  # fmt: skip
        raw_result = cells.get("result", "").lower()
        if raw_result not in _RESULTS:
            raise InputError(
                f"result {cells.get('result')!r} not one of: positive, negative (or neutral)",
                file=p, row=line, column="result",
            )  # fmt: skip
        outcome = cells.get("outcome") or None
        key = (cells["study"], outcome)
        if key in seen:
            raise InputError(
                f"study {cells['study']!r} listed twice"
                + (f" for outcome {outcome!r}" if outcome else "")
                + f" (first on line {seen[key]})",
                file=p, row=line, column="study",
            )  # fmt: skip
        seen[key] = line
        studies.append(
            EvidenceStudy(
                study=cells["study"],
                design=cast(Design, design),
                quality=cast(Quality, quality),
                result=cast(Result | None, _RESULTS[raw_result]),
                outcome=outcome,
            )
        )
        prior = [s for s in studies[:-1] if s.study == cells["study"]]
        if prior and (prior[0].design, prior[0].quality) != (design, quality):
            raise InputError(
                f"study {cells['study']!r} has another design or quality on an earlier line",
                file=p, row=line, column="design" if prior[0].design != design else "quality",
            )  # fmt: skip
    return studies, "outcome" in header


def merge_outcomes(studies: list[EvidenceStudy]) -> tuple[list[EvidenceStudy], tuple[str, ...]]:
    """One entry per study across outcomes, for the overall grade.

    A study is positive overall when it is positive on at least one outcome and negative on none,
    negative when negative on all outcomes with a direction, and without a direction otherwise
    (the returned notes say which studies were mixed).
    """
    merged: dict[str, list[EvidenceStudy]] = {}
    for s in studies:
        merged.setdefault(s.study, []).append(s)
    out: list[EvidenceStudy] = []
    notes: list[str] = []
    for name, rows in merged.items():
        results = {r.result for r in rows if r.result is not None}
        result: Result | None
        if results == {"positive"}:
            result = "positive"
        elif results == {"negative"}:
            result = "negative"
        else:
            result = None
            if results:
                notes.append(f"{name} is positive on some outcomes and negative on others")
        out.append(EvidenceStudy(name, rows[0].design, rows[0].quality, result))
    return out, tuple(notes)


@dataclass(frozen=True)
class GradeReport:
    """The overall grade of a body of evidence and, when outcomes are given, one per outcome."""

    overall: EvidenceGrade
    by_outcome: dict[str, EvidenceGrade]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = self.overall.to_dict()
        out["notes"] = [*out["notes"], *self.notes]
        if self.by_outcome:
            out["outcomes"] = {k: v.to_dict() for k, v in self.by_outcome.items()}
        return out

    def summary(self) -> str:
        lines = [self.overall.summary(), *self.notes]
        for name, g in self.by_outcome.items():
            lines += ["", f"Outcome {name}: Level {g.level} ({g.label})", g.rationale]
        return "\n".join(lines)


def grade_table(
    studies: list[EvidenceStudy],
    *,
    by_outcome: bool,
    question: Question = "effectiveness",
    rules: GradingRules | None = None,
) -> GradeReport:
    """Grade an evidence table: overall (one entry per study) and per outcome when asked."""
    merged, notes = merge_outcomes(studies)
    overall = grade_evidence(merged, question=question, rules=rules)
    per: dict[str, EvidenceGrade] = {}
    if by_outcome:
        groups: dict[str, list[EvidenceStudy]] = {}
        for s in studies:
            groups.setdefault(s.outcome or "(none)", []).append(s)
        per = {
            k: grade_evidence(v, question=question, rules=rules, outcome=k)
            for k, v in groups.items()
        }
    return GradeReport(overall, per, notes)


def project_evidence(project: ReviewProject) -> list[EvidenceStudy]:
    """One EvidenceStudy per outcome a study reports (or one without outcome if it reports none).

    Quality comes from :func:`evsynth.evidence.appraisal.study_quality`; a study without such an
    appraisal is an error naming studies.csv, since it cannot be graded.
    """
    from evsynth.evidence.appraisal import study_quality

    quality = study_quality(project)
    out: list[EvidenceStudy] = []
    for i, s in enumerate(project.studies):
        app = quality.get(s.study_id)
        if app is None or app.quality is None:
            file, line = project.where("studies", i)
            inst = project.protocol.appraisal.quality_instrument.get(s.design, "(none named)")
            raise InputError(
                f"study {s.study_id} has no complete appraisal with {inst}, the protocol's quality "
                f"instrument for {s.design}; it cannot be graded",
                file=file, row=line, column="study_id",
            )  # fmt: skip
        outcomes: list[str | None] = list(
            dict.fromkeys(v.outcome for v in project.outcomes if v.study_id == s.study_id)
        )
        for o in outcomes or [None]:
            out.append(EvidenceStudy(s.label, s.design, app.quality, s.result, o))
    return out


def grade_project_report(
    project: ReviewProject, *, question: Question = "effectiveness"
) -> GradeReport:
    """The project's evidence grade: overall and per protocol outcome."""
    return grade_table(project_evidence(project), by_outcome=True, question=question)
