"""GRADE certainty of evidence for one outcome, and the summary-of-findings row.

Evidence from randomized comparisons starts at high certainty, other evidence (observational
studies, single-arm before-after data even from a trial's arm) at low. It is rated down for risk
of bias, inconsistency, imprecision, indirectness and publication bias, each by 0, 1 or 2 levels
with a written reason, and (only when it started low and nothing was rated down) up for a large
effect. The rules that turn numbers into a judgement are explicit settings
(:class:`CertaintySettings`); GRADE itself asks for judgement, so every reason says which number
crossed which line, and a panel can override any domain.

References
----------
Guyatt GH, Oxman AD, Vist GE, et al. GRADE: an emerging consensus on rating quality of evidence
and strength of recommendations. BMJ 2008;336:924-6.
Guyatt GH et al. GRADE guidelines 5-8 (publication bias, imprecision, inconsistency,
indirectness). J Clin Epidemiol 2011;64:1277-1303.
Guyatt GH et al. GRADE guidelines 9: rating up the quality of evidence. J Clin Epidemiol
2011;64:1311-6.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

import numpy as np

if TYPE_CHECKING:
    from evsynth.evidence.project import ReviewProject
    from evsynth.evidence.protocol import AnalysisSpec

LEVELS = ("very low", "low", "moderate", "high")
RATIO_MEASURES = {"RR", "OR", "HR", "IRR", "ROM", "PETO", "PLN"}
Certainty = Literal["very low", "low", "moderate", "high"]


class PooledResult(Protocol):
    """What certainty needs from a pooled result (evsynth.stats.results.RMAResult has it)."""

    k: int
    estimate: float
    ci_lower: float
    ci_upper: float
    I2: float
    measure: str
    yi: Any
    vi: Any
    weights: Any
    slab: tuple[str, ...]


@dataclass(frozen=True)
class CertaintySettings:
    """The lines at which a number becomes a reason to rate down (or up).

    ``inconsistency_i2``: I2 (percent) at or above which inconsistency is serious, and very
    serious (the Cochrane Handbook's "substantial" and "considerable" heterogeneity, 50 and 75).
    ``optimal_information_size``: participants below which a continuous outcome is imprecise
    (GRADE's rule of thumb of 400); ``optimal_events``: events for a dichotomous one (300).
    ``risk_of_bias_share``: share of the weight from studies below high quality at which risk of
    bias is serious; from low-quality studies at which it is very serious.
    ``large_effect`` / ``very_large_effect``: ratio (or its inverse) for rating up by 1 / 2.
    ``publication_bias_min_k``: fewer studies than this make a funnel test uninformative.
    """

    inconsistency_i2: tuple[float, float] = (50.0, 75.0)
    optimal_information_size: int = 400
    optimal_events: int = 300
    risk_of_bias_share: float = 0.5
    large_effect: float = 2.0
    very_large_effect: float = 5.0
    publication_bias_min_k: int = 10
    publication_bias_p: float = 0.10


@dataclass(frozen=True)
class DomainRating:
    """One GRADE domain: levels rated down (negative) or up (positive), and why."""

    domain: str
    change: int
    reason: str


@dataclass(frozen=True)
class CertaintyAssessment:
    """The certainty of one outcome's evidence, domain by domain."""

    outcome: str
    start: Certainty
    certainty: Certainty
    domains: tuple[DomainRating, ...]
    start_reason: str = ""

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the rating started low (when it did) and every domain that changed it."""
        first = (f"starts low: {self.start_reason}",) if self.start == "low" else ()
        return first + tuple(f"{d.domain}: {d.reason}" for d in self.domains if d.change != 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "start": self.start,
            "certainty": self.certainty,
            "start_reason": self.start_reason,
            "domains": [
                {"domain": d.domain, "change": d.change, "reason": d.reason} for d in self.domains
            ],
        }


@dataclass(frozen=True)
class SummaryOfFindingsRow:
    """One row of a GRADE summary-of-findings table."""

    outcome: str
    timepoint_months: float | None
    studies: int
    participants: int | None
    effect: str
    certainty: Certainty
    reasons: tuple[str, ...] = field(default=())
    absolute_effect: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "timepoint_months": self.timepoint_months,
            "studies": self.studies,
            "participants": self.participants,
            "effect": self.effect,
            "absolute_effect": self.absolute_effect,
            "certainty": self.certainty,
            "reasons": list(self.reasons),
        }


def corresponding_risk(measure: str, ratio: float, control_risk: float) -> float:
    """Risk with the intervention implied by a risk or odds ratio and the control group's risk.

    RR: ratio x control risk (capped at 1). OR: ratio x r / (1 - r + ratio x r). These are the
    "corresponding risks" of a GRADE summary-of-findings table (Guyatt et al., J Clin Epidemiol
    2011;64:383-94).
    """
    if measure.upper() == "OR":
        return ratio * control_risk / (1 - control_risk + ratio * control_risk)
    return min(1.0, ratio * control_risk)


def absolute_effect_text(result: PooledResult, control_risk: float) -> str:
    """'167 per 1000 with control; 578 per 1000 (282 to 1000) with the intervention'."""
    m = result.measure.upper()
    if m not in ("RR", "OR"):
        return ""
    per = [
        1000 * corresponding_risk(m, math.exp(x), control_risk)
        for x in (result.estimate, result.ci_lower, result.ci_upper)
    ]
    capped = (
        " (capped at 1000)" if m == "RR" and math.exp(result.ci_upper) * control_risk > 1 else ""
    )
    return (
        f"{1000 * control_risk:.0f} per 1000 with control; {per[0]:.0f} per 1000 "
        f"({per[1]:.0f} to {per[2]:.0f}){capped} with the intervention"
    )


def _is_ratio(measure: str) -> bool:
    return measure.upper() in RATIO_MEASURES


def effect_text(result: PooledResult, *, level: float = 95.0, unit: str = "") -> str:
    """'RR 3.47 (95% CI 1.81 to 6.66)' or 'MD -21.10 (95% CI -26.30 to -15.90) points'."""
    name = result.measure.upper()
    if _is_ratio(name):
        est, lo, hi = (math.exp(x) for x in (result.estimate, result.ci_lower, result.ci_upper))
        return f"{name} {est:.2f} ({level:g}% CI {lo:.2f} to {hi:.2f})"
    suffix = f" {unit}" if unit else ""
    return (
        f"{name} {result.estimate:.2f} ({level:g}% CI {result.ci_lower:.2f} to "
        f"{result.ci_upper:.2f}){suffix}"
    )


def _risk_of_bias(
    quality: Sequence[str | None], weights: Any, s: CertaintySettings
) -> DomainRating:
    w = np.asarray(weights, dtype=float)
    w = w / w.sum() if w.sum() > 0 else np.full(len(quality), 1 / max(len(quality), 1))
    known = [q for q in quality if q is not None]
    if len(known) < len(quality):
        return DomainRating("risk of bias", -1, "some studies have no quality class; not low risk")
    low = float(sum(wi for wi, q in zip(w, quality, strict=True) if q == "low"))
    below_high = float(sum(wi for wi, q in zip(w, quality, strict=True) if q != "high"))
    if low >= s.risk_of_bias_share:
        return DomainRating(
            "risk of bias", -2, f"{100 * low:.0f} % of the weight from low-quality studies"
        )
    if below_high >= s.risk_of_bias_share:
        return DomainRating(
            "risk of bias", -1,
            f"{100 * below_high:.0f} % of the weight from studies below high quality",
        )  # fmt: skip
    return DomainRating(
        "risk of bias", 0, f"{100 * (1 - below_high):.0f} % of the weight from high-quality studies"
    )


def _inconsistency(result: PooledResult, s: CertaintySettings) -> DomainRating:
    if result.k < 2:
        return DomainRating("inconsistency", 0, "single study; not assessable, not rated down")
    serious, very = s.inconsistency_i2
    yi = np.asarray(result.yi, dtype=float)
    both_sides = bool((yi > 0).any() and (yi < 0).any())
    side = "on both sides of no effect" if both_sides else "all on the same side of no effect"
    i2 = result.I2
    if i2 >= very:
        change = -2 if both_sides else -1
        return DomainRating(
            "inconsistency", change, f"I2 = {result.I2:.0f} % (>= {very:g} %), estimates {side}"
        )
    if i2 >= serious:
        return DomainRating("inconsistency", -1, f"I2 = {result.I2:.0f} % (>= {serious:g} %)")
    return DomainRating("inconsistency", 0, f"I2 = {result.I2:.0f} %")


def _imprecision(
    result: PooledResult,
    participants: int | None,
    events: int | None,
    mid: float | None,
    s: CertaintySettings,
) -> DomainRating:
    lo, hi = result.ci_lower, result.ci_upper
    problems: list[str] = []
    if lo <= 0 <= hi:
        problems.append("the confidence interval includes no effect")
    if mid is not None and not _is_ratio(result.measure):
        # Important in either direction: the interval includes both trivial (< MID) and
        # important (>= MID) effects.
        est_sign = 1.0 if result.estimate >= 0 else -1.0
        near, far = sorted((est_sign * lo, est_sign * hi))
        if near < mid <= far:
            problems.append(
                f"the confidence interval ({lo:.2f} to {hi:.2f}) includes effects below and above "
                f"the clinically important difference {mid:g}"
            )
    if _is_ratio(result.measure):
        if events is not None and events < s.optimal_events:
            problems.append(
                f"{events} events, below the optimal information size {s.optimal_events}"
            )
    elif participants is not None and participants < s.optimal_information_size:
        problems.append(
            f"{participants} participants, below the optimal information size "
            f"{s.optimal_information_size}"
        )
    if not problems:
        return DomainRating("imprecision", 0, f"CI {lo:.2f} to {hi:.2f}; adequate information size")
    return DomainRating("imprecision", -min(2, len(problems)), "; ".join(problems))


def _publication_bias(
    result: PooledResult, s: CertaintySettings, egger_p: float | None
) -> DomainRating:
    if result.k < s.publication_bias_min_k:
        return DomainRating(
            "publication bias", 0,
            f"{result.k} studies: too few for a funnel-plot test (< {s.publication_bias_min_k}); "
            "not rated down, not excluded",
        )  # fmt: skip
    if egger_p is None:
        return DomainRating("publication bias", 0, "no funnel-plot test given")
    if egger_p < s.publication_bias_p:
        return DomainRating("publication bias", -1, f"Egger's test p = {egger_p:.3f}")
    return DomainRating("publication bias", 0, f"Egger's test p = {egger_p:.3f}")


def _large_effect(result: PooledResult, s: CertaintySettings) -> DomainRating:
    if not _is_ratio(result.measure):
        return DomainRating("large effect", 0, "no large-effect rule for a difference measure")
    ratio = math.exp(result.estimate)
    size = max(ratio, 1 / ratio)
    bound = math.exp(result.ci_lower if result.estimate > 0 else -result.ci_upper)
    if size >= s.very_large_effect and bound > 1:
        return DomainRating("large effect", 2, f"ratio {ratio:.2f} (very large)")
    if size >= s.large_effect and bound > 1:
        return DomainRating("large effect", 1, f"ratio {ratio:.2f} (large)")
    return DomainRating("large effect", 0, f"ratio {ratio:.2f}")


def assess_certainty(
    result: PooledResult,
    *,
    outcome: str,
    randomized: bool,
    study_quality: Sequence[str | None],
    participants: int | None = None,
    events: int | None = None,
    mid: float | None = None,
    indirectness: str | None = None,
    egger_p: float | None = None,
    settings: CertaintySettings | None = None,
) -> CertaintyAssessment:
    """GRADE certainty for one outcome's pooled result.

    Parameters
    ----------
    result
        The pooled result (the random-effects fit when there is heterogeneity).
    outcome
        Outcome label.
    randomized
        Whether the effect is a randomized comparison (start high) or not (start low).
    study_quality
        The quality class (high / moderate / low) of each study, in the order of ``result.yi``.
    participants, events
        Participants in the analysis (and events, for dichotomous outcomes).
    mid
        The minimal clinically important difference on the analysis scale, for imprecision.
    indirectness
        A reason to rate down one level for indirectness (population, intervention, comparator
        or outcome differing from the question), or None.
    egger_p
        p-value of Egger's test, used when there are enough studies.
    """
    s = settings or CertaintySettings()
    start: Certainty = "high" if randomized else "low"
    domains = [
        _risk_of_bias(study_quality, result.weights, s),
        _inconsistency(result, s),
        _imprecision(result, participants, events, mid, s),
        DomainRating("indirectness", -1 if indirectness else 0, indirectness or "not rated down"),
        _publication_bias(result, s, egger_p),
    ]
    down = sum(d.change for d in domains)
    if not randomized and down == 0:
        domains.append(_large_effect(result, s))
    elif not randomized:
        domains.append(DomainRating("large effect", 0, "not considered: already rated down"))
    total = LEVELS.index(start) + sum(d.change for d in domains)
    certainty = cast(Certainty, LEVELS[max(0, min(len(LEVELS) - 1, total))])
    start_reason = "randomized comparison" if randomized else "not a randomized comparison"
    return CertaintyAssessment(
        outcome,
        start,
        certainty,
        tuple(domains),
        start_reason,
    )


def summary_of_findings_row(
    result: PooledResult,
    assessment: CertaintyAssessment,
    *,
    timepoint_months: float | None = None,
    participants: int | None = None,
    level: float = 95.0,
    unit: str = "",
    control_risk: float | None = None,
) -> SummaryOfFindingsRow:
    """A summary-of-findings row from a pooled result and its certainty assessment.

    With ``control_risk`` (the control groups' pooled risk) a ratio measure also gets the
    absolute effect per 1000.
    """
    return SummaryOfFindingsRow(
        outcome=assessment.outcome,
        timepoint_months=timepoint_months,
        studies=result.k,
        participants=participants,
        effect=effect_text(result, level=level, unit=unit),
        certainty=assessment.certainty,
        reasons=assessment.reasons,
        absolute_effect=absolute_effect_text(result, control_risk) if control_risk else "",
    )


def certainty_for_analysis(
    project: ReviewProject,
    spec: AnalysisSpec,
    result: PooledResult,
    *,
    egger_p: float | None = None,
    indirectness: str | None = None,
    settings: CertaintySettings | None = None,
) -> tuple[CertaintyAssessment, SummaryOfFindingsRow]:
    """GRADE certainty and the summary-of-findings row for one of the protocol's analyses.

    The inputs come from the project: the studies in the result (matched by label or id), their
    quality class (:func:`evsynth.evidence.appraisal.study_quality`), whether the comparison is
    randomized (two-arm data from randomized trials only), participants and events from the
    outcome rows, and the clinically important difference from ``grading.imprecision_threshold``.
    """
    from evsynth.evidence.appraisal import study_quality

    quality = study_quality(project)
    by_name = {s.label: s for s in project.studies} | {s.study_id: s for s in project.studies}
    studies = [by_name.get(name) for name in result.slab]
    qualities = [
        (quality[s.study_id].quality if s is not None and s.study_id in quality else None)
        for s in studies
    ]
    two_arm = spec.data in ("arm_means", "responders")
    randomized = two_arm and all(s is not None and s.design == "rct" for s in studies)
    ids = {s.study_id for s in studies if s is not None}
    rows = [
        v
        for v in project.outcome_values(spec.outcome, spec.timepoint_months)
        if v.study_id in ids and (not spec.arms or v.arm in spec.arms or not two_arm)
    ]
    participants = 0
    for v in rows:
        n = v.n
        if n is None:
            study = project.study(v.study_id)
            n = study.n if v.arm == "all" else next(
                (a.n for a in study.arms if a.name == v.arm), None
            )  # fmt: skip
        if n is None:
            participants = -1
            break
        participants += n
    events = sum(v.responders for v in rows if v.responders is not None) if two_arm else None
    control_risk = None
    if spec.data == "responders" and len(spec.arms) == 2:
        control = [v for v in rows if v.arm == spec.arms[1] and v.responders is not None]
        n_control = sum(v.n or 0 for v in control)
        if n_control:
            control_risk = sum(v.responders or 0 for v in control) / n_control
    mid = project.protocol.grading.imprecision_threshold.get(spec.outcome)
    assessment = assess_certainty(
        result,
        outcome=project.protocol.outcome(spec.outcome).name,
        randomized=randomized,
        study_quality=qualities,
        participants=participants if participants >= 0 else None,
        events=events if spec.data == "responders" else None,
        mid=mid,
        indirectness=indirectness,
        egger_p=egger_p,
        settings=settings,
    )
    if not two_arm:
        assessment = CertaintyAssessment(
            assessment.outcome,
            assessment.start,
            assessment.certainty,
            assessment.domains,
            "single-group change from baseline, not a randomized comparison",
        )
    elif not randomized:
        assessment = CertaintyAssessment(
            assessment.outcome,
            assessment.start,
            assessment.certainty,
            assessment.domains,
            "comparison includes nonrandomized studies",
        )
    row = summary_of_findings_row(
        result,
        assessment,
        timepoint_months=spec.timepoint_months,
        participants=participants if participants >= 0 else None,
        level=spec.level,
        control_risk=control_risk,
    )
    return assessment, row
