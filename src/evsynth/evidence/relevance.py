"""Clinical relevance: each study positive or negative at each reference time point.

The protocol sets the thresholds of clinically important change per outcome (the seed: >= 50 %
pain relief or >= 3 points on 0-10, >= 30 % on disability), the reference time points (3, 6, 12
months) and the boundary between short- and long-term. Each outcome value of a study is judged
against its outcome's thresholds:

- responder data (responders / n, or a reported proportion): the share of responders reaches the
  ``responder_proportion`` threshold, and (when the study has a control arm) exceeds the control
  arm's share;
- continuous data: the improvement from baseline (follow-up minus baseline, signed so that
  positive is better) reaches ``absolute_improvement`` points, or ``percent_improvement`` percent
  of the baseline mean; with a control arm, the treated arm must also improve more than control.
  A threshold that the data cannot answer (a percentage without a baseline mean) is "not
  assessable", never guessed.

An outcome is positive when its thresholds are met by the protocol's ``threshold_rule`` ("any":
one threshold met; "all": every threshold met), negative when they are not, and not assessable
otherwise. A study is positive at a time point when at least one outcome is positive and none is
negative, negative in the reverse case, mixed when outcomes disagree. The authors' own rating
(``reported_relevance`` in studies.csv) is kept beside the computed one, and any disagreement is
stated.

The first arm listed in studies.csv is taken as the intervention and any other arm as control.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from evsynth.evidence.project import ReviewProject
from evsynth.evidence.protocol import OutcomeDefinition, Protocol, Threshold
from evsynth.evidence.study import WHOLE_SAMPLE, OutcomeValue, Study

Status = Literal["positive", "negative", "not assessable"]
Rating = Literal["positive", "negative", "mixed", "not assessable", "no data"]


@dataclass(frozen=True)
class OutcomeVerdict:
    """One outcome of one study at one time point, judged against its thresholds."""

    outcome: str
    status: Status
    reason: str


@dataclass(frozen=True)
class RelevanceAtTime:
    """A study's clinical relevance at one reference time point."""

    timepoint_months: float
    period: Literal["short-term", "long-term"]
    rating: Rating
    verdicts: tuple[OutcomeVerdict, ...]
    reported: str | None = None

    @property
    def detail(self) -> str:
        """The reasons, one clause per outcome, and the authors' rating when it differs."""
        parts = [f"{v.outcome}: {v.reason}" for v in self.verdicts]
        if not parts:
            parts.append("no outcome data at this time point")
        if self.reported is not None and self.reported != self.rating:
            parts.append(f"the authors rate it {self.reported}")
        return "; ".join(parts)


@dataclass(frozen=True)
class StudyRelevance:
    """A study's clinical relevance at each of the protocol's reference time points."""

    study_id: str
    label: str
    times: tuple[RelevanceAtTime, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def by_timepoint(self) -> dict[float, str]:
        return {t.timepoint_months: t.rating for t in self.times}

    @property
    def detail(self) -> dict[float, str]:
        return {t.timepoint_months: t.detail for t in self.times}

    def period_rating(self, period: Literal["short-term", "long-term"]) -> Rating:
        """Positive for the period when a time point in it is positive and none negative."""
        ratings = [t.rating for t in self.times if t.period == period]
        return _combine([r for r in ratings if r in ("positive", "negative", "mixed")], ratings)


def _combine(decided: Sequence[str], all_ratings: Sequence[str]) -> Rating:
    has_pos = any(r in ("positive", "mixed") for r in decided)
    has_neg = any(r in ("negative", "mixed") for r in decided)
    if has_pos and has_neg:
        return "mixed"
    if has_pos:
        return "positive"
    if has_neg:
        return "negative"
    if any(r == "not assessable" for r in all_ratings):
        return "not assessable"
    return "no data"


def _fmt(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 100 else f"{x:.0f}"


def _improvement(v: OutcomeValue, o: OutcomeDefinition) -> tuple[float | None, float | None]:
    """(improvement in points, positive = better; baseline mean) for a continuous value."""
    change = v.change
    if change is not None:
        return (-change if o.lower_is_better else change), v.baseline_mean
    if v.yi is not None and o.precomputed_change is not None:
        sign = 1.0 if o.precomputed_change == "improvement_positive" else -1.0
        return sign * v.yi, v.baseline_mean
    return None, v.baseline_mean


def _threshold_status(
    t: Threshold, v: OutcomeValue, o: OutcomeDefinition, control: OutcomeValue | None
) -> tuple[Status, str]:
    if t.kind == "responder_proportion":
        p = v.responder_proportion
        if p is None:
            return "not assessable", "no responder data"
        text = f"{100 * p:.0f} % responders"
        if p < t.value / 100:
            return "negative", f"{text}, below {t.value:g} %"
        if control is not None and control.responder_proportion is not None:
            pc = control.responder_proportion
            if p <= pc:
                return "negative", f"{text}, not more than control ({100 * pc:.0f} %)"
            return "positive", f"{text} against {100 * pc:.0f} % in control (>= {t.value:g} %)"
        return "positive", f"{text} (>= {t.value:g} %)"
    gain, baseline = _improvement(v, o)
    if gain is None:
        return "not assessable", "no change from baseline reported"
    unit = "points" if t.kind == "absolute_improvement" else "%"
    if t.kind == "absolute_improvement":
        amount, text = gain, f"improvement {_fmt(gain)} points"
    else:
        if baseline is None or baseline == 0:
            return "not assessable", "percent improvement unknown (no baseline mean)"
        amount = 100 * gain / abs(baseline)
        text = f"improvement {amount:.0f} % of baseline {_fmt(baseline)}"
    if amount < t.value:
        return "negative", f"{text}, below {t.value:g} {unit}"
    if control is not None:
        c_gain, _ = _improvement(control, o)
        if c_gain is not None and gain <= c_gain:
            return "negative", f"{text}, not more than control ({_fmt(c_gain)} points)"
    return "positive", f"{text} (>= {t.value:g} {unit})"


def judge_outcome(
    v: OutcomeValue, o: OutcomeDefinition, control: OutcomeValue | None = None
) -> OutcomeVerdict:
    """Judge one outcome value against its outcome's thresholds (see the module docstring)."""
    if not o.thresholds:
        return OutcomeVerdict(o.id, "not assessable", "no threshold in the protocol")
    results = [_threshold_status(t, v, o, control) for t in o.thresholds]
    statuses = [s for s, _ in results]
    if o.threshold_rule == "any":
        if "positive" in statuses:
            status: Status = "positive"
        elif all(s == "negative" for s in statuses):
            status = "negative"
        else:
            status = "not assessable"
    else:
        if "negative" in statuses:
            status = "negative"
        elif all(s == "positive" for s in statuses):
            status = "positive"
        else:
            status = "not assessable"
    if status == "positive":
        reasons = [r for s, r in results if s == "positive"][:1]
    else:
        reasons = list(dict.fromkeys(r for _, r in results))
    return OutcomeVerdict(o.id, status, ", ".join(reasons))


def study_relevance(project: ReviewProject, study: Study) -> StudyRelevance:
    """Clinical relevance of one study at each of the protocol's reference time points."""
    protocol: Protocol = project.protocol
    intervention = study.arms[0].name if study.arms else WHOLE_SAMPLE
    times = []
    for t in protocol.timepoints_months:
        verdicts = []
        for o in protocol.outcomes:
            rows = [v for v in project.outcome_values(o.id, t) if v.study_id == study.study_id]
            treated = [v for v in rows if v.arm in (intervention, WHOLE_SAMPLE)]
            if not treated:
                continue
            control = next((v for v in rows if v.arm not in (intervention, WHOLE_SAMPLE)), None)
            value = next((v for v in treated if v.arm == intervention), treated[0])
            verdicts.append(judge_outcome(value, o, control if value.arm != WHOLE_SAMPLE else None))
        statuses = [v.status for v in verdicts]
        rating: Rating
        if not verdicts:
            rating = "no data"
        else:
            rating = _combine(
                [s for s in statuses if s != "not assessable"], ["not assessable"] * len(statuses)
            )
        times.append(
            RelevanceAtTime(
                timepoint_months=t,
                period=protocol.duration.classify(t),
                rating=rating,
                verdicts=tuple(verdicts),
                reported=study.reported_relevance.get(t),
            )
        )
    return StudyRelevance(study.study_id, study.label, tuple(times))


def clinical_relevance(project: ReviewProject) -> tuple[StudyRelevance, ...]:
    """Clinical relevance of every study of the project, in studies.csv order."""
    return tuple(study_relevance(project, s) for s in project.studies)
