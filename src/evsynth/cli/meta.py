"""``evsynth meta``: pool the effect sizes of a CSV file, as metafor's ``escalc`` + ``rma``.

Start-up is kept light on purpose: this module imports only click at load time; numpy, scipy
and pandas are imported when the command runs, and matplotlib only when a plot is asked for.
(A single analysis, process start included, must be no slower than ``Rscript`` with metafor.)
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from evsynth.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from evsynth.stats.bias import RankTestResult, RegtestResult, TrimFillResult
    from evsynth.stats.escalc import EffectSizes
    from evsynth.stats.regression import SubgroupResult
    from evsynth.stats.results import RMAResult

#: Egger's test is reported only from this many studies on (Sterne et al. 2011).
EGGER_MIN_K = 10


@dataclass(frozen=True)
class Analysis:
    """Everything ``evsynth meta`` reports: the model, the bias diagnostics and the warnings."""

    result: RMAResult
    egger: RegtestResult | None = None
    begg: RankTestResult | None = None
    trimfill: TrimFillResult | None = None
    warnings: tuple[str, ...] = field(default=())
    subgroups: SubgroupResult | None = None
    subgroup_column: str | None = None


@click.command(name="meta")
@click.argument("data", type=click.Path(dir_okay=True, path_type=Path))
@click.option(
    "--measure",
    default=None,
    metavar="M",
    help="metafor measure code (MD, SMD, MC, RR, OR, RD, PR, PLO, ZCOR, GEN, ...); "
    "inferred from the columns when omitted.",
)
@click.option(
    "--method",
    default="REML",
    show_default=True,
    metavar="X",
    help="FE, DL, HE, HS, SJ, ML, REML, EB, PM; MH or PETO for 2x2 tables.",
)
@click.option(
    "--test",
    type=click.Choice(["z", "knha"], case_sensitive=False),
    default="z",
    show_default=True,
    help="z, or knha for the Knapp-Hartung adjustment.",
)
@click.option(
    "--level", type=float, default=95.0, show_default=True, help="Confidence level (percent)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "text"], case_sensitive=False),
    default="text",
    show_default=True,
    help="json (the fields of DESIGN.md) or text (a methods-and-results paragraph).",
)
@click.option(
    "--forest",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a forest plot (.svg, .png at 300 dpi, or .pdf).",
)
@click.option(
    "--funnel",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a contour-enhanced funnel plot (.svg, .png or .pdf).",
)
@click.option(
    "--bias",
    is_flag=True,
    help="Also run Egger's and Begg's tests and trim-and-fill at any k (with warnings below "
    "10 studies); the funnel plot then shows the filled studies.",
)
@click.option(
    "--strict-optimum",
    is_flag=True,
    help="Report the true optimum of ML/REML/EB/PM where metafor's stopping rule misses it "
    "(by default metafor's number, with a warning giving the optimum).",
)
@click.option(
    "--subgroup",
    default=None,
    metavar="COLUMN",
    help="Pool the studies separately by the values of this column and test the difference "
    "between subgroups (RevMan's Q between; the forest plot shows the subgroups).",
)
@click.option(
    "--pre-post-r",
    type=float,
    default=None,
    help="Pre-post correlation for MC/SMCC/SMCR when the file has no ri column.",
)
def meta(
    data: Path,
    measure: str | None,
    method: str,
    test: str,
    level: float,
    fmt: str,
    forest: Path | None,
    funnel: Path | None,
    bias: bool,
    strict_optimum: bool,
    subgroup: str | None,
    pre_post_r: float | None,
) -> None:
    """Pool the effect sizes in DATA.csv (columns named as metafor's escalc arguments)."""
    from evsynth.report.figures._style import figure_format

    # Check the plot file names before any work, so that a bad one leaves nothing behind.
    if forest is not None and funnel is not None and forest.resolve() == funnel.resolve():
        raise InputError("--forest and --funnel name the same file", file=forest)
    plot_formats = {path: figure_format(path) for path in (forest, funnel) if path is not None}
    analysis = analyse(
        data,
        measure,
        method,
        test,
        level,
        pre_post_r,
        bias=bias,
        subgroup=subgroup,
        strict_optimum=strict_optimum,
    )
    text = (
        json.dumps(to_json(analysis, data), indent=2, allow_nan=False)
        if fmt.lower() == "json"
        else to_text(analysis, data)
    )
    if plot_formats:
        _write_plots(analysis, forest, funnel, plot_formats)
    click.echo(text)


def analyse(
    data: Path,
    measure: str | None,
    method: str,
    test: str,
    level: float,
    pre_post_r: float | None = None,
    *,
    bias: bool = False,
    subgroup: str | None = None,
    strict_optimum: bool = False,
) -> Analysis:
    """Read the table, fit the model, run Egger's test when k >= 10 (and, with ``bias``, all
    bias diagnostics at any k); collect the warnings."""
    import numpy as np

    from evsynth.dataio.effects import read_effect_table
    from evsynth.stats.models import rma

    # rma, rma_mh and rma_peto check method, test and level with messages naming what is allowed.
    method_code = method.upper()
    test = test.lower()
    es, table = read_effect_table(data, measure, pre_post_r=pre_post_r)
    warnings: list[str] = []
    keep = np.isfinite(es.yi) & np.isfinite(es.vi)
    labels = es.labels()
    # Mantel-Haenszel and Peto pool the 2x2 tables themselves, keeping every study.
    if not keep.all() and method_code not in {"MH", "PETO"}:
        dropped = [labels[i] for i in np.flatnonzero(~keep)]
        warnings.append(
            f"{len(dropped)} stud{'y' if len(dropped) == 1 else 'ies'} without an estimable "
            f"effect size omitted: {', '.join(dropped)}."
        )
    if not keep.any() and method_code not in {"MH", "PETO"}:
        raise InputError("no study has an estimable effect size", file=str(data))
    if method_code in {"MH", "PETO"}:
        res = _binary_model(es, method_code, level, data)
        if test == "knha":
            warnings.append("The Knapp-Hartung adjustment does not apply to MH or Peto models.")
    else:
        ni = es.ni[keep] if es.ni is not None else None
        res = rma(
            es.yi[keep],
            es.vi[keep],
            method=method_code,
            test=test,
            level=level,
            slab=[labels[i] for i in np.flatnonzero(keep)],
            measure=es.measure,
            ni=ni,
            control={"strict_optimum": True} if strict_optimum else None,
        )
    warnings = [*res.warnings, *warnings]
    if subgroup is not None:
        if method_code in {"MH", "PETO"}:
            raise InputError(
                f"--subgroup pools each subgroup with rma; it is not available with {method_code}",
                column="method",
            )
        groups = _subgroup_values(table, subgroup, str(data))[keep]
        sg = _subgroups(res, groups)
        analysis = _main_diagnostics(res, warnings, bias)
        return replace(analysis, subgroups=sg, subgroup_column=subgroup)
    return _main_diagnostics(res, warnings, bias)


def _main_diagnostics(res: RMAResult, warnings: list[str], bias: bool) -> Analysis:
    """Egger's test from k = 10, or every bias diagnostic with ``--bias``."""
    if bias:
        return _with_bias_diagnostics(res, warnings)
    egger = None
    if res.k >= EGGER_MIN_K:
        egger = _attempt("Egger's test", lambda: _egger(res), warnings)
    elif res.k > 1:
        warnings.append(
            f"Publication bias was not assessed: with fewer than 10 studies (k = {res.k}) "
            "funnel-plot asymmetry tests such as Egger's have low power (Sterne et al. 2011)."
        )
    return Analysis(res, egger=egger, warnings=tuple(warnings))


def _subgroup_values(table: pd.DataFrame, name: str, file: str) -> Any:
    """The subgroup of every row, as text; a missing column or a blank cell is an InputError."""
    import numpy as np

    columns = {str(c).lower(): str(c) for c in table.columns}
    column = columns.get(name.lower())
    if column is None:
        raise InputError(
            f"no subgroup column '{name}'; the columns are {', '.join(map(str, table.columns))}",
            file=file,
            row=1,
            column=name,
        )
    values = []
    for line, cell in zip(table.index, table[column], strict=True):
        text = "" if cell is None else (f"{cell:g}" if isinstance(cell, float) else str(cell))
        if text.strip() in {"", "nan"}:
            raise InputError("the subgroup is missing", file=file, row=int(line), column=column)
        values.append(text.strip())
    return np.array(values, dtype=object)


def _subgroups(res: RMAResult, groups: Any) -> SubgroupResult:
    from evsynth.stats.regression import subgroups

    return subgroups(
        res.yi,
        res.vi,
        list(groups),
        method=res.method,
        test=res.test,
        level=res.level,
        slab=res.slab,
        measure=res.measure,
    )


def _egger(res: RMAResult) -> RegtestResult:
    from evsynth.stats.bias import regtest

    return regtest(res)


def _with_bias_diagnostics(res: RMAResult, warnings: list[str]) -> Analysis:
    """Egger's and Begg's tests and trim-and-fill; one that cannot run becomes a warning."""
    from evsynth.stats.bias import ranktest, trimfill

    egger = _attempt("Egger's test", lambda: _egger(res), warnings)
    begg = _attempt("Begg's test", lambda: ranktest(res), warnings)
    tf = _attempt("Trim-and-fill", lambda: trimfill(res), warnings)
    for extra in (egger, begg):
        if extra is not None:
            warnings.extend(w for w in extra.warnings if w not in warnings)
    if tf is not None:
        warnings.extend(tf.warnings)
    return Analysis(res, egger=egger, begg=begg, trimfill=tf, warnings=tuple(warnings))


def _attempt(name: str, run: Any, warnings: list[str]) -> Any:
    """Run a diagnostic; when the data cannot support it, say why instead of failing."""
    try:
        return run()
    except InputError as exc:
        reason = exc.message.rstrip(".")
        warnings.append(f"{name} was not run: {reason}.")
        return None


def _binary_model(es: EffectSizes, method: str, level: float, data: Path) -> RMAResult:
    from evsynth.stats.models import rma_mh, rma_peto

    if es.ai is None or es.bi is None or es.ci is None or es.di is None:
        raise InputError(
            f"--method {method} needs 2x2 counts (columns ai bi ci di, or ai n1i ci n2i)",
            file=str(data),
        )
    if method == "MH":
        return rma_mh(es.ai, es.bi, es.ci, es.di, measure=es.measure, level=level, slab=es.slab)
    if es.measure != "OR":
        raise InputError(f"--method PETO pools odds ratios, not {es.measure}", file=str(data))
    return rma_peto(es.ai, es.bi, es.ci, es.di, level=level, slab=es.slab)


def to_json(analysis: Analysis, data: Path) -> dict[str, Any]:
    """The JSON of ``evsynth meta``: the model's fields, the bias diagnostics, the warnings."""
    payload: dict[str, Any] = {"file": str(data)}
    payload.update(analysis.result.to_dict())
    payload["egger"] = analysis.egger.to_dict() if analysis.egger is not None else None
    if analysis.begg is not None:
        payload["begg"] = analysis.begg.to_dict()
    if analysis.trimfill is not None:
        payload["trimfill"] = analysis.trimfill.to_dict()
    if analysis.subgroups is not None:
        payload["subgroups"] = _subgroups_json(analysis.subgroups, analysis.subgroup_column)
    payload["warnings"] = list(analysis.warnings)
    return payload


def _subgroups_json(sg: SubgroupResult, column: str | None) -> dict[str, Any]:
    def clean(x: float) -> float | None:
        return float(x) if math.isfinite(float(x)) else None

    return {
        "column": column,
        "groups": [
            {
                "name": name,
                "k": fit.k,
                "estimate": clean(fit.estimate),
                "se": clean(fit.se),
                "ci_lower": clean(fit.ci_lower),
                "ci_upper": clean(fit.ci_upper),
                "tau2": clean(fit.tau2),
                "I2": clean(fit.I2),
                "Q": clean(fit.Q),
                "Q_p": clean(fit.Q_p),
                "studies": list(fit.slab),
            }
            for name, fit in zip(sg.levels, sg.fits, strict=True)
        ],
        "Q_between": clean(sg.Q_between),
        "Q_between_df": sg.Q_between_df,
        "Q_between_p": clean(sg.Q_between_p),
        "QM": clean(sg.QM),
        "QM_p": clean(sg.QM_p),
    }


# ---------------------------------------------------------------------- text report
def to_text(analysis: Analysis, data: Path) -> str:
    """A methods-and-results paragraph, a per-study table and the warnings."""
    res, egger, warnings = analysis.result, analysis.egger, analysis.warnings
    from evsynth.report.figures._style import (
        ANALYSIS_SCALES,
        NULL_VALUE_MEASURES,
        back_transformer,
        effect_label,
        is_back_transformed,
    )

    ni = getattr(res, "ni", None)
    back = back_transformer(res.measure, ni)
    heading = effect_label(res.measure, ni)
    label = heading if heading.startswith("Freeman") else heading.lower()
    transformed = is_back_transformed(res.measure, ni)
    scale_name = ANALYSIS_SCALES.get(res.measure.upper(), "")
    lv = f"{res.level:g}%"
    fixed = res.method in {"FE", "EE", "CE", "MH", "PETO"}

    model = {
        "MH": "a fixed-effect Mantel-Haenszel model",
        "PETO": "Peto's one-step fixed-effect model",
    }.get(res.method)
    if model is None:
        model = (
            "a fixed-effect (inverse-variance) model"
            if fixed
            else f"a random-effects model with the {_ESTIMATORS.get(res.method, res.method)} "
            "estimator of the between-study variance (tau²)"
        )
    test = (
        f"Knapp-Hartung adjusted t tests ({res.k - 1} df)"
        if res.test == "knha"
        else "Wald-type z tests"
    )
    scale = f" on the {scale_name} scale" if transformed else ""
    methods = (
        f"Methods. {res.k} {'study was' if res.k == 1 else 'studies were'} analysed{scale} "
        f"({res.measure}, {label}) with {model}, {test} and {lv} confidence intervals"
        f"{'' if fixed else ', with a ' + lv + ' prediction interval'}. Data: {data.name}."
    )

    stat = "t" if res.test == "knha" else "z"
    est = _fmt(back(res.estimate))
    ci = f"{_fmt(back(res.ci_lower))} to {_fmt(back(res.ci_upper))}"
    # The test against 0 means "no effect" only for differences, ratios and correlations; for
    # a proportion it would test p = 0 (or a logit of 0), so it is not reported in words.
    test_text = (
        f"; {stat} = {res.statistic:.2f}, {_p(res.p_value)}"
        if res.measure.upper() in NULL_VALUE_MEASURES
        else ""
    )
    results = f"Results. Pooled {label}: {est} ({lv} CI {ci}{test_text})"
    if transformed:
        results += f"; {scale_name} scale {res.estimate:.4f} (SE {res.se:.4f})"
    else:
        results += f"; SE {res.se:.4f}"
    results += "."
    if not fixed and math.isfinite(res.pi_lower):
        results += (
            f" {lv} prediction interval for the effect in a new study: "
            f"{_fmt(back(res.pi_lower))} to {_fmt(back(res.pi_upper))}."
        )
    if res.k > 1:
        het = (
            f" Heterogeneity: Q = {res.Q:.2f} (df = {res.Q_df}, {_p(res.Q_p)}), "
            f"I² = {res.I2:.1f}%{_ci(res.I2_ci, '%', 1)}"
        )
        if not fixed:
            het += f", tau² = {_fmt(res.tau2)}{_ci(res.tau2_ci, '', None)}, tau = {_fmt(res.tau)}"
        results += het + "."
    if egger is not None:
        stat_name = "t" if math.isfinite(egger.df) else "z"
        results += (
            f" Egger's regression test for funnel-plot asymmetry: "
            f"{stat_name} = {egger.statistic:.2f}, {_p(egger.p_value)}."
            if math.isfinite(egger.statistic)
            else " Egger's regression test is undefined for these data."
        )
    if analysis.begg is not None:
        begg = analysis.begg
        results += (
            f" Begg's rank correlation test: Kendall's tau = {begg.tau:.3f}, {_p(begg.p_value)}."
            if math.isfinite(begg.tau)
            else " Begg's rank correlation test is undefined for these data."
        )
    tf = analysis.trimfill
    if tf is not None:
        results += (
            f" Trim-and-fill ({tf.estimator}) estimated {tf.k0} missing "
            f"stud{'y' if tf.k0 == 1 else 'ies'} on the {tf.side} side"
        )
        if tf.k0:
            f = tf.fit
            results += (
                f"; with them filled in, the pooled {label} would be {_fmt(back(f.estimate))} "
                f"({lv} CI {_fmt(back(f.ci_lower))} to {_fmt(back(f.ci_upper))})"
            )
        results += "."

    sg = analysis.subgroups
    if sg is not None:
        parts = [
            f"{name} (k = {fit.k}): {_fmt(back(fit.estimate))} "
            f"({lv} CI {_fmt(back(fit.ci_lower))} to {_fmt(back(fit.ci_upper))})"
            for name, fit in zip(sg.levels, sg.fits, strict=True)
        ]
        results += (
            f" Subgroups by {analysis.subgroup_column}: {'; '.join(parts)}. Test for subgroup "
            f"differences: Q = {sg.Q_between:.2f} (df = {sg.Q_between_df}, "
            f"{_p(sg.Q_between_p)})."
        )

    lines = [_wrap(methods), "", _wrap(results), ""]
    lines.extend(_study_table(res, back, ni))
    if warnings:
        lines.append("")
        lines.append("Warnings:")
        lines.extend(_wrap(f"- {w}", indent="  ") for w in warnings)
    return "\n".join(lines)


_ESTIMATORS = {
    "DL": "DerSimonian-Laird",
    "HE": "Hedges",
    "HS": "Hunter-Schmidt",
    "SJ": "Sidik-Jonkman",
    "ML": "maximum-likelihood",
    "REML": "restricted maximum-likelihood (REML)",
    "EB": "empirical Bayes",
    "PM": "Paule-Mandel",
}


def _study_table(res: RMAResult, back: Any, ni: Any) -> list[str]:
    from statistics import NormalDist

    from evsynth.report.figures._style import back_transformer

    z = NormalDist().inv_cdf(1.0 - (1.0 - res.level / 100.0) / 2.0)
    names = list(res.slab)
    width = max([len(n) for n in names] + [5])
    head = f"{'Study':<{width}}  {'Estimate':>9}  {f'{res.level:g}% CI':>21}  {'Weight':>7}"
    out = [head, "-" * len(head)]
    sizes = [math.nan] * len(names) if ni is None else [float(n) for n in ni]
    for name, y, v, w, n in zip(names, res.yi, res.vi, res.weights, sizes, strict=True):
        # Freeman-Tukey values go back with each study's own n (its own proportion)
        b = back_transformer("PFT", [n]) if res.measure == "PFT" and math.isfinite(n) else back
        s = math.sqrt(float(v))
        ci = f"[{_fmt(b(y - z * s))}, {_fmt(b(y + z * s))}]"
        out.append(f"{name:<{width}}  {_fmt(b(float(y))):>9}  {ci:>21}  {float(w):6.1f}%")
    pooled = f"[{_fmt(back(res.ci_lower))}, {_fmt(back(res.ci_upper))}]"
    out.append("-" * len(head))
    out.append(f"{'Pooled':<{width}}  {_fmt(back(res.estimate)):>9}  {pooled:>21}  {100.0:6.1f}%")
    return out


def _fmt(x: float) -> str:
    """Three decimals, or three significant figures for small values."""
    if not math.isfinite(x):
        return "NA"
    if x == 0:
        return "0"
    return f"{x:.3f}" if abs(x) >= 0.1 else f"{x:.3g}"


def _p(p: float) -> str:
    if not math.isfinite(p):
        return "p = NA"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _ci(interval: Any, unit: str, digits: int | None) -> str:
    if interval is None:
        return ""
    lo, hi = float(interval.ci_lower), float(interval.ci_upper)
    if digits is None:
        return f" (CI {_fmt(lo)} to {_fmt(hi)})"
    return f" (CI {lo:.{digits}f}{unit} to {hi:.{digits}f}{unit})"


def _wrap(text: str, indent: str = "") -> str:
    import textwrap

    return textwrap.fill(text, width=92, subsequent_indent=indent, break_on_hyphens=False)


# ---------------------------------------------------------------------- plots
def _write_plots(
    analysis: Analysis, forest: Path | None, funnel: Path | None, formats: dict[Path, str]
) -> None:
    """Render every plot in memory first, then write them, so a failure leaves no file."""
    import matplotlib

    matplotlib.use("Agg")
    from evsynth.fileio import write_bytes_atomic
    from evsynth.report.figures._style import figure_bytes
    from evsynth.report.figures.forest import forest_plot
    from evsynth.report.figures.funnel import funnel_plot

    res = analysis.result
    rendered: list[tuple[Path, bytes]] = []
    if forest is not None:
        sg = analysis.subgroups
        if sg is not None:
            fig = forest_plot(
                res,
                subgroups=list(zip(sg.levels, sg.fits, strict=True)),
                subgroup_test=(sg.Q_between, float(sg.Q_between_df), sg.Q_between_p),
            )
        else:
            fig = forest_plot(res)
        rendered.append((forest, figure_bytes(fig, formats[forest])))
    if funnel is not None:
        shown = analysis.trimfill if analysis.trimfill is not None else res
        fig = funnel_plot(shown, contours=(90.0, 95.0, 99.0))
        rendered.append((funnel, figure_bytes(fig, formats[funnel])))
    for path, payload in rendered:
        write_bytes_atomic(path, payload)
