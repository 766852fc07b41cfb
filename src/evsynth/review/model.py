"""The analysis run of a review: everything the three documents print, computed once.

A :class:`ReviewRun` is built from a loaded project by :func:`evsynth.review.run.build_run`. The
documents only format what it holds; they never compute. All objects are frozen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from evsynth.stats.results import RMAResult

Severity = Literal["departure", "caution", "note"]


@dataclass(frozen=True)
class StudyRow:
    """One row of the study characteristics table."""

    study_id: str
    label: str
    design: str
    design_detail: str
    participants: int | None
    population: str
    interventions: str
    setting: str
    follow_up: str
    citation: str


@dataclass(frozen=True)
class AppraisalRow:
    """One study appraised with one instrument: score and quality class."""

    study_id: str
    label: str
    instrument: str
    instrument_name: str
    score: float | None
    max_score: float | None
    quality: str
    note: str = ""


@dataclass(frozen=True)
class AnalysisRun:
    """One pooled analysis of the protocol, fitted with a fixed- and a random-effects model."""

    id: str
    title: str
    outcome: str
    outcome_name: str
    timepoint_months: float
    measure: str
    data: str
    reference: str
    fixed: RMAResult
    random: RMAResult
    figure: str
    note: str = ""
    participants: int | None = None
    # The random-effects model with the Hartung-Knapp adjustment, as a sensitivity analysis
    # when the protocol asks for z-tests (None with one study or when it asks for knha).
    knha: RMAResult | None = None
    # The random-effects model refitted without each study in turn (k >= 3), as
    # evsynth.stats.influence.SequentialFits.
    leave1out: Any = None

    @property
    def shift(self) -> float:
        """Random-effects minus fixed-effect estimate (analysis scale)."""
        return float(self.random.estimate - self.fixed.estimate)

    @property
    def changes_result(self) -> bool:
        """Whether the random-effects model changes the result a reader would take away.

        True when the random-effects estimate lies outside the fixed-effect confidence interval
        or the significance at the chosen level changes: the two criteria a reader of a forest
        plot acts on.
        """
        alpha = 1 - self.fixed.level / 100
        outside = not (self.fixed.ci_lower <= self.random.estimate <= self.fixed.ci_upper)
        significance = (self.fixed.p_value < alpha) != (self.random.p_value < alpha)
        return bool(outside or significance)


@dataclass(frozen=True)
class Finding:
    """One item of the methods check: where the analysis departs from current guidance."""

    code: str
    severity: Severity
    title: str
    detail: str
    analyses: tuple[str, ...] = ()
    guidance: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "title": self.title,
            "detail": self.detail,
            "analyses": list(self.analyses),
            "guidance": self.guidance,
        }


@dataclass(frozen=True)
class EvidenceGrade:
    """The level of the body of evidence (ASIPP qualitative modified approach) with rationale."""

    level: str
    label: str
    rationale: str
    deciding_studies: tuple[str, ...] = ()
    # (outcome id, outcome name, level, label, rationale) for each outcome of the protocol
    by_outcome: tuple[tuple[str, str, str, str, str], ...] = ()


@dataclass(frozen=True)
class CertaintyRow:
    """One row of the GRADE summary of findings."""

    outcome: str
    timepoint_months: float | None
    studies: int
    participants: int | None
    effect: str
    certainty: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class RelevanceRow:
    """One study's clinical relevance at each reference time point ('positive', 'negative')."""

    study_id: str
    label: str
    by_timepoint: dict[float, str]
    detail: dict[float, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ResponderRow:
    """Responders per arm of a controlled trial at one time point (for the patient summary)."""

    study_id: str
    label: str
    outcome: str
    timepoint_months: float
    arm_a: str
    events_a: int
    n_a: int
    arm_b: str
    events_b: int
    n_b: int

    @property
    def per100_a(self) -> int:
        return round(100 * self.events_a / self.n_a)

    @property
    def per100_b(self) -> int:
        return round(100 * self.events_b / self.n_b)


@dataclass(frozen=True)
class ReproductionRow:
    """A pooled statistic as a source publication printed it, beside evsynth's value."""

    analysis: str
    model: str
    statistic: str
    printed: float
    printed_text: str
    recomputed: float | None
    agrees_to: int | None  # decimals to which the two agree (None: not even to a whole number)
    printed_decimals: int
    source: str

    @property
    def agrees(self) -> bool:
        """Agreement to the printed rounding."""
        return self.agrees_to is not None and self.agrees_to >= self.printed_decimals


@dataclass(frozen=True)
class ReviewRun:
    """Everything one run of a review produces, ready for the documents and results.json."""

    title: str
    slug: str
    citation: str
    question: dict[str, str]
    eligibility: dict[str, Any]
    outcomes: tuple[dict[str, Any], ...]
    long_term_from_months: float
    studies: tuple[StudyRow, ...]
    appraisals: tuple[AppraisalRow, ...]
    analyses: tuple[AnalysisRun, ...]
    evidence: EvidenceGrade
    certainty: tuple[CertaintyRow, ...]
    relevance: tuple[RelevanceRow, ...]
    responders: tuple[ResponderRow, ...]
    findings: tuple[Finding, ...]
    reproduction: tuple[ReproductionRow, ...]
    prisma: dict[str, Any] | None  # PRISMA 2020 box counts (None: the project has none)
    prisma_counts: Any  # evsynth.records.prisma.PrismaCounts for the diagram, or None
    prisma_mapping: tuple[str, ...]
    notes: tuple[str, ...]
    project_files: dict[str, str]  # relative path -> SHA-256, for reproducibility
    version: str
    grading_approach: str = "asipp-qualitative-modified"

    def analysis(self, analysis_id: str) -> AnalysisRun:
        for a in self.analyses:
            if a.id == analysis_id:
                return a
        raise KeyError(analysis_id)
