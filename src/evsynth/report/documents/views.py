"""View models: the rows and sentences the documents print, formatted once from a ReviewRun.

The three documents (HTML report, DOCX report, brief, summary) share these, so a number reads the
same everywhere. Formatting only; every value comes from the run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from evsynth.report.documents._env import fmt_ci, fmt_num, fmt_p
from evsynth.review.scale import RATIO_MEASURES, reporting_scale

if TYPE_CHECKING:
    from evsynth.review.model import AnalysisRun, ReviewRun
    from evsynth.stats.results import RMAResult

MEASURE_LABELS = {
    "MD": "mean difference",
    "SMD": "standardised mean difference",
    "MC": "mean change",
    "SMCC": "standardised mean change",
    "RR": "risk ratio",
    "OR": "odds ratio",
    "RD": "risk difference",
    "GEN": "difference in means (change from baseline)",
    "PR": "proportion",
}
METHOD_LABELS = {
    "FE": "Fixed effect (inverse variance)",
    "MH": "Fixed effect (Mantel-Haenszel)",
    "PETO": "Fixed effect (Peto)",
    "DL": "Random effects (DerSimonian-Laird)",
    "REML": "Random effects (REML)",
    "PM": "Random effects (Paule-Mandel)",
    "ML": "Random effects (ML)",
    "HE": "Random effects (Hedges)",
    "HS": "Random effects (Hunter-Schmidt)",
    "SJ": "Random effects (Sidik-Jonkman)",
    "EB": "Random effects (empirical Bayes)",
}
DESIGN_LABELS = {"rct": "Randomized controlled trial", "nonrandomized": "Nonrandomized"}

PRISMA_LABELS = (
    ("duplicates_removed", "Duplicate records removed"),
    ("automation_removed", "Records marked ineligible by automation tools"),
    ("other_removed", "Records removed for other reasons"),
    ("records_awaiting_screening", "Records awaiting screening"),
    ("records_screened", "Records screened"),
    ("records_excluded", "Records excluded"),
    ("reports_sought", "Reports sought for retrieval"),
    ("reports_not_retrieved", "Reports not retrieved"),
    ("reports_assessed", "Reports assessed for eligibility"),
)


# Decimals of effects and intervals in the documents, as journals print them (results.json keeps
# full precision).
DIGITS = 2
FIXED_METHODS = ("FE", "EE", "CE", "MH", "PETO")


def measure_label(measure: str, data: str = "") -> str:
    """The effect measure in words ('risk ratio'); single-arm change says so."""
    if data == "change":
        return "difference in means, change from baseline (single arm)"
    return MEASURE_LABELS.get(measure.upper(), measure)


def model_label(r: RMAResult) -> str:
    """'Random effects (REML), Hartung-Knapp' and the like."""
    label = METHOD_LABELS.get(r.method, r.method)
    return label + (", Hartung-Knapp" if r.test == "knha" else "")


def effect_text(r: RMAResult, digits: int = DIGITS) -> str:
    """'2.63 (95 % CI 1.50 to 3.76)' on the reporting scale."""
    est, lo, hi = reporting_scale(r.measure, (r.estimate, r.ci_lower, r.ci_upper))
    name = MEASURE_LABELS.get(r.measure.upper(), r.measure)
    prefix = f"{name.split(' (')[0]} " if r.measure.upper() in RATIO_MEASURES else ""
    return f"{prefix}{fmt_num(est, digits)} ({r.level:g} % CI {fmt_ci(lo, hi, digits)})"


@dataclass(frozen=True)
class ModelRow:
    """One row of the fixed/random results table, formatted."""

    label: str
    estimate: str
    ci: str
    p: str
    pi: str
    tau2: str
    I2: str
    Q: str


def model_row(r: RMAResult) -> ModelRow:
    """The results-table row of one fitted model, on the reporting scale."""
    d = DIGITS
    fixed = r.method in FIXED_METHODS
    label = model_label(r)
    if r.k == 1 and not fixed:
        label += ": one study, same as fixed effect"
    est, lo, hi, plo, phi = reporting_scale(
        r.measure, (r.estimate, r.ci_lower, r.ci_upper, r.pi_lower, r.pi_upper)
    )
    return ModelRow(
        label=label,
        estimate=fmt_num(est, d),
        ci=fmt_ci(lo, hi, d),
        p=fmt_p(r.p_value),
        pi="–" if fixed else fmt_ci(plo, phi, d),
        tau2="–" if fixed else fmt_num(r.tau2, 3),
        # With one study there is no heterogeneity to measure.
        I2=f"{fmt_num(r.I2, 1)} %" if r.Q_df > 0 else "–",
        Q=f"{fmt_num(r.Q, 2)} ({r.Q_df}), {fmt_p(r.Q_p)}" if r.Q_df > 0 else "–",
    )


def printed_estimate(run: ReviewRun, analysis_id: str, model: str) -> str | None:
    """The pooled estimate a source publication printed for this analysis and model, if any."""
    for r in run.reproduction:
        if r.analysis == analysis_id and r.model == model and r.statistic == "estimate":
            return r.printed_text
    return None


def random_effects_statement(a: AnalysisRun, printed: str | None = None) -> str | None:
    """The plain statement the report must make when random effects changes a result.

    ``printed`` is the fixed-effect estimate as the source publication printed it.
    """
    if not a.changes_result:
        return None
    ref = f" ({a.reference})" if a.reference else ""
    source = f"; the source prints {printed}" if printed else ""
    return (
        f"Random effects changes this result{ref}: {effect_text(a.random)} with random effects "
        f"({a.random.method}, tau² = {a.random.tau2:.3f}) against "
        f"{effect_text(a.fixed)} with the fixed-effect model{source}."
    )


def study_rows(a: AnalysisRun) -> list[dict[str, str]]:
    """Each study's effect with its CI and its weights in the two models."""
    d = DIGITS
    rows = []
    crit = _z(a.fixed.level)
    for i, label in enumerate(a.fixed.slab):
        yi = float(a.fixed.yi[i])
        se = math.sqrt(float(a.fixed.vi[i]))
        est, lo, hi = reporting_scale(a.measure, (yi, yi - crit * se, yi + crit * se))
        w_r = float(a.random.weights[i]) if i < len(a.random.weights) else math.nan
        rows.append(
            {
                "label": str(label),
                "estimate": fmt_num(est, d),
                "ci": fmt_ci(lo, hi, d),
                "w_fixed": f"{fmt_num(a.fixed.weights[i], 1)} %",
                "w_random": f"{fmt_num(w_r, 1)} %",
            }
        )
    return rows


def leave1out_rows(a: AnalysisRun) -> list[dict[str, str]]:
    """The random-effects model without each study in turn."""
    loo = a.leave1out
    if loo is None:
        return []
    rows = []
    for i, label in enumerate(loo.slab):
        est, lo, hi = reporting_scale(
            a.measure, (float(loo.estimate[i]), float(loo.ci_lower[i]), float(loo.ci_upper[i]))
        )
        rows.append(
            {
                "omitted": str(label),
                "estimate": fmt_num(est, DIGITS),
                "ci": fmt_ci(lo, hi, DIGITS),
                "tau2": fmt_num(float(loo.tau2[i]), 3),
                "I2": f"{fmt_num(float(loo.I2[i]), 1)} %",
            }
        )
    return rows


def _z(level: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf(1 - (1 - level / 100) / 2))


def analysis_view(a: AnalysisRun, figure: str | None, printed: str | None = None) -> dict[str, Any]:
    """Everything the report prints about one analysis."""
    return {
        "id": a.id,
        "title": a.title,
        "reference": a.reference,
        "outcome_name": a.outcome_name,
        "timepoint": a.timepoint_months,
        "measure_label": measure_label(a.measure, a.data),
        # Column header of the study table: "Risk ratio", "Difference in means", ...
        "effect_label": measure_label(a.measure, a.data).split(",")[0].capitalize(),
        "k": a.fixed.k,
        "participants": a.participants,
        "note": a.note,
        "level": a.fixed.level,
        "figure": figure,
        "models": [model_row(a.fixed), model_row(a.random)]
        + ([model_row(a.knha)] if a.knha is not None else []),
        "statement": random_effects_statement(a, printed),
        "study_rows": study_rows(a),
        "leave1out": leave1out_rows(a),
    }


def prisma_view(prisma: Mapping[str, Any] | None, mapping: tuple[str, ...]) -> dict[str, Any]:
    """Rows of the PRISMA 2020 table from a counts mapping (protocol or screening log)."""
    if not prisma:
        return {}
    rows: list[tuple[str, int]] = []
    for source, n in dict(prisma.get("identified") or {}).items():
        rows.append((f"Records identified: {source}", int(n)))
    other = prisma.get("other_methods") or {}
    other_identified = other.get("identified") or prisma.get("identified_other_methods") or {}
    for source, n in dict(other_identified).items():
        rows.append((f"Records identified by other methods: {source}", int(n)))
    for key, label in PRISMA_LABELS:
        if key.endswith("_awaiting_screening") and not prisma.get(key):
            continue
        if prisma.get(key) is not None:
            rows.append((label, int(prisma[key])))
    for reason, n in dict(prisma.get("reports_excluded") or {}).items():
        rows.append((f"Reports excluded: {reason}", int(n)))
    for key, label in (
        ("studies_included", "Studies included in review"),
        ("reports_included", "Reports of included studies"),
    ):
        if prisma.get(key) is not None:
            rows.append((label, int(prisma[key])))
    total = sum(int(n) for n in dict(prisma.get("identified") or {}).values())
    return {
        "rows": rows,
        "mapping": mapping,
        "identified_total": total,
        "studies_included": prisma.get("studies_included"),
    }


def relevance_view(run: ReviewRun) -> dict[str, Any]:
    """Study-by-time-point table of clinical relevance, with the reasons under each rating."""
    timepoints = sorted({t for r in run.relevance for t in r.by_timepoint})
    terms = ["long-term" if t >= run.long_term_from_months else "short-term" for t in timepoints]
    rows = []
    for r in run.relevance:
        cells = []
        for t in timepoints:
            v = r.by_timepoint.get(t) or "no data"
            detail = r.detail.get(t, "") if v != "no data" else ""
            cells.append({"text": v, "detail": detail, "css": v.replace(" ", "-")})
        rows.append({"label": r.label, "cells": cells})
    return {"timepoints": timepoints, "terms": terms, "rows": rows}


def appraisal_tables(run: ReviewRun) -> list[dict[str, Any]]:
    """One table per instrument: study, score out of the maximum, quality class, note."""
    tables: dict[str, dict[str, Any]] = {}
    for a in run.appraisals:
        t = tables.setdefault(a.instrument, {"name": a.instrument_name, "rows": []})
        score = "–"
        if a.score is not None:
            score = f"{a.score:g}" + (f"/{a.max_score:g}" if a.max_score else "")
        t["rows"].append({"label": a.label, "score": score, "quality": a.quality, "note": a.note})
    return list(tables.values())


def key_findings(run: ReviewRun) -> list[str]:
    """The bullet points at the top of the report: each analysis, then what random effects
    changes."""
    lines = []
    for a in run.analyses:
        ref = f"{a.reference}, " if a.reference else ""
        if a.fixed.k == 1:
            lines.append(f"{a.title} ({ref}one study, nothing pooled): {effect_text(a.fixed)}.")
            continue
        lines.append(
            f"{a.title} ({ref}k = {a.fixed.k}): fixed effect {effect_text(a.fixed)}; "
            f"random effects {effect_text(a.random)}, I² = {a.fixed.I2:.1f} %."
        )
    for a in run.analyses:
        s = random_effects_statement(a, printed_estimate(run, a.id, a.fixed.method))
        if s:
            lines.append(s)
    within = [a.reference or a.title for a in run.analyses if a.data == "change"]
    if within:
        lines.append(
            f"{', '.join(within)} pool changes from baseline within treated groups, not "
            "differences from a control group: they cannot show what the treatment adds "
            "(see the methods check)."
        )
    if run.certainty and len(run.certainty) == len(run.analyses):
        refs = [a.reference for a in run.analyses]
        names = (
            refs if all(refs) and len(set(refs)) == len(refs) else [a.title for a in run.analyses]
        )
        by_level: dict[str, list[str]] = {}
        for name, c in zip(names, run.certainty, strict=True):
            by_level.setdefault(c.certainty, []).append(name)
        lines.append(
            "GRADE certainty: "
            + "; ".join(f"{level} for {', '.join(who)}" for level, who in by_level.items())
            + "."
        )
    reproduced = reproduction_sentence(run)
    if reproduced:
        lines.append(reproduced)
    return lines


def reproduction_sentence(run: ReviewRun) -> str | None:
    """How closely the printed pooled estimates are reproduced, in one sentence."""
    names = {a.id: a.reference or a.title for a in run.analyses}
    exact: list[str] = []
    partial: dict[int, list[str]] = {}
    for r in run.reproduction:
        if r.statistic != "estimate" or r.recomputed is None:
            continue
        if r.agrees:
            exact.append(names.get(r.analysis, r.analysis))
        elif r.agrees_to is not None:
            partial.setdefault(r.agrees_to, []).append(names.get(r.analysis, r.analysis))
    if not exact and not partial:
        return None
    parts = []
    if exact:
        parts.append(f"to the printed rounding for {', '.join(exact)}")
    for d, where in sorted(partial.items(), reverse=True):
        parts.append(f"to {d} decimal{'s' if d != 1 else ''} for {', '.join(where)}")
    return (
        "The pooled estimates the source printed are reproduced from its per-study values "
        + " and ".join(parts)
        + " (printed per-study values are rounded; see the reproduction table)."
    )


STATISTIC_LABELS = {
    "estimate": "estimate",
    "se": "standard error",
    "ci_lower": "CI lower bound",
    "ci_upper": "CI upper bound",
    "statistic": "z",
    "Q": "Q",
    "Q_df": "Q df",
    "Q_p": "p of Q",
    "I2": "I² (%)",
    "tau2": "tau²",
    "tau": "tau",
}


def reproduction_view(run: ReviewRun) -> list[dict[str, str]]:
    """The printed-versus-recomputed table."""
    names = {a.id: a.reference or a.id for a in run.analyses}
    rows = []
    for r in run.reproduction:
        if r.recomputed is None:
            recomputed, agreement = "–", "not recomputed"
        else:
            recomputed = f"{r.recomputed:.{r.printed_decimals + 1}f}"
            if r.agrees:
                agreement = "agrees to the printed rounding"
            elif r.agrees_to is not None:
                agreement = f"agrees to {r.agrees_to} decimal{'s' if r.agrees_to != 1 else ''}"
            else:
                agreement = f"differs by {r.recomputed - r.printed:+.3g}"
        rows.append(
            {
                "analysis": names.get(r.analysis, r.analysis),
                "model": r.model,
                "statistic": STATISTIC_LABELS.get(r.statistic, r.statistic),
                "printed": r.printed_text,
                "recomputed": recomputed,
                "agreement": agreement,
                "css": "positive" if r.agrees else "",
            }
        )
    return rows
