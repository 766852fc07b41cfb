"""Methodological guardrails: the warnings attached to a fitted model (private).

References
----------
Jackson D, Law M, Rücker G, Schwarzer G (2017). The Hartung-Knapp modification for
random-effects meta-analysis: a useful refinement but are there any residual concerns?
Statistics in Medicine 36:3923-3934. doi:10.1002/sim.7411
IntHout J, Ioannidis JPA, Borm GF (2014). The Hartung-Knapp-Sidik-Jonkman method for random
effects meta-analysis is straightforward and considerably outperforms the standard
DerSimonian-Laird method. BMC Medical Research Methodology 14:25. doi:10.1186/1471-2288-14-25
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from evsynth.stats.results import RMAResult, back_transform
from evsynth.stats.tau2 import FIXED_METHODS


def guardrail_warnings(
    res: RMAResult, refit: Callable[[RMAResult, str], RMAResult]
) -> tuple[str, ...]:
    """Plain-sentence warnings a careful statistician would attach to this fit.

    ``refit(res, method)`` refits the same data with another estimator (used to say what a
    random-effects model would have given when a fixed-effect one was chosen).
    """
    out: list[str] = list(res.fit_notes)
    fixed = res.method in FIXED_METHODS
    if res.k == 1:
        out.append(
            "Only one study: there is nothing to pool and no heterogeneity can be estimated; "
            "the result is that study's own estimate."
        )
        return tuple(out)
    if fixed and res.test == "knha":
        out.append(
            "The Knapp-Hartung adjustment is meant for random-effects models, not for a "
            f"{res.method} model."
        )
    if not fixed and res.test == "knha" and res.p == 1 and res.s2w < 1.0 and res.df > 0:
        # Knapp-Hartung rescales the variance by s2w; below 1 its interval can be narrower
        # than the normal-theory one, which Jackson et al. (2017) flag as a residual concern.
        from evsynth.stats import _dist

        level_tail = (1.0 - res.level / 100.0) / 2.0
        se_z = res.se / np.sqrt(res.s2w) if res.s2w > 0 else np.inf
        width_knha = 2.0 * float(_dist.t_isf(level_tail, res.df)) * res.se
        width_z = 2.0 * float(_dist.norm_isf(level_tail)) * float(se_z)
        if width_knha < width_z:
            out.append(
                f"The Knapp-Hartung scale factor is {res.s2w:.3g} (below 1), so its confidence "
                f"interval (width {width_knha:.4g}) is narrower than the normal-theory one "
                f"(width {width_z:.4g}); consider reporting the wider of the two."
            )
    if fixed and res.p == 1 and res.I2 >= 50.0:
        alt = refit(res, "REML")
        out.append(
            f"A fixed-effect model was chosen although I^2 = {res.I2:.1f}% indicates substantial "
            "heterogeneity; the fixed-effect estimate describes these studies only. A "
            f"random-effects model (REML) would give {_describe(alt)} with tau^2 = {alt.tau2:.4g}."
        )
    if not fixed and res.k < 5 and res.test == "z":
        out.append(
            f"Only {res.k} studies in a random-effects model with normal-theory (z) tests: tau^2 "
            "is poorly estimated and the confidence interval is likely too narrow; consider the "
            "Knapp-Hartung adjustment (test='knha')."
        )
    if not fixed and res.tau2 == 0.0:
        out.append(
            f"tau^2 was estimated at its boundary 0 ({res.method}): the random-effects model "
            "reduces to the fixed-effect one here, which does not show that the studies are "
            "homogeneous."
        )
    missed = _missed_optimum(res)
    if missed is not None:
        out.append(missed)
    if not res.converged:
        out.append(
            f"The {res.method} estimate of tau^2 did not converge; treat tau^2 and the pooled "
            "estimate with caution."
        )
    ratio = float(np.max(res.vi) / np.min(res.vi))
    if ratio >= 1e7:
        out.append(
            f"The largest sampling variance is {ratio:.3g} times the smallest; the results may be "
            "numerically unstable."
        )
    return tuple(out)


def _missed_optimum(res: RMAResult) -> str | None:
    """The sentence for an ML/REML/EB/PM estimate that misses its defining equation.

    metafor's stopping rules are absolute (Fisher scoring: a change below 1e-5 in tau^2;
    Paule-Mandel: uniroot within about 1.2e-4), so on data of small scale the estimate can stop
    far from the optimum. evsynth keeps metafor's number and says where the optimum is.
    """
    chk = res.tau2_check
    if chk is None or chk.ok or res.strict_optimum:
        return None
    t, opt = chk.tau2, chk.optimum_tau2
    rerun = (
        "evsynth reports metafor's number; rma(..., control={'strict_optimum': True}) "
        f"reports tau^2 = {opt:.4g} instead."
    )
    if chk.criterion == "score":
        restricted = "restricted " if chk.method == "REML" else ""
        why = (
            "metafor's Fisher scoring stops when tau^2 changes by less than 1e-5 in absolute terms"
        )
        if t == 0.0:
            why += ", and from 0 its first step pointed out of the parameter space"
        gap = chk.optimum_value - chk.value
        return (
            f"The {chk.method} estimate tau^2 = {t:.4g} (log-likelihood {chk.value:.6g}) is not "
            "the "
            f"maximum of the {restricted}likelihood, which is at tau^2 = {opt:.4g} "
            f"(log-likelihood {chk.optimum_value:.6g}, higher by {gap:.3g}): {why}, too coarse "
            f"for data on this scale. {rerun}"
        )
    rule = (
        "metafor's root finder stops within an absolute 1.2e-4 of tau^2"
        if chk.method == "PM"
        else "metafor's Fisher scoring stops when tau^2 changes by less than 1e-5 in absolute terms"
    )
    return (
        f"The {chk.method} estimate tau^2 = {t:.4g} gives Q(tau^2) = {chk.value:.6g} where its "
        f"equation asks for {chk.target:g} (off by {chk.discrepancy:.2%}): {rule}, too coarse for "
        f"data on this scale; the equation is solved by tau^2 = {opt:.4g}. {rerun}"
    )


def _describe(res: RMAResult) -> str:
    bt = back_transform(res.measure, res.estimate, res.ni)
    if bt is not None:
        lo = back_transform(res.measure, res.ci_lower, res.ni)
        hi = back_transform(res.measure, res.ci_upper, res.ni)
        return f"{bt:.4g} ({res.level:g}% CI {lo:.4g} to {hi:.4g}, back-transformed)"
    return f"{res.estimate:.4g} ({res.level:g}% CI {res.ci_lower:.4g} to {res.ci_upper:.4g})"
