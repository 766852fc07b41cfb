"""The review protocol (``review.yaml``): question, eligibility, outcomes, analyses, PRISMA counts.

Every model is frozen and rejects unknown fields, so a typo in the protocol (``treshold``) is an
error that names the line, not a setting silently ignored.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Design = Literal["rct", "nonrandomized"]
DESIGNS: tuple[Design, ...] = ("rct", "nonrandomized")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Question(_Frozen):
    """The review question in PICO form."""

    population: str
    intervention: str
    comparator: str = ""
    outcomes: str = ""


class Eligibility(_Frozen):
    """Eligibility criteria: free text lists plus the limits a program can check."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    designs: tuple[Literal["rct", "nonrandomized"], ...] = DESIGNS
    min_participants: int | None = Field(default=None, ge=1)
    min_followup_months: float | None = Field(default=None, ge=0)
    languages: tuple[str, ...] = ()


class Threshold(_Frozen):
    """A clinically important change on one outcome.

    ``percent_improvement``: improvement from baseline of at least ``value`` percent;
    ``absolute_improvement``: improvement of at least ``value`` points on the outcome's scale;
    ``responder_proportion``: at least ``value`` percent of the arm are responders (each responder
    having reached the improvement named in ``note``).
    """

    kind: Literal["percent_improvement", "absolute_improvement", "responder_proportion"]
    value: float = Field(gt=0)
    scale: str | None = None
    note: str = ""


class OutcomeDefinition(_Frozen):
    """An outcome of the protocol, with its scales, direction and clinical thresholds."""

    id: str = Field(pattern=r"^[a-z0-9_\-]+$")
    name: str
    domain: Literal["pain", "function", "responders", "other"] = "other"
    scales: tuple[str, ...] = ()
    scale_range: tuple[float, float] | None = None
    lower_is_better: bool = True
    primary: bool = False
    thresholds: tuple[Threshold, ...] = ()
    threshold_rule: Literal["any", "all"] = "any"
    # How to read a precomputed single-group effect (yi) of this outcome when judging clinical
    # relevance: "improvement_positive" (baseline minus follow-up for a lower-is-better scale),
    # "improvement_negative", or None (precomputed effects are not used for relevance).
    precomputed_change: Literal["improvement_positive", "improvement_negative"] | None = None


class Duration(_Frozen):
    """Short-term versus long-term: short is below ``long_term_from_months``."""

    long_term_from_months: float = Field(default=6.0, gt=0)
    note: str = ""

    def classify(self, months: float) -> Literal["short-term", "long-term"]:
        """'short-term' below the boundary, 'long-term' at or above it."""
        return "long-term" if months >= self.long_term_from_months else "short-term"


class AnalysisSpec(_Frozen):
    """One pooled analysis to run: which outcome rows, on which measure, with which models."""

    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    title: str
    outcome: str
    timepoint_months: float
    measure: str = "GEN"
    data: Literal["precomputed", "arm_means", "responders", "change"] = "precomputed"
    arms: tuple[str, ...] = ()
    models: tuple[str, ...] = ("FE", "REML")
    test: Literal["z", "knha"] = "z"
    level: float = Field(default=95.0, gt=0, lt=100)
    studies: tuple[str, ...] = ()
    reference: str = ""
    note: str = ""

    @field_validator("models")
    @classmethod
    def _known_models(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        allowed = ("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM", "MH", "PETO")
        for m in value:
            if m not in allowed:
                raise ValueError(f"invalid model {m!r}; expected one of {', '.join(allowed)}")
        return value

    @model_validator(mode="after")
    def _two_arms(self) -> AnalysisSpec:
        if self.data in ("arm_means", "responders") and len(self.arms) != 2:
            raise ValueError(f"data '{self.data}' needs arms: [intervention arm, control arm]")
        return self


class PrismaSpec(_Frozen):
    """PRISMA 2020 flow counts given directly (for a review done elsewhere).

    Field names follow the boxes of the PRISMA 2020 flow diagram (Page et al., BMJ 2021;372:n71).
    ``mapping`` records, in words, how the source's own boxes were mapped onto these.
    """

    identified: dict[str, int]
    identified_other_methods: dict[str, int] = {}
    duplicates_removed: int = Field(default=0, ge=0)
    automation_removed: int = Field(default=0, ge=0)
    other_removed: int = Field(default=0, ge=0)
    records_screened: int = Field(ge=0)
    records_excluded: int = Field(ge=0)
    reports_sought: int = Field(ge=0)
    reports_not_retrieved: int = Field(default=0, ge=0)
    reports_assessed: int = Field(ge=0)
    reports_excluded: dict[str, int] = {}
    studies_included: int = Field(ge=0)
    reports_included: int = Field(ge=0)
    mapping: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _flow_adds_up(self) -> PrismaSpec:
        identified = sum(self.identified.values())
        removed = self.duplicates_removed + self.automation_removed + self.other_removed
        if identified - removed != self.records_screened:
            raise ValueError(
                f"records_screened {self.records_screened} != identified {identified} "
                f"minus removed before screening {removed}"
            )
        if self.records_screened - self.records_excluded != self.reports_sought:
            raise ValueError(
                f"reports_sought {self.reports_sought} != records_screened "
                f"{self.records_screened} minus records_excluded {self.records_excluded}"
            )
        if self.reports_sought - self.reports_not_retrieved != self.reports_assessed:
            raise ValueError("reports_assessed != reports_sought minus reports_not_retrieved")
        excluded = sum(self.reports_excluded.values())
        if self.reports_assessed - excluded != self.reports_included:
            raise ValueError(
                f"reports_included {self.reports_included} != reports_assessed "
                f"{self.reports_assessed} minus reports excluded with reasons {excluded}"
            )
        return self


class ScreeningSettings(_Frozen):
    """Settings the screening layer reads (exclusion reasons offered to reviewers)."""

    exclusion_reasons: tuple[str, ...] = ()


class AppraisalSettings(_Frozen):
    """Which instrument decides the quality class used for grading, per design."""

    instruments: tuple[str, ...] = ()
    quality_instrument: dict[Literal["rct", "nonrandomized"], str] = {}


class GradingSettings(_Frozen):
    """The grading approaches to apply to the body of evidence."""

    approach: Literal["asipp-qualitative-modified"] = "asipp-qualitative-modified"
    grade_certainty: bool = True
    imprecision_threshold: dict[str, float] = {}


class Protocol(_Frozen):
    """The whole protocol (``review.yaml``)."""

    title: str
    slug: str = ""
    authors: tuple[str, ...] = ()
    citation: str = ""
    question: Question
    eligibility: Eligibility = Eligibility()
    outcomes: tuple[OutcomeDefinition, ...]
    timepoints_months: tuple[float, ...] = (3.0, 6.0, 12.0)
    duration: Duration = Duration()
    appraisal: AppraisalSettings = AppraisalSettings()
    grading: GradingSettings = GradingSettings()
    analyses: tuple[AnalysisSpec, ...] = ()
    screening: ScreeningSettings = ScreeningSettings()
    prisma: PrismaSpec | None = None
    notes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _references_resolve(self) -> Protocol:
        ids = [o.id for o in self.outcomes]
        if len(set(ids)) != len(ids):
            raise ValueError("outcome ids must be unique")
        for a in self.analyses:
            if a.outcome not in ids:
                raise ValueError(
                    f"analysis {a.id!r} names outcome {a.outcome!r}; protocol outcomes: "
                    + ", ".join(ids)
                )
        analysis_ids = [a.id for a in self.analyses]
        if len(set(analysis_ids)) != len(analysis_ids):
            raise ValueError("analysis ids must be unique")
        return self

    def outcome(self, outcome_id: str) -> OutcomeDefinition:
        """The outcome definition with this id (KeyError when absent)."""
        for o in self.outcomes:
            if o.id == outcome_id:
                return o
        raise KeyError(outcome_id)
