"""Grading a body of evidence by the qualitative modified approach (ASIPP), Levels I-V.

The rules are the seed review's Table 1 (adapted from Manchikanti et al. 2014):

==========  =================================================================================
Level I     multiple relevant high-quality RCTs (effectiveness); or multiple relevant high-quality
(strong)    observational studies or large case series (preventive measures, adverse
            consequences, effectiveness of other measures)
Level II    at least one relevant high-quality RCT or multiple relevant moderate or low-quality
(moderate)  RCTs; or at least 2 high-quality relevant observational studies or large case series
            (other measures)
Level III   at least one relevant high-quality nonrandomized trial or observational study with
(fair)      multiple moderate or low-quality observational studies; or at least one high-quality
            relevant observational study or large case series (other measures)
Level IV    multiple moderate or low-quality relevant observational studies; or moderate-quality
(limited)   observational studies or large case series (other measures)
Level V     opinion or consensus of a large group of clinicians and/or scientists
(consensus)
==========  =================================================================================

How the table is read (each reading is a setting or a documented decision, see
docs/appraisal-and-grading.md):

- The first alternative of each level applies to questions of effectiveness (``question=
  "effectiveness"``), the second to preventive measures, adverse consequences and effectiveness of
  other measures (``question="other"``).
- "Multiple" means at least ``GradingRules.multiple`` (2) studies. In Level I's second alternative
  it means at least ``level_i_other_min`` (3): with 2, Level I and Level II's "at least 2
  high-quality observational studies" would coincide and Level II could never apply.
- A study counts toward a requirement that names a weaker design or a lower quality (a
  high-quality RCT also counts as a "moderate or low-quality" study, an RCT as a "nonrandomized
  or observational" study): evidence never grades lower because a study is better.
- The level is set by the studies whose result supports the statement (positive). When negative or
  neutral studies would by themselves reach the same or a stronger level, the grade is marked
  conflicting: Table 1 does not say how to weigh them, so a panel must.

References
----------
Manchikanti L, Falco FJE, Benyamin RM, et al. A modified approach to grading of evidence. Pain
Physician 2014;17(3):E319-E325.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from evsynth.evidence.project import ReviewProject

Design = Literal["rct", "nonrandomized"]
Quality = Literal["high", "moderate", "low"]
Result = Literal["positive", "negative"]
Question = Literal["effectiveness", "other"]

LEVELS = ("I", "II", "III", "IV", "V")
LABELS = {"I": "strong", "II": "moderate", "III": "fair", "IV": "limited", "V": "consensus based"}
# How published ASIPP guideline statements pair levels with the strength of recommendation. ASIPP
# assigns strength statement by statement (net effect, consistency, quality concerns, panel
# agreement); there is no fixed table, so this is the usual pairing, for a panel to confirm.
TYPICAL_STRENGTH = {
    "I": "strong",
    "II": "moderate to strong",
    "III": "weak",
    "IV": "weak",
    "V": "weak",
}
_QUALITY_RANK = {"high": 2, "moderate": 1, "low": 0}
_DESIGN_NAME = {
    "rct": ("randomized controlled trial", "randomized controlled trials"),
    "nonrandomized": ("nonrandomized study", "nonrandomized studies"),
}


@dataclass(frozen=True)
class EvidenceStudy:
    """One study in a body of evidence: its design, quality class and direction of result.

    ``result`` None means the direction was not given; such a study is counted as supporting and
    the grade says so.
    """

    study: str
    design: Design
    quality: Quality
    result: Result | None = None
    outcome: str | None = None


@dataclass(frozen=True)
class GradingRules:
    """Settings for reading Table 1 (see the module docstring)."""

    multiple: int = 2
    level_i_other_min: int = 3


@dataclass(frozen=True)
class EvidenceGrade:
    """The level of a body of evidence, with the rule that decided it and why."""

    level: str
    label: str
    rationale: str
    rule: str
    deciding: tuple[str, ...]
    direction: Literal["positive", "negative", "none"]
    supporting: tuple[str, ...]
    opposing: tuple[str, ...]
    conflicting: bool = False
    outcome: str | None = None
    question: Question = "effectiveness"
    notes: tuple[str, ...] = field(default=())
    studies: tuple[EvidenceStudy, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``evsynth grade``."""
        out: dict[str, Any] = {
            "level": self.level,
            "label": self.label,
            "rationale": self.rationale,
            "rule": self.rule,
            "typical_strength": TYPICAL_STRENGTH[self.level],
            "deciding_studies": list(self.deciding),
            "direction": self.direction,
            "supporting_studies": list(self.supporting),
            "opposing_studies": list(self.opposing),
            "conflicting": self.conflicting,
            "question": self.question,
            "notes": list(self.notes),
            "studies": [
                {"study": s.study, "design": s.design, "quality": s.quality, "result": s.result}
                for s in self.studies
            ],
        }
        if self.outcome is not None:
            out["outcome"] = self.outcome
        return out

    def summary(self) -> str:
        head = f"Level {self.level} ({self.label})"
        if self.outcome is not None:
            head = f"{self.outcome}: {head}"
        return f"{head}\n{self.rationale}"


@dataclass(frozen=True)
class _Rule:
    level: str
    id: str
    text: str
    # Returns the deciding studies when the rule is met, None otherwise.
    test: Callable[[Sequence[EvidenceStudy], GradingRules], tuple[EvidenceStudy, ...] | None]


def _pick(
    studies: Sequence[EvidenceStudy], designs: Iterable[Design], min_quality: Quality
) -> tuple[EvidenceStudy, ...]:
    ds = set(designs)
    return tuple(
        s
        for s in studies
        if s.design in ds and _QUALITY_RANK[s.quality] >= _QUALITY_RANK[min_quality]
    )


_ANY: tuple[Design, ...] = ("rct", "nonrandomized")


def _at_least(found: tuple[EvidenceStudy, ...], n: int) -> tuple[EvidenceStudy, ...] | None:
    return found if len(found) >= n else None


def _level_iii(s: Sequence[EvidenceStudy], r: GradingRules) -> tuple[EvidenceStudy, ...] | None:
    high = _pick(s, _ANY, "high")
    if not high:
        return None
    others = tuple(x for x in _pick(s, _ANY, "low") if x is not high[0])
    return (high[0], *others) if len(others) >= r.multiple else None


EFFECTIVENESS_RULES: tuple[_Rule, ...] = (
    _Rule("I", "I", "multiple relevant high-quality randomized controlled trials",
          lambda s, r: _at_least(_pick(s, ("rct",), "high"), r.multiple)),
    _Rule("II", "II-a", "at least one relevant high-quality randomized controlled trial",
          lambda s, r: _at_least(_pick(s, ("rct",), "high"), 1)),
    _Rule("II", "II-b", "multiple relevant moderate or low-quality randomized controlled trials",
          lambda s, r: _at_least(_pick(s, ("rct",), "low"), r.multiple)),
    _Rule("III", "III", "at least one relevant high-quality nonrandomized trial or observational "
          "study with multiple moderate or low-quality observational studies", _level_iii),
    _Rule("IV", "IV", "multiple moderate or low-quality relevant observational studies",
          lambda s, r: _at_least(_pick(s, _ANY, "low"), r.multiple)),
)  # fmt: skip

OTHER_RULES: tuple[_Rule, ...] = (
    _Rule("I", "I-other", "multiple relevant high-quality observational studies or large case "
          "series", lambda s, r: _at_least(_pick(s, _ANY, "high"), r.level_i_other_min)),
    _Rule("II", "II-other", "at least 2 high-quality relevant observational studies or large "
          "case series", lambda s, r: _at_least(_pick(s, _ANY, "high"), 2)),
    _Rule("III", "III-other", "at least one high-quality relevant observational study or large "
          "case series", lambda s, r: _at_least(_pick(s, _ANY, "high"), 1)),
    _Rule("IV", "IV-other", "moderate-quality observational studies or large case series",
          lambda s, r: _at_least(_pick(s, _ANY, "moderate"), 1)),
)  # fmt: skip

_CONSENSUS = "opinion or consensus of a large group of clinicians and/or scientists"


def _apply(
    studies: Sequence[EvidenceStudy], question: Question, rules: GradingRules
) -> tuple[_Rule | None, tuple[EvidenceStudy, ...]]:
    for rule in EFFECTIVENESS_RULES if question == "effectiveness" else OTHER_RULES:
        found = rule.test(studies, rules)
        if found is not None:
            return rule, found
    return None, ()


def _describe(studies: Sequence[EvidenceStudy]) -> str:
    """'1 high-quality randomized controlled trial (A); 2 moderate-quality ... (B, C)'."""
    groups: dict[tuple[str, str], list[str]] = {}
    for s in studies:
        groups.setdefault((s.quality, s.design), []).append(s.study)
    parts = []
    for (q, d), names in sorted(
        groups.items(), key=lambda kv: (-_QUALITY_RANK[kv[0][0]], kv[0][1])
    ):
        noun = _DESIGN_NAME[d][1 if len(names) > 1 else 0]
        parts.append(f"{len(names)} {q}-quality {noun} ({', '.join(names)})")
    return "; ".join(parts)


def grade_evidence(
    studies: Sequence[EvidenceStudy],
    *,
    question: Question = "effectiveness",
    rules: GradingRules | None = None,
    outcome: str | None = None,
) -> EvidenceGrade:
    """Grade one body of evidence (one outcome) by the seed's Table 1.

    Parameters
    ----------
    studies
        The relevant studies with design, quality class and direction of result.
    question
        ``"effectiveness"`` (the first alternative of each level) or ``"other"`` (preventive
        measures, adverse consequences, effectiveness of other measures).
    rules
        How "multiple" is read (see :class:`GradingRules`).
    outcome
        A label carried into the result.

    References
    ----------
    Manchikanti L et al. Pain Physician 2014;17(3):E319-E325.
    """
    rules = rules or GradingRules()
    positive = [s for s in studies if s.result != "negative"]
    negative = [s for s in studies if s.result == "negative"]
    notes: list[str] = []
    unknown = [s.study for s in studies if s.result is None]
    if unknown:
        notes.append(
            "direction of result not given for " + ", ".join(unknown) + "; counted as supporting"
        )
    pos_rule, pos_found = _apply(positive, question, rules)
    neg_rule, neg_found = _apply(negative, question, rules)
    direction: Literal["positive", "negative", "none"]
    if positive:
        rule, found, direction, side = pos_rule, pos_found, "positive", positive
    elif negative:
        rule, found, direction, side = neg_rule, neg_found, "negative", negative
    else:
        rule, found, direction, side = None, (), "none", []
    level = rule.level if rule is not None else "V"
    conflicting = False
    parts: list[str] = []
    if question == "effectiveness":
        subject = "effectiveness" if direction != "negative" else "lack of effectiveness"
    else:
        subject = "the assessed measure or consequence"
        subject = subject if direction != "negative" else f"evidence against {subject}"
    if rule is not None:
        parts.append(
            f"Level {level} ({LABELS[level]}) for {subject}: {rule.text} "
            f"[Table 1, {rule.id}], met by {_describe(found)}."
        )
    elif side:
        parts.append(
            f"Level V ({LABELS['V']}): the evidence ({_describe(side)}) meets no "
            f"evidence-based level of Table 1; a statement could rest only on {_CONSENSUS}."
        )
    else:
        parts.append(f"Level V ({LABELS['V']}): no studies; only {_CONSENSUS}.")
    others = [s for s in side if s not in found]
    if others and rule is not None:
        parts.append(f"Also {'supporting' if direction == 'positive' else 'in line'}: "
                     f"{_describe(others)}.")  # fmt: skip
    if rule is not None and level != "I":
        above = LEVELS[LEVELS.index(level) - 1]
        needs = " or ".join(r.text for r in _rules(question) if r.level == above)
        parts.append(f"Not Level {above}: that needs {needs}.")
    if direction == "positive" and negative:
        parts.append(f"Negative or neutral: {_describe(negative)}.")
        if neg_rule is not None and LEVELS.index(neg_rule.level) <= LEVELS.index(level):
            conflicting = True
            parts.append(
                f"Conflicting evidence: the negative studies alone reach Level {neg_rule.level}; "
                "Table 1 does not say how to weigh them, so the panel must."
            )
    return EvidenceGrade(
        level=level,
        label=LABELS[level],
        rationale=" ".join(parts),
        rule=rule.id if rule is not None else "V",
        deciding=tuple(s.study for s in found),
        direction=direction,
        supporting=tuple(s.study for s in (positive if direction != "negative" else negative)),
        opposing=tuple(s.study for s in (negative if direction != "negative" else positive)),
        conflicting=conflicting,
        outcome=outcome,
        question=question,
        notes=tuple(notes),
        studies=tuple(studies),
    )


def _rules(question: Question) -> tuple[_Rule, ...]:
    return EFFECTIVENESS_RULES if question == "effectiveness" else OTHER_RULES


def grade_by_outcome(
    studies: Sequence[EvidenceStudy],
    *,
    question: Question = "effectiveness",
    rules: GradingRules | None = None,
) -> dict[str, EvidenceGrade]:
    """Grade each outcome's studies separately (studies without an outcome go under "all")."""
    groups: dict[str, list[EvidenceStudy]] = {}
    for s in studies:
        groups.setdefault(s.outcome or "all", []).append(s)
    return {
        name: grade_evidence(group, question=question, rules=rules, outcome=name)
        for name, group in groups.items()
    }


def grade_project(project: ReviewProject, *, question: Question = "effectiveness") -> EvidenceGrade:
    """The overall grade of a review project's body of evidence.

    Each study enters once, with its design, the quality class from the instrument the protocol
    names for its design, and its ``result``. Per-outcome grades:
    :func:`evsynth.evidence.body.grade_project_report`.
    """
    from evsynth.evidence.body import grade_project_report

    return grade_project_report(project, question=question).overall
