"""The pooled analyses of a protocol: gather each analysis's rows, fit fixed and random effects.

The protocol's ``analyses:`` entries name an outcome, a time point, the kind of data and the
models. Each is fitted twice, with a fixed-effect and a random-effects model (the first of each
kind in the entry's ``models``; FE and REML when one is missing), so the documents can show both
side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from evsynth.errors import InputError
from evsynth.review.model import AnalysisRun

if TYPE_CHECKING:
    from evsynth.evidence.project import ReviewProject
    from evsynth.evidence.protocol import AnalysisSpec
    from evsynth.evidence.study import OutcomeValue, Study
    from evsynth.stats.results import RMAResult

FIXED_MODELS = ("FE", "EE", "CE", "MH", "PETO")
# Measures that describe change within one arm: pooled before-after differences.
WITHIN_ARM_MEASURES = ("MC", "SMCC", "SMCR", "SMCRH", "SMCRP", "SMCRPH")
OUTCOMES_FILE = "outcomes.csv"


@dataclass(frozen=True)
class AnalysisData:
    """The per-study inputs of one analysis (effect sizes, or 2x2 counts for MH/Peto)."""

    labels: tuple[str, ...]
    yi: np.ndarray
    vi: np.ndarray
    participants: int | None
    counts: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None


def choose_models(spec: AnalysisSpec) -> tuple[str, str]:
    """(fixed, random) model codes from the protocol entry."""
    fixed = next((m for m in spec.models if m in FIXED_MODELS), "FE")
    random = next((m for m in spec.models if m not in FIXED_MODELS), "REML")
    return fixed, random


def is_within_arm(spec: AnalysisSpec) -> bool:
    """True when the analysis pools change from baseline within single arms."""
    return spec.data == "change" or spec.measure.upper() in WITHIN_ARM_MEASURES


def _arm_n(study: Study, arm: str) -> int | None:
    if arm == "all":
        return study.n
    return next((a.n for a in study.arms if a.name == arm), None)


def _rows(project: ReviewProject, spec: AnalysisSpec) -> list[OutcomeValue]:
    rows = list(project.outcome_values(spec.outcome, spec.timepoint_months))
    if spec.studies:
        rows = [r for r in rows if r.study_id in spec.studies]
    return rows


def _at(project: ReviewProject, row: OutcomeValue, message: str, column: str) -> InputError:
    """An input error located at ``row``'s line of outcomes.csv."""
    index = next((i for i, v in enumerate(project.outcomes) if v is row), None)
    if index is None:
        return InputError(message, file=OUTCOMES_FILE, column=column)
    file, line = project.where("outcomes", index)
    return InputError(message, file=file, row=line, column=column)


def gather(project: ReviewProject, spec: AnalysisSpec) -> AnalysisData:
    """Collect the per-study effect sizes of ``spec`` from the project's outcome rows."""
    from evsynth.stats.escalc import escalc

    where = f"analysis '{spec.id}' ({spec.outcome} at {spec.timepoint_months:g} months)"
    rows = _rows(project, spec)
    order: list[str] = []
    for r in rows:
        if r.study_id not in order:
            order.append(r.study_id)
    labels: list[str] = []
    yi: list[float] = []
    vi: list[float] = []
    n_total = 0
    n_known = True
    if spec.data in ("precomputed", "change"):
        for sid in order:
            mine = [r for r in rows if r.study_id == sid]
            if spec.data == "precomputed":
                mine = [r for r in mine if r.yi is not None and r.sei is not None]
            else:
                mine = [r for r in mine if r.change is not None]
            if not mine:
                continue
            if len(mine) > 1:
                raise _at(
                    project,
                    mine[1],
                    f"{where}: study '{sid}' has {len(mine)} rows; expected one",
                    "study_id",
                )
            r = mine[0]
            study = project.study(sid)
            n = r.n if r.n is not None else _arm_n(study, r.arm)
            if spec.data == "precomputed":
                assert r.yi is not None and r.sei is not None
                y, v = r.yi, r.sei**2
            else:
                change = r.change
                assert change is not None  # rows without a change were filtered out above
                y = change
                if r.change_se is not None:
                    v = r.change_se**2
                elif r.change_sd is not None and n:
                    v = r.change_sd**2 / n
                else:
                    raise _at(
                        project,
                        r,
                        f"{where}: study '{sid}' gives a change without change_se or "
                        "change_sd with n",
                        "change_se",
                    )
            labels.append(study.label)
            yi.append(float(y))
            vi.append(float(v))
            if n is None:
                n_known = False
            else:
                n_total += n
        return AnalysisData(tuple(labels), np.array(yi), np.array(vi), n_total if n_known else None)
    # Two-arm data: the protocol names [intervention arm, control arm].
    arm1, arm2 = spec.arms
    cols: dict[str, list[float]] = {k: [] for k in ("a", "n1", "c", "n2", "m1", "s1", "m2", "s2")}
    for sid in order:
        by_arm = {r.arm: r for r in rows if r.study_id == sid}
        if arm1 not in by_arm or arm2 not in by_arm:
            continue
        r1, r2 = by_arm[arm1], by_arm[arm2]
        study = project.study(sid)
        n1 = r1.n if r1.n is not None else _arm_n(study, arm1)
        n2 = r2.n if r2.n is not None else _arm_n(study, arm2)
        if n1 is None or n2 is None:
            raise _at(project, r1 if n1 is None else r2, f"{where}: study '{sid}' lacks n", "n")
        if spec.data == "responders":
            if r1.responders is None or r2.responders is None:
                raise _at(
                    project,
                    r1 if r1.responders is None else r2,
                    f"{where}: study '{sid}' lacks responder counts",
                    "responders",
                )
            cols["a"].append(r1.responders)
            cols["c"].append(r2.responders)
        else:
            m1, s1, m2, s2 = r1.mean, r1.sd, r2.mean, r2.sd
            if m1 is None or s1 is None or m2 is None or s2 is None:
                bad = r1 if m1 is None or s1 is None else r2
                column = "mean" if bad.mean is None else "sd"
                raise _at(project, bad, f"{where}: study '{sid}' lacks a mean or SD", column)
            cols["m1"].append(m1)
            cols["s1"].append(s1)
            cols["m2"].append(m2)
            cols["s2"].append(s2)
        cols["n1"].append(n1)
        cols["n2"].append(n2)
        labels.append(study.label)
        n_total += n1 + n2
    if not labels:
        raise InputError(
            f"{where}: no study has data for both arms {arm1!r} and {arm2!r}", file=OUTCOMES_FILE
        )
    n1a, n2a = np.array(cols["n1"]), np.array(cols["n2"])
    counts = None
    if spec.data == "responders":
        a, c = np.array(cols["a"]), np.array(cols["c"])
        es = escalc(spec.measure, ai=a, n1i=n1a, ci=c, n2i=n2a, slab=labels)
        counts = (a, n1a - a, c, n2a - c)
    else:
        es = escalc(
            spec.measure,
            m1i=cols["m1"],
            sd1i=cols["s1"],
            n1i=n1a,
            m2i=cols["m2"],
            sd2i=cols["s2"],
            n2i=n2a,
            slab=labels,
        )
    return AnalysisData(tuple(labels), np.asarray(es.yi), np.asarray(es.vi), n_total, counts)


def fit_model(spec: AnalysisSpec, data: AnalysisData, method: str) -> RMAResult:
    """Fit one model of ``spec`` (inverse variance, or Mantel-Haenszel / Peto on counts)."""
    from evsynth.stats import models

    if method in ("MH", "PETO"):
        if data.counts is None:
            raise InputError(
                f"analysis '{spec.id}': model {method} needs responder counts (data: responders)",
                column="models",
            )
        ai, bi, ci, di = data.counts
        if method == "MH":
            return models.rma_mh(
                ai, bi, ci, di, measure=spec.measure, level=spec.level, slab=list(data.labels)
            )
        return models.rma_peto(ai, bi, ci, di, level=spec.level, slab=list(data.labels))
    return models.rma(
        data.yi,
        data.vi,
        method=method,
        test=spec.test,
        level=spec.level,
        slab=list(data.labels),
        measure=spec.measure,
    )


def run_analysis(project: ReviewProject, spec: AnalysisSpec) -> AnalysisRun:
    """Gather and fit one analysis of the protocol with fixed and random effects."""
    data = gather(project, spec)
    if len(data.labels) == 0:
        raise InputError(
            f"analysis '{spec.id}': no study has data for {spec.outcome} at "
            f"{spec.timepoint_months:g} months",
            file=OUTCOMES_FILE,
        )
    fixed_m, random_m = choose_models(spec)
    fixed = fit_model(spec, data, fixed_m)
    random = fit_model(spec, data, random_m)
    knha = None
    if spec.test == "z" and len(data.labels) >= 2 and random_m not in FIXED_MODELS:
        knha = fit_model(spec.model_copy(update={"test": "knha"}), data, random_m)
    loo = None
    if len(data.labels) >= 3:
        from evsynth.stats.influence import leave1out

        loo = leave1out(random)
    outcome = project.protocol.outcome(spec.outcome)
    return AnalysisRun(
        id=spec.id,
        title=spec.title,
        outcome=spec.outcome,
        outcome_name=outcome.name,
        timepoint_months=float(spec.timepoint_months),
        measure=spec.measure,
        data="change" if is_within_arm(spec) else spec.data,
        reference=spec.reference,
        fixed=fixed,
        random=random,
        figure=f"forest-{spec.id}",
        note=spec.note,
        participants=data.participants,
        knha=knha,
        leave1out=loo,
    )


def run_analyses(project: ReviewProject) -> tuple[AnalysisRun, ...]:
    """All analyses of the protocol, in protocol order."""
    return tuple(run_analysis(project, spec) for spec in project.protocol.analyses)
