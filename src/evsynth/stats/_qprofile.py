"""Q-profile confidence intervals for tau^2, tau, I^2 and H^2 (private).

References
----------
Viechtbauer W (2007). Confidence intervals for the amount of heterogeneity in meta-analysis.
Statistics in Medicine 26:37-52. doi:10.1002/sim.2514
"""

from __future__ import annotations

import math
from collections.abc import Callable

from evsynth.stats import _dist
from evsynth.stats._linalg import FloatArray
from evsynth.stats._roots import R_TOL, brent_root
from evsynth.stats.results import Interval
from evsynth.stats.tau2 import q_statistic


def q_profile_intervals(
    y: FloatArray, v: FloatArray, X: FloatArray, tau2: float, vt: float, level: float
) -> tuple[Interval, Interval, Interval, Interval]:
    """Q-profile confidence intervals for tau^2, tau, I^2 and H^2 (metafor's ``confint``).

    The limits solve ``Q(tau2) = chi2 quantile`` for the generalised Q statistic, searched over
    ``[0, max(100, 10 * tau2)]`` with R's root finder and tolerance, as metafor does.
    """
    k, p = X.shape
    alpha = 1.0 - level / 100.0
    crit_u = float(_dist.chi2_isf(alpha / 2.0, k - p))
    crit_l = float(_dist.chi2_ppf(alpha / 2.0, k - p))
    t_min, t_max = 0.0, max(100.0, 10.0 * tau2)

    def q_minus(target: float) -> Callable[[float], float]:
        return lambda t: q_statistic(t, y, v, X) - target

    q_at_min = q_statistic(t_min, y, v, X)
    q_at_max = q_statistic(t_max, y, v, X)
    lb: float = math.nan
    ub: float = math.nan
    if q_at_min < crit_l:
        lb = ub = t_min
    else:
        if q_at_max > crit_l:
            ub = t_max
        else:
            ub, _ = brent_root(q_minus(crit_l), t_min, t_max, tol=R_TOL, maxiter=1000)
    if q_at_max > crit_u:
        lb = ub = t_max
    elif q_at_min < crit_u:
        lb = t_min
    else:
        lb, _ = brent_root(q_minus(crit_u), t_min, t_max, tol=R_TOL, maxiter=1000)

    def i2(t: float) -> float:
        return 100.0 * t / (vt + t)

    def h2(t: float) -> float:
        return t / vt + 1.0

    return (
        Interval(tau2, lb, ub),
        Interval(math.sqrt(tau2), math.sqrt(lb), math.sqrt(ub)),
        Interval(i2(tau2), i2(lb), i2(ub)),
        Interval(h2(tau2), h2(lb), h2(ub)),
    )
