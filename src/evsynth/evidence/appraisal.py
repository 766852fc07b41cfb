"""Appraisal of each study with an instrument: scores, quality classes, and rater agreement.

A rater's answers (rows of ``appraisals.csv``) are checked against the instrument's items and
answer options, summed (or, for RoB 2 and ROBINS-I, combined by the overall rule), and turned
into the instrument's class and the high / moderate / low quality used for grading. When a paper
gives only a total score (IPM-QRBNR in the seed review), the total is used as given and the
result says so.

References
----------
Cohen J. A coefficient of agreement for nominal scales. Educ Psychol Meas 1960;20(1):37-46.
Sterne JAC et al. RoB 2. BMJ 2019;366:l4898. Sterne JAC et al. ROBINS-I. BMJ 2016;355:i4919.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evsynth.errors import InputError
from evsynth.evidence.instruments import Instrument, QualityClass, load_instruments
from evsynth.evidence.project import ReviewProject
from evsynth.evidence.study import AppraisalAnswer

CONSENSUS = "consensus"
INCOMPLETE = "incomplete"
# err(index, message[, column]) -> InputError located at the answer's line.
_Raiser = Callable[..., InputError]


@dataclass(frozen=True)
class StudyAppraisal:
    """One rater's appraisal of one study with one instrument."""

    study_id: str
    instrument: str
    rater: str
    score: float | None
    max_score: float | None
    rating: str
    quality: QualityClass | None
    domain_scores: dict[str, float] = field(default_factory=dict)
    judgements: dict[str, str] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    from_total: bool = False
    complete: bool = True
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line: study, instrument, score or judgement, class."""
        if self.score is not None:
            max_text = f"/{_num(self.max_score)}" if self.max_score is not None else ""
            what = f"{_num(self.score)}{max_text}"
        else:
            what = ", ".join(f"{d}: {j}" for d, j in self.judgements.items())
        total = " (total as reported)" if self.from_total else ""
        return f"{self.study_id} {self.instrument} [{self.rater}]: {what}{total} -> {self.rating}"


def _num(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def appraise(
    instrument: Instrument,
    answers: Sequence[AppraisalAnswer],
    *,
    file: str | Path | None = None,
    lines: Sequence[int] | None = None,
) -> StudyAppraisal:
    """Score one rater's answers for one study.

    Parameters
    ----------
    instrument
        The instrument the answers belong to.
    answers
        The rows of one study, one rater, one instrument.
    file, lines
        Where the rows came from, so that a bad answer is reported at its line.
    """
    if not answers:
        raise InputError(f"no answers for instrument {instrument.id}", file=file)
    first = answers[0]

    def err(i: int, message: str, column: str = "answer") -> InputError:
        return InputError(
            message, file=file, row=lines[i] if lines is not None else None, column=column
        )

    by_item: dict[str, tuple[int, AppraisalAnswer]] = {}
    for i, a in enumerate(answers):
        if a.item in by_item:
            raise err(i, f"item {a.item!r} answered twice by {a.rater}", "item")
        by_item[a.item] = (i, a)
    if instrument.scoring == "judgement":
        return _judge(instrument, first, by_item, err)
    return _score(instrument, first, by_item, err)


def _score(
    inst: Instrument,
    first: AppraisalAnswer,
    by_item: dict[str, tuple[int, AppraisalAnswer]],
    err: _Raiser,
) -> StudyAppraisal:
    raise_at = err
    notes: list[str] = []
    if "total" in by_item:
        i, a = by_item["total"]
        if not inst.accepts_total:
            raise raise_at(i, f"{inst.id} is scored from its items; a total cannot be entered")
        if len(by_item) > 1:
            raise raise_at(i, "give either the total or the item answers, not both", "item")
        total = _number(a.answer, i, raise_at)
        if total < 0 or (inst.max_score is not None and total > inst.max_score):
            raise raise_at(i, f"total {a.answer} outside 0-{_num(inst.max_score)}")
        rating = inst.classify(total)
        notes.append("total score as reported; item answers not available")
        if not inst.confirmed:
            notes.append(f"{inst.id}: {inst.unconfirmed}")
        return StudyAppraisal(
            first.study_id,
            inst.id,
            first.rater,
            total,
            inst.max_score,
            rating,
            inst.quality(rating),
            answers={"total": a.answer},
            from_total=True,
            notes=tuple(notes),
        )
    total = 0.0
    domain_scores: dict[str, float] = defaultdict(float)
    for item_id, (i, a) in by_item.items():
        try:
            item = inst.item(item_id)
        except KeyError:
            raise raise_at(i, f"unknown item {item_id!r} of instrument {inst.id}", "item") from None
        options = inst.options(item)
        if options is None:
            points = _number(a.answer, i, raise_at)
            if points < 0 or (item.max_points is not None and points > item.max_points):
                raise raise_at(i, f"points {a.answer} outside 0-{_num(item.max_points)}")
        else:
            match = [o for o in options if o.value.lower() == a.answer.strip().lower()]
            if not match:
                allowed = ", ".join(o.value for o in options)
                raise raise_at(i, f"answer {a.answer!r} not one of: {allowed}")
            points = match[0].points
        total += points
        if item.domain is not None:
            domain_scores[item.domain] += points
    for d in inst.domains:
        domain_scores.setdefault(d.id, 0.0)
    missing = [it.id for it in inst.items if it.id not in by_item]
    if missing:
        notes.append(f"unanswered items scored 0: {', '.join(missing)}")
    rating = inst.classify(total, dict(domain_scores))
    return StudyAppraisal(
        first.study_id, inst.id, first.rater, total, inst.max_score, rating, inst.quality(rating),
        domain_scores=dict(domain_scores),
        answers={k: a.answer for k, (_, a) in by_item.items()},
        complete=not missing, notes=tuple(notes),
    )  # fmt: skip


def _number(text: str, i: int, raise_at: _Raiser) -> float:
    try:
        value = float(text)
    except ValueError:
        raise raise_at(i, f"expected a number of points, got {text!r}") from None
    if not math.isfinite(value):
        raise raise_at(i, f"expected a finite number, got {text!r}")
    return value


def _judge(
    inst: Instrument,
    first: AppraisalAnswer,
    by_item: dict[str, tuple[int, AppraisalAnswer]],
    err: _Raiser,
) -> StudyAppraisal:
    raise_at = err
    order = {j: k for k, j in enumerate(inst.judgements)}
    judgements: dict[str, str] = {}
    entered_overall: str | None = None
    for item_id, (i, a) in by_item.items():
        value = a.answer.strip().lower().replace(" ", "_")
        if value not in order:
            raise raise_at(i, f"judgement {a.answer!r} not one of: {', '.join(inst.judgements)}")
        if item_id == "overall":
            entered_overall = value
            continue
        if item_id not in {d.id for d in inst.domains}:
            known = ", ".join(d.id for d in inst.domains)
            raise raise_at(i, f"unknown domain {item_id!r}; domains: {known}", "item")
        judgements[item_id] = value
    notes: list[str] = []
    missing = [d.id for d in inst.domains if d.id not in judgements]
    if missing and entered_overall is None:
        # An appraisal in progress: no overall judgement, and no quality class for grading.
        return StudyAppraisal(
            first.study_id, inst.id, first.rater, None, None, INCOMPLETE, None,
            judgements=judgements, answers={k: a.answer for k, (_, a) in by_item.items()},
            complete=False, notes=(f"no judgement yet for domains {', '.join(missing)}",),
        )  # fmt: skip
    computed = overall_judgement(inst, judgements) if not missing else None
    if computed is not None and inst.overall.rule == "rob2":
        n_sc = sum(1 for j in judgements.values() if j == "some_concerns")
        if computed == "some_concerns" and n_sc > 1:
            notes.append(
                f"some concerns in {n_sc} domains: the reviewers judge whether this "
                "substantially lowers confidence (then the overall risk is high)"
            )
    rating = entered_overall if entered_overall is not None else computed
    assert rating is not None
    if entered_overall is not None and computed is not None and entered_overall != computed:
        notes.append(f"overall entered as {entered_overall}; the domain rule gives {computed}")
    return StudyAppraisal(
        first.study_id, inst.id, first.rater, None, None, rating, inst.quality(rating),
        judgements=judgements, answers={k: a.answer for k, (_, a) in by_item.items()},
        complete=not missing, notes=tuple(notes),
    )  # fmt: skip


def overall_judgement(inst: Instrument, judgements: dict[str, str]) -> str:
    """The overall judgement from domain judgements, by the instrument's rule.

    ``worst`` (ROBINS-I): the most severe domain judgement. ``rob2``: low if all low; high if
    any high, or if at least ``some_concerns_for_high`` domains have some concerns (when that
    setting is given); otherwise some concerns.
    """
    order = {j: k for k, j in enumerate(inst.judgements)}
    worst = max(judgements.values(), key=lambda j: order[j])
    if inst.overall.rule == "worst":
        return worst
    if worst == "some_concerns":
        n = sum(1 for j in judgements.values() if j == "some_concerns")
        limit = inst.overall.some_concerns_for_high
        if limit is not None and n >= limit:
            return "high"
    return worst


def appraise_project(
    project: ReviewProject, instruments: dict[str, Instrument] | None = None
) -> tuple[StudyAppraisal, ...]:
    """Every (study, instrument, rater) appraisal of a project, in file order."""
    insts = instruments if instruments is not None else load_instruments(project.instruments_dir)
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for idx, a in enumerate(project.appraisals):
        groups[(a.study_id, a.instrument, a.rater)].append(idx)
    out = []
    for (_study, inst_id, _rater), idxs in groups.items():
        file, line = project.where("appraisals", idxs[0])
        if inst_id not in insts:
            raise InputError(
                f"unknown instrument {inst_id!r}; known: {', '.join(sorted(insts))}",
                file=file, row=line, column="instrument",
            )  # fmt: skip
        out.append(
            appraise(
                insts[inst_id],
                [project.appraisals[i] for i in idxs],
                file=file,
                lines=[project.where("appraisals", i)[1] or 0 for i in idxs],
            )
        )
    return tuple(out)


def study_quality(
    project: ReviewProject, appraisals: Sequence[StudyAppraisal] | None = None
) -> dict[str, StudyAppraisal]:
    """The appraisal that decides each study's quality class for grading.

    The protocol names the instrument per design (``appraisal.quality_instrument``). With one
    rater that rater's appraisal is used; with several, a rater named ``consensus`` (or whose name
    contains it) decides; without one the raters must agree on the class.
    """
    apps = appraisals if appraisals is not None else appraise_project(project)
    chosen = project.protocol.appraisal.quality_instrument
    out: dict[str, StudyAppraisal] = {}
    for s in project.studies:
        inst_id = chosen.get(s.design)
        candidates = [a for a in apps if a.study_id == s.study_id and a.instrument == inst_id]
        if not candidates:
            continue
        consensus = [a for a in candidates if CONSENSUS in a.rater.lower()]
        if consensus:
            out[s.study_id] = consensus[0]
        elif len({a.rating for a in candidates}) == 1:
            out[s.study_id] = candidates[0]
        else:
            ratings = ", ".join(f"{a.rater}: {a.rating}" for a in candidates)
            raise InputError(
                f"raters disagree on {s.study_id} with {inst_id} ({ratings}); add a consensus "
                "rater's answers",
                file=project.where("appraisals", 0)[0],
            )
    return out


# ------------------------------------------------------------------------------ agreement


@dataclass(frozen=True)
class Agreement:
    """Agreement between two raters on the same items: Cohen's kappa and percent agreement."""

    n: int
    percent_agreement: float
    expected_agreement: float
    kappa: float | None
    categories: tuple[str, ...]
    table: pd.DataFrame = field(compare=False, repr=False)

    def summary(self) -> str:
        k = "undefined (one category only)" if self.kappa is None else f"{self.kappa:.3f}"
        return f"{self.n} items: agreement {self.percent_agreement:.1f} %, Cohen's kappa {k}"


def cohens_kappa(rater_a: Sequence[str], rater_b: Sequence[str]) -> Agreement:
    """Cohen's kappa for two raters' answers to the same items.

    kappa = (p_o - p_e) / (1 - p_e), with p_o the observed proportion of agreement and p_e the
    agreement expected from each rater's marginal proportions (Cohen 1960). When both raters use
    a single category p_e = 1 and kappa is undefined (None); percent agreement is still given.
    """
    if len(rater_a) != len(rater_b):
        raise InputError(f"raters answered {len(rater_a)} and {len(rater_b)} items")
    n = len(rater_a)
    if n == 0:
        raise InputError("no items answered by both raters")
    cats = tuple(sorted(set(rater_a) | set(rater_b)))
    ca, cb = Counter(rater_a), Counter(rater_b)
    p_o = sum(1 for x, y in zip(rater_a, rater_b, strict=True) if x == y) / n
    p_e = sum(ca[c] * cb[c] for c in cats) / (n * n)
    kappa = None if math.isclose(p_e, 1.0) else (p_o - p_e) / (1 - p_e)
    table = pd.crosstab(
        pd.Series(list(rater_a), name="rater_a"), pd.Series(list(rater_b), name="rater_b")
    ).reindex(index=list(cats), columns=list(cats), fill_value=0)
    return Agreement(n, 100 * p_o, 100 * p_e, kappa, cats, table)


def rater_agreement(
    answers: Sequence[AppraisalAnswer],
    instrument: str,
    rater_a: str,
    rater_b: str,
    study_id: str | None = None,
) -> Agreement:
    """Agreement of two raters over the items both answered (one study, or all studies)."""
    a = {
        (x.study_id, x.item): x.answer.strip().lower()
        for x in answers
        if x.instrument == instrument and x.rater == rater_a
    }
    b = {
        (x.study_id, x.item): x.answer.strip().lower()
        for x in answers
        if x.instrument == instrument and x.rater == rater_b
    }
    keys = [k for k in a if k in b and (study_id is None or k[0] == study_id)]
    return cohens_kappa([a[k] for k in keys], [b[k] for k in keys])


@dataclass(frozen=True)
class RaterAgreement:
    """Agreement of two raters with one instrument on one study."""

    study_id: str
    instrument: str
    rater_a: str
    rater_b: str
    agreement: Agreement


def project_agreements(project: ReviewProject) -> tuple[RaterAgreement, ...]:
    """Cohen's kappa for every study that two raters appraised with the same instrument.

    Consensus rows (a rater named ``consensus``) are the resolution, not a third rater, and are
    left out. Pairs are listed in the order the raters first appear in appraisals.csv.
    """
    raters: dict[tuple[str, str], list[str]] = defaultdict(list)
    for a in project.appraisals:
        key = (a.study_id, a.instrument)
        if CONSENSUS not in a.rater.lower() and a.rater not in raters[key]:
            raters[key].append(a.rater)
    out = []
    for (study_id, inst), names in raters.items():
        for i, ra in enumerate(names):
            for rb in names[i + 1 :]:
                agreement = rater_agreement(project.appraisals, inst, ra, rb, study_id=study_id)
                out.append(RaterAgreement(study_id, inst, ra, rb, agreement))
    return tuple(out)
