"""Rows of the project tables: studies, outcome values per arm and time point, appraisal answers.

Each model is one row of a CSV file (``studies.csv``, ``outcomes.csv``, ``appraisals.csv``),
frozen and validated on construction. Columns a team adds beyond these are kept in ``extra`` and
written back, so a round trip through evsynth never drops a column.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ID_PATTERN = r"^[A-Za-z0-9_\-\.]+$"
WHOLE_SAMPLE = "all"  # arm name for values about a study's whole sample (single-arm data)


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Arm(_Row):
    """One arm of a study: its name and the number allocated (or analysed, if not randomized)."""

    name: str = Field(min_length=1)
    n: int | None = Field(default=None, ge=1)

    @staticmethod
    def parse_list(text: str) -> tuple[Arm, ...]:
        """``"lysis=46; placebo=44"`` -> two arms; an arm without ``=n`` has n unknown."""
        arms = []
        for part in text.split(";"):
            part = part.strip()
            if not part:
                continue
            name, sep, n = part.partition("=")
            if sep and not n.strip().isdigit():
                raise ValueError(f"arm {part!r}: n must be a whole number (name=n)")
            arms.append(Arm(name=name.strip(), n=int(n) if sep else None))
        return tuple(arms)

    @staticmethod
    def format_list(arms: tuple[Arm, ...]) -> str:
        return "; ".join(a.name if a.n is None else f"{a.name}={a.n}" for a in arms)


class Study(_Row):
    """One included study (``studies.csv``)."""

    study_id: str = Field(pattern=ID_PATTERN)
    label: str = Field(min_length=1)
    citation: str = ""
    year: int | None = Field(default=None, ge=1800, le=2200)
    design: Literal["rct", "nonrandomized"]
    design_detail: str = ""
    condition: str = ""
    n: int | None = Field(default=None, ge=1)
    arms: tuple[Arm, ...] = ()
    intervention: str = ""
    comparator: str = ""
    setting: str = ""
    followup_months: tuple[float, ...] = ()
    result: Literal["positive", "negative"] | None = None
    reported_relevance: dict[float, Literal["positive", "negative"]] = {}
    doi: str = ""
    pmid: str = ""
    notes: str = ""
    extra: dict[str, str] = {}

    @model_validator(mode="after")
    def _arms_unique(self) -> Study:
        names = [a.name for a in self.arms]
        if len(set(names)) != len(names):
            raise ValueError("arm names must be unique within a study")
        if WHOLE_SAMPLE in names:
            raise ValueError(f"'{WHOLE_SAMPLE}' is reserved for the whole sample")
        return self

    @staticmethod
    def parse_relevance(text: str) -> dict[float, str]:
        """``"3: positive; 12: negative"`` -> {3.0: 'positive', 12.0: 'negative'}."""
        out: dict[float, str] = {}
        for part in text.split(";"):
            if not part.strip():
                continue
            months, sep, rating = part.partition(":")
            if not sep:
                raise ValueError(f"{part.strip()!r}: expected months: positive|negative")
            out[float(months)] = rating.strip()
        return out

    @staticmethod
    def format_relevance(ratings: dict[float, str]) -> str:
        return "; ".join(
            f"{int(m) if float(m).is_integer() else m}: {r}" for m, r in sorted(ratings.items())
        )

    def arm_names(self) -> tuple[str, ...]:
        return (WHOLE_SAMPLE, *(a.name for a in self.arms))


def _finite(value: float | None, name: str) -> None:
    if value is not None and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number")


class OutcomeValue(_Row):
    """One outcome value (``outcomes.csv``): a study, an arm, an outcome, a time point.

    Carries whichever summary the study reports: follow-up mean and SD, baseline mean and SD,
    mean change with its SD or SE, responders out of n, or an effect ``yi`` with its ``sei``
    computed elsewhere. ``source`` says where in the paper the number comes from.
    """

    study_id: str = Field(pattern=ID_PATTERN)
    arm: str = WHOLE_SAMPLE
    outcome: str
    scale: str = ""
    timepoint_months: float = Field(ge=0)
    n: int | None = Field(default=None, ge=1)
    mean: float | None = None
    sd: float | None = Field(default=None, ge=0)
    baseline_mean: float | None = None
    baseline_sd: float | None = Field(default=None, ge=0)
    change_mean: float | None = None
    change_sd: float | None = Field(default=None, ge=0)
    change_se: float | None = Field(default=None, gt=0)
    responders: int | None = Field(default=None, ge=0)
    proportion: float | None = Field(default=None, ge=0, le=1)
    yi: float | None = None
    sei: float | None = Field(default=None, gt=0)
    source: str = ""
    note: str = ""
    extra: dict[str, str] = {}

    @model_validator(mode="after")
    def _consistent(self) -> OutcomeValue:
        for name in ("mean", "baseline_mean", "change_mean", "yi"):
            _finite(getattr(self, name), name)
        if self.responders is not None:
            if self.n is None:
                raise ValueError("responders needs n (the denominator)")
            if self.responders > self.n:
                raise ValueError(f"responders {self.responders} exceed n {self.n}")
            if self.proportion is not None:
                raise ValueError("give responders (with n) or proportion, not both")
        if (self.yi is None) != (self.sei is None):
            raise ValueError("yi and sei go together")
        return self

    @property
    def responder_proportion(self) -> float | None:
        """Share of the arm that responded: responders / n, or the proportion as reported."""
        if self.responders is not None and self.n is not None:
            return self.responders / self.n
        return self.proportion

    @property
    def change(self) -> float | None:
        """Change from baseline, follow-up minus baseline, as reported or computed."""
        if self.change_mean is not None:
            return self.change_mean
        if self.mean is not None and self.baseline_mean is not None:
            return self.mean - self.baseline_mean
        return None


class AppraisalAnswer(_Row):
    """One answer of one rater to one instrument item for one study (``appraisals.csv``).

    ``item`` is an item id of the instrument, or ``total`` when a paper gives only a total score
    (then ``answer`` is that number and ``note`` should say the items were not published).
    """

    study_id: str = Field(pattern=ID_PATTERN)
    instrument: str = Field(min_length=1)
    rater: str = Field(min_length=1)
    item: str = Field(min_length=1)
    answer: str = Field(min_length=1)
    note: str = ""
    extra: dict[str, str] = {}


STUDY_COLUMNS = [
    "study_id",
    "label",
    "citation",
    "year",
    "design",
    "design_detail",
    "condition",
    "n",
    "arms",
    "intervention",
    "comparator",
    "setting",
    "followup_months",
    "result",
    "reported_relevance",
    "doi",
    "pmid",
    "notes",
]
OUTCOME_COLUMNS = [
    "study_id",
    "arm",
    "outcome",
    "scale",
    "timepoint_months",
    "n",
    "mean",
    "sd",
    "baseline_mean",
    "baseline_sd",
    "change_mean",
    "change_sd",
    "change_se",
    "responders",
    "proportion",
    "yi",
    "sei",
    "source",
    "note",
]
APPRAISAL_COLUMNS = ["study_id", "instrument", "rater", "item", "answer", "note"]
