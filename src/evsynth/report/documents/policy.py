"""The coverage-policy brief, in the layout of a payer's medical policy (seed 001).

Sections: description, medical policy criteria, evidence summary, level of evidence and
strength, codes, references. The criteria statement is a draft for the policy committee, set by
a stated rule from the evidence, never a decision evsynth takes for the committee:

- *may be considered medically necessary* when at least two randomized trials of high or
  moderate quality, with positive results, support the level of evidence (Level I or II),
  i.e. the benefit has been replicated in controlled comparisons;
- *investigational* otherwise, which is the payer's standard that "evidence from large,
  well-designed randomized controlled trials with adequate duration of follow-up" is needed.

References
----------
.. [1] Manchikanti L, Falco FJE, Benyamin RM, et al. A modified approach to grading of evidence.
   Pain Physician. 2014;17(3):E319-E325.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evsynth.report.documents._env import environment
from evsynth.report.documents.procedures import match_procedure
from evsynth.report.documents.report_html import css
from evsynth.report.documents.views import effect_text, measure_label

if TYPE_CHECKING:
    from evsynth.review.model import ReviewRun

MIN_TRIALS = 2


def _quality_by_study(run: ReviewRun) -> dict[str, str]:
    out: dict[str, str] = {}
    for a in run.appraisals:
        for q in ("high", "moderate", "low"):
            if a.quality.startswith(q):
                out.setdefault(a.study_id, q)
    return out


def criteria(run: ReviewRun, procedure_name: str) -> tuple[str, str, str]:
    """(status, statement, reason) of the draft criteria by the module's rule."""
    quality = _quality_by_study(run)
    trials = [
        s
        for s in run.studies
        if s.design == "rct" and quality.get(s.study_id) in ("high", "moderate")
    ]
    population = run.question.get("population", "").strip().rstrip(".")
    if run.evidence.level in ("I", "II") and len(trials) >= MIN_TRIALS:
        status = "medically necessary"
        statement = (
            f"{procedure_name} may be considered medically necessary for {population[:1].lower()}"
            f"{population[1:]}."
        )
        reason = (
            f"{len(trials)} randomized trials of high or moderate quality support Level "
            f"{run.evidence.level} evidence."
        )
    else:
        status = "investigational"
        statement = (
            f"{procedure_name} is considered investigational for {population[:1].lower()}"
            f"{population[1:]}."
        )
        n = len(trials)
        reason = (
            f"The evidence is Level {run.evidence.level} ({run.evidence.label}), but it rests on "
            f"{'no' if n == 0 else 'a single'} randomized trial{'s' if n == 0 else ''} of high "
            f"or moderate quality; at least {MIN_TRIALS} are needed to show that the benefit "
            "replicates. Uncontrolled before-after studies cannot separate the treatment's "
            "effect from placebo response and natural history."
        )
    return status, statement, reason


def policy_context(run: ReviewRun) -> dict[str, Any]:
    """Everything the brief prints."""
    proc = match_procedure(run.question.get("intervention", ""), run.title) or {}
    name = proc.get("name", run.question.get("intervention", "The intervention"))
    short = name.split(" (")[0]
    status, statement, reason = criteria(run, short)
    designs = [s.design for s in run.studies]
    n_rct = designs.count("rct")
    participants = sum(s.participants or 0 for s in run.studies)
    trials = []
    for r in run.responders:
        trials.append(
            f"{r.label}, {r.timepoint_months:g} months: {r.events_a} of {r.n_a} "
            f"({100 * r.events_a / r.n_a:.0f} %) responders with {r.arm_a} against "
            f"{r.events_b} of {r.n_b} ({100 * r.events_b / r.n_b:.0f} %) with {r.arm_b}."
        )
    pooled = [
        {
            "title": f"{a.reference}: {a.title}" if a.reference else a.title,
            "k": a.fixed.k,
            "measure": measure_label(a.measure, a.data),
            "fixed": effect_text(a.fixed),
            "random": effect_text(a.random),
            "I2": f"{a.fixed.I2:.1f} %",
        }
        for a in run.analyses
    ]
    limitations = [f.title for f in run.findings if f.severity in ("departure", "caution")]
    references = [s.citation for s in run.studies if s.citation]
    if run.citation:
        references.insert(0, f"{run.title}. {run.citation}")
    if proc.get("risks_source"):
        references.append(" ".join(str(proc["risks_source"]).split()))
    return {
        "css": css(),
        "version": run.version,
        "title": name,
        "review_title": run.title,
        "description": " ".join(str(proc.get("description", "")).split()),
        "status": status,
        "statement": statement,
        "reason": reason,
        "k": len(run.studies),
        "n_rct": n_rct,
        "n_other": len(run.studies) - n_rct,
        "participants": participants,
        "trials": trials,
        "pooled": pooled,
        "limitations": limitations,
        "evidence": run.evidence,
        "codes": [
            {
                "system": c["system"],
                "code": c["code"],
                "descriptor": " ".join(c["descriptor"].split()),
            }
            for c in proc.get("codes", ())
        ],
        "references": references,
        "certainty": [
            {
                "outcome": c.outcome,
                "timepoint": f"{c.timepoint_months:g} months" if c.timepoint_months else "",
                "certainty": c.certainty,
                "effect": c.effect,
            }
            for c in run.certainty
        ],
    }


def render_policy_html(run: ReviewRun) -> str:
    """The brief as HTML."""
    return environment().get_template("policy-brief.html").render(**policy_context(run))


def render_policy_markdown(run: ReviewRun) -> str:
    """The brief as Markdown (for a policy system that takes text)."""
    env = environment()
    env.autoescape = False
    return env.get_template("policy-brief.md").render(**policy_context(run))
