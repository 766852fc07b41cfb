"""The methods check: where an analysis departs from current guidance, said plainly with numbers.

Each rule looks at the fitted models (fixed and random effects) and the kind of data pooled, and
returns :class:`~evsynth.review.model.Finding` objects. The rules are the ones a statistical
referee applies to a pain meta-analysis today:

- fixed-effect pooling at substantial heterogeneity (I2 >= 50 %, "considerable" from 75 %);
- a random-effects model that changes the result (estimate outside the fixed-effect interval or a
  change in significance);
- single-arm before-after differences pooled as if they were comparative effects;
- too few studies to estimate the between-study variance;
- funnel-plot asymmetry tests (Egger) with fewer than 10 studies;
- prediction intervals that reach the null when the confidence interval does not;
- whether one study explains the heterogeneity (leave-one-out);
- printed statistics that contradict each other (a Q whose p-value belongs to another Q).

References
----------
.. [1] Deeks JJ, Higgins JPT, Altman DG (eds). Chapter 10: Analysing data and undertaking
   meta-analyses. In: Higgins JPT et al. (eds). Cochrane Handbook for Systematic Reviews of
   Interventions, version 6.4. Cochrane; 2023. Sections 10.10.2 (I2 thresholds), 10.10.4
   (random effects, few studies).
.. [2] Sterne JAC, Sutton AJ, Ioannidis JPA, et al. Recommendations for examining and
   interpreting funnel plot asymmetry in meta-analyses of randomised controlled trials.
   BMJ. 2011;343:d4002.
.. [3] IntHout J, Ioannidis JPA, Borm GF. The Hartung-Knapp-Sidik-Jonkman method for random
   effects meta-analysis is straightforward and considerably outperforms the standard
   DerSimonian-Laird method. BMC Med Res Methodol. 2014;14:25.
.. [4] Riley RD, Higgins JPT, Deeks JJ. Interpretation of random effects meta-analyses.
   BMJ. 2011;342:d549.
.. [5] Cuijpers P, Weitz E, Cristea IA, Twisk J. Pre-post effect sizes should be avoided in
   meta-analyses. Epidemiol Psychiatr Sci. 2017;26(4):364-368.
.. [6] Viechtbauer W, Cheung MWL. Outlier and influence diagnostics for meta-analysis. Res
   Synth Methods. 2010;1(2):112-125.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scipy import stats as _st

from evsynth.report.documents._env import fmt_ci, fmt_num
from evsynth.review.model import AnalysisRun, Finding, Severity
from evsynth.review.scale import RATIO_MEASURES, reporting_scale

if TYPE_CHECKING:
    from evsynth.stats.results import RMAResult

SUBSTANTIAL_I2 = 50.0  # Cochrane Handbook 10.10.2: 50-90 % "may represent substantial"
CONSIDERABLE_I2 = 75.0  # 75-100 % "considerable heterogeneity"
FEW_STUDIES = 5  # below this tau2 is poorly estimated (Handbook 10.10.4.1; IntHout 2014)
EGGER_MIN_K = 10  # Sterne et al. 2011: tests for funnel asymmetry need at least 10 studies


@dataclass(frozen=True)
class PrintedHeterogeneity:
    """Heterogeneity statistics as a source paper printed them, for the consistency rule."""

    analysis_id: str
    Q: float
    df: int
    p: float


def _name(a: AnalysisRun) -> str:
    ref = f"{a.reference}: " if a.reference else ""
    return f"{ref}{a.title}"


def _est(r: RMAResult, digits: int = 2) -> str:
    """Estimate with its confidence interval, on the reporting scale (exp for ratios)."""
    est, lo, hi = reporting_scale(r.measure, (r.estimate, r.ci_lower, r.ci_upper))
    return f"{fmt_num(est, digits)} ({r.level:g} % CI {fmt_ci(lo, hi, digits)})"


def heterogeneity_rule(analyses: Sequence[AnalysisRun]) -> list[Finding]:
    """Fixed-effect pools where I2 is substantial or considerable."""
    hits = [a for a in analyses if a.fixed.I2 >= SUBSTANTIAL_I2]
    if not hits:
        return []
    lines = [
        f"{_name(a)}: I² = {a.fixed.I2:.1f} %, Q = {a.fixed.Q:.2f} on {a.fixed.Q_df:g} df "
        f"(p {_p(a.fixed.Q_p)}); fixed effect {_est(a.fixed)}, random effects "
        f"({a.random.method}) {_est(a.random)}"
        for a in hits
    ]
    worst = max(a.fixed.I2 for a in hits)
    severity: Severity = "departure" if worst >= CONSIDERABLE_I2 else "caution"
    return [
        Finding(
            code="fixed-effect-at-high-heterogeneity",
            severity=severity,
            title=(
                f"Fixed-effect pooling at I² up to {worst:.1f} %: "
                "a common true effect is not plausible"
            ),
            detail=(
                "A fixed-effect model assumes every study estimates the same true effect. "
                "With heterogeneity this large that assumption fails, the fixed-effect interval "
                "is too narrow, and current guidance expects a random-effects model, an "
                "explanation of the heterogeneity, or no pooled estimate. "
                + " ".join(f"{line}." for line in lines)
            ),
            analyses=tuple(a.id for a in hits),
            guidance="Cochrane Handbook 6.4, sections 10.10.2 and 10.10.4",
        )
    ]


def _scale_note(a: AnalysisRun) -> str:
    return " on the log scale" if a.measure.upper() in RATIO_MEASURES else ""


def random_effects_rule(analyses: Sequence[AnalysisRun]) -> list[Finding]:
    """One finding per analysis whose result the random-effects model changes."""
    out = []
    for a in analyses:
        if not a.changes_result:
            continue
        width_f = a.fixed.ci_upper - a.fixed.ci_lower
        width_r = a.random.ci_upper - a.random.ci_lower
        out.append(
            Finding(
                code="random-effects-changes-result",
                severity="departure",
                title=f"Random effects changes the result of {_name(a)}",
                detail=(
                    f"Random effects ({a.random.method}, tau² = {a.random.tau2:.3f}) gives "
                    f"{_est(a.random)} against the fixed-effect {_est(a.fixed)}: the pooled "
                    f"estimate moves by {a.shift:+.2f}{_scale_note(a)} and the interval is "
                    f"{width_r / width_f:.1f} times as wide. The fixed-effect value should not "
                    "be reported alone."
                ),
                analyses=(a.id,),
                guidance="Cochrane Handbook 6.4, section 10.10.4; Riley et al., BMJ 2011",
            )
        )
    return out


def single_arm_rule(analyses: Sequence[AnalysisRun]) -> list[Finding]:
    """Before-after changes of single arms pooled as if they were comparative effects."""
    hits = [a for a in analyses if a.data == "change"]
    if not hits:
        return []
    return [
        Finding(
            code="single-arm-before-after",
            severity="departure",
            title="Single-arm before-after differences pooled as if they were treatment effects",
            detail=(
                "These analyses pool the change from baseline within the treated arm of each "
                "study. A change from baseline includes regression to the mean, natural "
                "history and placebo response, so it does not estimate what the treatment adds; "
                "where a study had a control arm its comparison is discarded. Read the pooled "
                "changes as descriptive, not as effects of the intervention. Analyses: "
                + "; ".join(_name(a) for a in hits)
                + "."
            ),
            analyses=tuple(a.id for a in hits),
            guidance="Cuijpers et al., Epidemiol Psychiatr Sci 2017; Cochrane Handbook 6.4, 10.5",
        )
    ]


def few_studies_rule(analyses: Sequence[AnalysisRun]) -> list[Finding]:
    """Too few studies to estimate the between-study variance (or to pool at all)."""
    out = []
    single = [a for a in analyses if a.fixed.k == 1]
    if single:
        out.append(
            Finding(
                code="single-study",
                severity="caution",
                title="One study per analysis: nothing is pooled",
                detail=(
                    "With one study the 'pooled' result is that study's own estimate; fixed and "
                    "random effects coincide, heterogeneity cannot be assessed, and the result "
                    "has not been replicated. Analyses: "
                    + "; ".join(_name(a) for a in single)
                    + "."
                ),
                analyses=tuple(a.id for a in single),
                guidance="Cochrane Handbook 6.4, 10.10.4.1",
            )
        )
    hits = [a for a in analyses if 1 < a.fixed.k < FEW_STUDIES]
    if hits:
        smallest = min(a.fixed.k for a in hits)
        out.append(
            Finding(
                code="few-studies",
                severity="caution",
                title=f"Few studies: as few as {smallest} in one pooled analysis",
                detail=(
                    f"With fewer than {FEW_STUDIES} studies the between-study variance is "
                    "estimated very imprecisely, and with 2 studies a pooled estimate says little "
                    "about the range of true effects. The Hartung-Knapp adjustment (test='knha') "
                    "gives more honest intervals, or the studies can be described without "
                    "pooling. Analyses: " + "; ".join(_few_line(a) for a in hits) + "."
                ),
                analyses=tuple(a.id for a in hits),
                guidance=(
                    "Cochrane Handbook 6.4, 10.10.4.1; IntHout et al., BMC Med Res Methodol 2014"
                ),
            )
        )
    return out


def _few_line(a: AnalysisRun) -> str:
    line = f"{_name(a)} (k = {a.fixed.k})"
    if a.knha is not None:
        line += f", Hartung-Knapp {_est(a.knha)}"
    return line


def small_study_rule(analyses: Sequence[AnalysisRun]) -> list[Finding]:
    """Egger's test and funnel plots are not interpretable with fewer than 10 studies."""
    hits = [a for a in analyses if a.fixed.k < EGGER_MIN_K]
    if not hits:
        return []
    largest = max(a.fixed.k for a in hits)
    return [
        Finding(
            code="egger-not-applicable",
            severity="note",
            title=(
                f"Egger's test not applicable: at most {largest} "
                f"stud{'y' if largest == 1 else 'ies'} per analysis"
            ),
            detail=(
                f"Tests for funnel-plot asymmetry need at least {EGGER_MIN_K} studies; with "
                "fewer they have too little power to rule out small-study effects or "
                "publication bias, so none is reported. Publication bias remains unassessed."
            ),
            analyses=tuple(a.id for a in hits),
            guidance="Sterne et al., BMJ 2011;343:d4002",
        )
    ]


def prediction_rule(analyses: Sequence[AnalysisRun]) -> list[Finding]:
    """Prediction intervals that cross the null while the confidence interval does not."""
    hits = []
    for a in analyses:
        r = a.random
        if r.pi_lower is None or r.pi_upper is None or r.tau2 <= 0 or r.k < 3:
            continue
        null = 0.0
        if (r.ci_lower > null or r.ci_upper < null) and r.pi_lower <= null <= r.pi_upper:
            hits.append(a)
    if not hits:
        return []
    return [
        Finding(
            code="prediction-interval-includes-null",
            severity="caution",
            title="The effect in a new setting could be null",
            detail=(
                "The random-effects prediction interval, the range in which the true effect of "
                "a new study is expected to lie, includes no effect although the confidence "
                "interval of the mean does not: "
                + "; ".join(
                    f"{_name(a)}: {a.random.level:g} % prediction interval "
                    f"{fmt_ci(a.random.pi_lower, a.random.pi_upper)}"
                    for a in hits
                )
                + "."
            ),
            analyses=tuple(a.id for a in hits),
            guidance="Riley et al., BMJ 2011;342:d549",
        )
    ]


def leave_one_out_rule(analyses: Sequence[AnalysisRun]) -> list[Finding]:
    """Whether one study explains the heterogeneity (random effects refitted without each)."""
    out = []
    for a in analyses:
        loo = a.leave1out
        if loo is None or a.random.I2 < SUBSTANTIAL_I2:
            continue
        i2 = [float(x) for x in loo.I2]
        est = [float(x) for x in loo.estimate]
        lo, hi = reporting_scale(a.measure, (min(est), max(est)))
        spread = f"the pooled estimate ranges from {fmt_num(lo)} to {fmt_num(hi)}"
        drops = [i for i, v in enumerate(i2) if v < SUBSTANTIAL_I2]
        if drops:
            who = ", ".join(str(loo.slab[i]) for i in drops)
            out.append(
                Finding(
                    code="one-study-explains-heterogeneity",
                    severity="caution",
                    title=f"{_name(a)}: leaving out {who} removes most of the heterogeneity",
                    detail=(
                        f"Without {who}, I² falls below {SUBSTANTIAL_I2:g} %; {spread}. "
                        "Look for what sets that study apart (population, dose, outcome "
                        "measure) before pooling it with the others."
                    ),
                    analyses=(a.id,),
                    guidance="Viechtbauer & Cheung, Res Synth Methods 2010 (influence)",
                )
            )
        else:
            out.append(
                Finding(
                    code="heterogeneity-not-one-study",
                    severity="note",
                    title=f"{_name(a)}: no single study explains the heterogeneity",
                    detail=(
                        f"Leaving out each study in turn, I² stays between {min(i2):.1f} and "
                        f"{max(i2):.1f} % and {spread} (random effects, {a.random.method}). "
                        "The studies differ among themselves; a pooled mean describes no one "
                        "of them well."
                    ),
                    analyses=(a.id,),
                    guidance="Viechtbauer & Cheung, Res Synth Methods 2010 (influence)",
                )
            )
    return out


def printed_consistency_rule(
    analyses: Sequence[AnalysisRun], printed: Sequence[PrintedHeterogeneity]
) -> list[Finding]:
    """Printed Q and p-values that contradict each other, compared with the recomputed Q."""
    by_id = {a.id: a for a in analyses}
    out = []
    for pr in printed:
        p_of_q = float(_st.chi2.sf(pr.Q, pr.df))
        if abs(round(p_of_q, 3) - pr.p) < 0.0015:
            continue
        q_of_p = float(_st.chi2.isf(pr.p, pr.df))
        a = by_id.get(pr.analysis_id)
        recomputed = (
            f" Recomputed from the printed per-study values, Q = {a.fixed.Q:.2f} "
            f"(p = {a.fixed.Q_p:.3f})."
            if a is not None
            else ""
        )
        name = _name(a) if a is not None else pr.analysis_id
        out.append(
            Finding(
                code="printed-q-p-inconsistent",
                severity="note",
                title=f"Printed heterogeneity statistics disagree in {name}",
                detail=(
                    f"The source prints Q = {pr.Q:g} on {pr.df} df with p = {pr.p:g}, but "
                    f"Q = {pr.Q:g} gives p = {p_of_q:.3f}; p = {pr.p:g} belongs to "
                    f"Q = {q_of_p:.2f}." + recomputed
                ),
                analyses=(pr.analysis_id,),
                guidance="chi-squared distribution of Cochran's Q on k - 1 df",
            )
        )
    return out


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def methods_check(
    analyses: Sequence[AnalysisRun], printed: Sequence[PrintedHeterogeneity] = ()
) -> tuple[Finding, ...]:
    """All findings of the methods check, the departures first.

    Parameters
    ----------
    analyses : sequence of AnalysisRun
        The fitted analyses of the run.
    printed : sequence of PrintedHeterogeneity, optional
        Heterogeneity statistics as a source publication printed them.

    Returns
    -------
    tuple of Finding
        Ordered by severity (departure, caution, note), then by rule.
    """
    findings = [
        *heterogeneity_rule(analyses),
        *random_effects_rule(analyses),
        *single_arm_rule(analyses),
        *few_studies_rule(analyses),
        *prediction_rule(analyses),
        *leave_one_out_rule(analyses),
        *small_study_rule(analyses),
        *printed_consistency_rule(analyses, printed),
    ]
    order = {"departure": 0, "caution": 1, "note": 2}
    return tuple(sorted(findings, key=lambda f: order[f.severity]))
