"""Leave-one-out and cumulative analysis through the batched kernels.

The same results as :func:`evsynth.stats.influence.leave1out` and ``cumul`` (metafor's
``leave1out`` and ``cumul``), as the same :class:`~evsynth.stats.influence.SequentialFits`, but
from one batched fit of all k subsets instead of k separate fits; useful when k is large or
when many meta-analyses are screened at once.

References
----------
Viechtbauer W, Cheung MW-L (2010). Outlier and influence diagnostics for meta-analysis. Research
Synthesis Methods 1:112-125. doi:10.1002/jrsm.11
Lau J, Antman EM, Jimenez-Silva J, et al. (1992). Cumulative meta-analysis of therapeutic trials
for myocardial infarction. NEJM 327:248-254.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from evsynth.errors import InputError
from evsynth.stats import _dist
from evsynth.stats.influence import SequentialFits
from evsynth.stats.resampling.kernels import BatchFit, fit_batch
from evsynth.stats.results import RMAResult


def _check(res: RMAResult, what: str) -> None:
    if res.method in ("MH", "PETO"):
        raise InputError(f"{what} needs an inverse-variance model (rma)")
    if res.p > 1:
        raise InputError(f"{what} is only defined for models without moderators")
    if res.k < 2:
        raise InputError(f"{what} needs at least two studies")


def sequential_fits(
    kind: str, res: RMAResult, fit: BatchFit, labels: Sequence[str]
) -> SequentialFits:
    """Turn a batch of intercept-only fits into :class:`SequentialFits` at ``res``'s level."""
    crit = fit.critical_value(res.level)
    est, se = fit.estimate, fit.se
    sd_pred = np.sqrt(se**2 + fit.tau2)
    df = fit.k - 1
    with np.errstate(invalid="ignore"):
        q_p = np.where(df > 0, _dist.chi2_sf(fit.Q, np.maximum(df, 1)), 1.0)
    return SequentialFits(
        kind=kind,
        slab=tuple(labels),
        k=fit.k.astype(np.float64),
        estimate=est,
        se=se,
        statistic=fit.statistic,
        p_value=fit.p_values()[:, 0],
        ci_lower=est - crit * se,
        ci_upper=est + crit * se,
        Q=fit.Q,
        Q_p=q_p,
        tau2=fit.tau2,
        I2=fit.I2,
        H2=fit.H2,
        pi_lower=est - crit * sd_pred,
        pi_upper=est + crit * sd_pred,
        measure=res.measure,
        method=res.method,
    )


def leave1out(res: RMAResult) -> SequentialFits:
    """Refit leaving out each study in turn, all k fits in one batch (metafor's ``leave1out``)."""
    _check(res, "Leave-one-out analysis")
    if res.strict_optimum:
        # The batched kernels follow metafor's stopping rule; a model fitted with control
        # strict_optimum is refitted one subset at a time with the exact optimum.
        from evsynth.stats import influence

        return influence.leave1out(res)
    mask = ~np.eye(res.k, dtype=bool)
    fit = fit_batch(res.yi, res.vi, method=res.method, test=res.test, mask=mask)
    return sequential_fits("leave1out", res, fit, res.slab)


def cumul(res: RMAResult, order: Sequence[Any] | None = None) -> SequentialFits:
    """Cumulative meta-analysis in one batch (metafor's ``cumul``).

    Parameters
    ----------
    res : RMAResult
        An intercept-only model.
    order : sequence, optional
        Sort keys (e.g. year); ties keep the data order. Default: the order of the data.
    """
    _check(res, "Cumulative analysis")
    if res.strict_optimum:
        from evsynth.stats import influence

        return influence.cumul(res, order)
    if order is None:
        perm = np.arange(res.k)
    else:
        keys = list(order)
        if len(keys) != res.k:
            raise InputError(f"'order' has {len(keys)} values for {res.k} studies", column="order")
        perm = np.array(sorted(range(res.k), key=lambda i: keys[i]), dtype=int)
    y, v = res.yi[perm], res.vi[perm]
    mask = np.tri(res.k, dtype=bool)  # row i holds the first i + 1 studies
    fit = fit_batch(y, v, method=res.method, test=res.test, mask=mask)
    return sequential_fits("cumul", res, fit, [res.slab[i] for i in perm])
