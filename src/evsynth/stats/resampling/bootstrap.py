"""Bootstrap confidence intervals for the pooled estimate and for tau^2.

Non-parametric: studies are resampled with replacement (each replicate keeps its studies'
outcomes, variances and moderators together). Parametric: outcomes are simulated from the fitted
model, ``y* ~ N(X beta, v_i + tau^2)``. Every replicate is refitted with the model's estimator by
the batched kernels. Intervals follow R's ``boot.ci`` exactly (normal with bias correction,
percentile and BCa with the interpolation of ``norm.inter``); the BCa acceleration comes from the
jackknife (leave-one-out fits), as ``empinf(type = "jack")``.

References
----------
Efron B, Tibshirani RJ (1993). An Introduction to the Bootstrap, chapters 13-14 (percentile and
BCa intervals). Chapman & Hall.
Davison AC, Hinkley DV (1997). Bootstrap Methods and their Application, section 5.3 (the
intervals of the boot package). Cambridge University Press.
Viechtbauer W (2007). Confidence intervals for the amount of heterogeneity in meta-analysis.
Statistics in Medicine 26:37-52. (bootstrap intervals for tau^2)
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from evsynth.errors import InputError
from evsynth.stats import _dist
from evsynth.stats._linalg import FloatArray
from evsynth.stats.resampling.chunks import map_chunks
from evsynth.stats.resampling.kernels import fit_batch
from evsynth.stats.results import RMAResult

if TYPE_CHECKING:
    import pandas as pd

KINDS = ("nonparametric", "parametric")
CHUNK_MODELS = 20_000


@dataclass(frozen=True, eq=False)
class BootstrapInterval:
    """One interval: ``method`` is ``normal``, ``percentile`` or ``bca``."""

    statistic: str
    method: str
    ci_lower: float
    ci_upper: float


@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """Bootstrap replicates of the pooled estimate and tau^2, and their intervals."""

    kind: str
    method: str
    measure: str
    level: float
    replicates: int
    used: int
    seed: int
    estimate: float
    tau2: float
    t_estimate: FloatArray
    t_tau2: FloatArray
    intervals: tuple[BootstrapInterval, ...]

    def interval(self, statistic: str, method: str) -> BootstrapInterval:
        """The interval of ``statistic`` (``estimate`` or ``tau2``) by ``method``."""
        for iv in self.intervals:
            if iv.statistic == statistic and iv.method == method:
                return iv
        raise KeyError((statistic, method))

    def to_frame(self) -> pd.DataFrame:
        """One row per interval."""
        import pandas as pd

        rows = [
            {
                "statistic": iv.statistic,
                "observed": getattr(self, iv.statistic),
                "method": iv.method,
                "ci_lower": iv.ci_lower,
                "ci_upper": iv.ci_upper,
                "bias": float(np.nanmean(getattr(self, f"t_{iv.statistic}")))
                - getattr(self, iv.statistic),
                "se": float(np.nanstd(getattr(self, f"t_{iv.statistic}"), ddof=1)),
            }
            for iv in self.intervals
        ]
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``evsynth bootstrap``."""

        def clean(x: float) -> float | None:
            return x if math.isfinite(x) else None

        out: dict[str, Any] = {
            "kind": self.kind,
            "method": self.method,
            "measure": self.measure,
            "level": self.level,
            "replicates": self.replicates,
            "replicates_used": self.used,
            "seed": self.seed,
        }
        for name in ("estimate", "tau2"):
            t = getattr(self, f"t_{name}")
            out[name] = {
                "observed": getattr(self, name),
                "bootstrap_se": clean(float(np.nanstd(t, ddof=1))),
                "bias": clean(float(np.nanmean(t)) - getattr(self, name)),
                "intervals": {
                    iv.method: {"ci_lower": clean(iv.ci_lower), "ci_upper": clean(iv.ci_upper)}
                    for iv in self.intervals
                    if iv.statistic == name
                },
            }
        return out

    def summary(self) -> str:
        """A text table of the intervals."""
        lines = [
            f"{self.kind.capitalize()} bootstrap ({self.method}; {self.used} of "
            f"{self.replicates} replicates used; seed {self.seed}); {self.level:g}% intervals",
            "",
            f"{'':<10} {'observed':>9} {'method':>11} {'ci.lb':>9} {'ci.ub':>9}",
        ]
        for iv in self.intervals:
            lines.append(
                f"{iv.statistic:<10} {getattr(self, iv.statistic):9.4f} {iv.method:>11} "
                f"{iv.ci_lower:9.4f} {iv.ci_upper:9.4f}"
            )
        return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class BootstrapTask:
    """One chunk of replicates with its own random stream."""

    yi: FloatArray
    vi: FloatArray
    X: FloatArray
    fitted: FloatArray
    tau2: float
    method: str
    kind: str
    n: int
    seed: int
    chunk: int


def bootstrap(
    res: RMAResult,
    *,
    kind: str = "nonparametric",
    replicates: int = 1000,
    seed: int | None = None,
    level: float | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    progress: bool = False,
) -> BootstrapResult:
    """Bootstrap intervals for the pooled estimate (first coefficient) and tau^2.

    Parameters
    ----------
    res : RMAResult
        A model from :func:`evsynth.stats.models.rma`.
    kind : {"nonparametric", "parametric"}
        Resample studies, or simulate outcomes from the fitted model.
    replicates : int
        Number of bootstrap replicates (R's ``R``).
    seed : int, optional
        Seed (recorded; drawn from the OS when not given). Results do not depend on how the
        replicates are split over workers.
    level : float, optional
        Confidence level in percent (default: the model's).

    Returns
    -------
    BootstrapResult
        Normal, percentile and (non-parametric only) BCa intervals.
    """
    if res.method in ("MH", "PETO"):
        raise InputError("The bootstrap needs an inverse-variance model (rma)")
    if kind not in KINDS:
        raise InputError(f"Invalid kind '{kind}'; expected one of {', '.join(KINDS)}")
    if replicates < 2:
        raise InputError(f"Invalid replicates {replicates}; expected 2 or more")
    if res.k < 2:
        # every resample of one study is that study: a zero-width "interval" would mislead
        raise InputError("The bootstrap needs at least two studies")
    lv = res.level if level is None else float(level)
    seed = secrets.randbits(32) if seed is None else int(seed)
    fitted = res.X @ res.coefficients
    tasks = [
        BootstrapTask(
            res.yi,
            res.vi,
            res.X,
            fitted,
            res.tau2,
            res.method,
            kind,
            min(CHUNK_MODELS, replicates - s),
            seed,
            i,
        )
        for i, s in enumerate(range(0, replicates, CHUNK_MODELS))
    ]
    parts = map_chunks(
        bootstrap_chunk,
        tasks,
        sizes=[t.n for t in tasks],
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        description=f"Bootstrap: {replicates} fits",
    )
    t = np.concatenate(parts)
    t_est, t_tau2 = t[:, 0], t[:, 1]
    used = int(np.sum(np.isfinite(t_est)))
    intervals: list[BootstrapInterval] = []
    jack = _jackknife(res) if kind == "nonparametric" else None
    for j, (name, t0, tj) in enumerate(
        (("estimate", res.estimate, t_est), ("tau2", res.tau2, t_tau2))
    ):
        lo, hi = normal_interval(tj, t0, lv)
        intervals.append(BootstrapInterval(name, "normal", lo, hi))
        lo, hi = percentile_interval(tj, lv)
        intervals.append(BootstrapInterval(name, "percentile", lo, hi))
        if jack is not None:
            lo, hi = bca_interval(tj, t0, jackknife_influence(jack[:, j], t0), lv)
            intervals.append(BootstrapInterval(name, "bca", lo, hi))
    return BootstrapResult(
        kind=kind,
        method=res.method,
        measure=res.measure,
        level=lv,
        replicates=replicates,
        used=used,
        seed=seed,
        estimate=res.estimate,
        tau2=res.tau2,
        t_estimate=t_est,
        t_tau2=t_tau2,
        intervals=tuple(intervals),
    )


def bootstrap_chunk(task: BootstrapTask) -> FloatArray:
    """Fit one chunk of replicates; columns: estimate, tau2."""
    rng = np.random.default_rng([task.seed, task.chunk])
    k = task.yi.size
    X = None if task.X.shape[1] == 1 else task.X
    if task.kind == "nonparametric":
        idx = rng.integers(0, k, size=(task.n, k))
        fit = fit_batch(
            task.yi[idx], task.vi[idx], method=task.method, X=None if X is None else X[idx]
        )
    else:
        sd = np.sqrt(task.vi + task.tau2)
        y = task.fitted[None, :] + rng.standard_normal((task.n, k)) * sd[None, :]
        fit = fit_batch(y, task.vi, method=task.method, X=X)
    out: FloatArray = np.column_stack([fit.estimate, fit.tau2])
    return out


def _jackknife(res: RMAResult) -> FloatArray:
    """Estimate and tau^2 without each study (one batched fit)."""
    k = res.k
    mask = ~np.eye(k, dtype=bool)
    X = None if res.p == 1 else np.broadcast_to(res.X, (k, *res.X.shape))
    fit = fit_batch(res.yi, res.vi, method=res.method, mask=mask, X=X)
    out: FloatArray = np.column_stack([fit.estimate, fit.tau2])
    return out


def jackknife_influence(tj: FloatArray, t0: float) -> FloatArray:
    """Empirical influence values from leave-one-out estimates: ``(n-1)(t0 - tj)``.

    boot's ``usual.jack`` (Davison and Hinkley 1997, eq. 2.44) centres on the full-data
    estimate ``t0``, not on the mean of the leave-one-out estimates as Efron and Tibshirani do.
    """
    out: FloatArray = (tj.size - 1) * (t0 - tj)
    return out


def norm_inter(t: FloatArray, alpha: FloatArray) -> FloatArray:
    """Quantiles of the replicates as R's ``boot:::norm.inter`` takes them.

    The ``(R+1) alpha``-th order statistic, interpolated on the normal quantile scale between
    neighbouring order statistics when ``(R+1) alpha`` is not an integer; the extremes beyond.
    """
    ts = np.sort(t[np.isfinite(t)])
    R = ts.size
    a = np.atleast_1d(np.asarray(alpha, dtype=np.float64))
    rk = (R + 1) * a
    kk = np.trunc(rk).astype(np.int64)
    out = np.empty(a.size)
    for i in range(a.size):
        k = int(kk[i])
        if k == rk[i] and 0 < k <= R:
            out[i] = ts[k - 1]
        elif k <= 0:
            out[i] = ts[0]
        elif k >= R:
            out[i] = ts[R - 1]
        else:
            z = _dist.norm_ppf(np.array([a[i], k / (R + 1), (k + 1) / (R + 1)]))
            out[i] = ts[k - 1] + (z[0] - z[1]) / (z[2] - z[1]) * (ts[k] - ts[k - 1])
    return out


def percentile_interval(t: FloatArray, level: float) -> tuple[float, float]:
    """boot's percentile interval."""
    conf = level / 100.0
    q = norm_inter(t, np.array([(1 - conf) / 2, (1 + conf) / 2]))
    return float(q[0]), float(q[1])


def normal_interval(t: FloatArray, t0: float, level: float) -> tuple[float, float]:
    """boot's normal interval: ``t0 - bias -/+ z sd(t)`` with ``bias = mean(t) - t0``."""
    tf = t[np.isfinite(t)]
    bias = float(np.mean(tf)) - t0
    merr = math.sqrt(float(np.var(tf, ddof=1))) * float(_dist.norm_ppf((1 + level / 100.0) / 2))
    return t0 - bias - merr, t0 - bias + merr


def bca_interval(t: FloatArray, t0: float, L: FloatArray, level: float) -> tuple[float, float]:
    """boot's BCa interval from replicates ``t`` and empirical influence values ``L``.

    Bias correction ``w = qnorm(#(t < t0) / R)``, acceleration ``a = sum L^3 / (6 (sum
    L^2)^1.5)``; NaN when either is not finite (boot stops there).
    """
    tf = t[np.isfinite(t)]
    w = float(_dist.norm_ppf(np.sum(tf < t0) / tf.size))
    denom = 6.0 * float(np.sum(L**2)) ** 1.5
    a = float(np.sum(L**3)) / denom if denom > 0 else math.nan
    if not (math.isfinite(w) and math.isfinite(a)):
        return math.nan, math.nan
    conf = level / 100.0
    za = _dist.norm_ppf(np.array([(1 - conf) / 2, (1 + conf) / 2]))
    adj = _dist.norm_sf(-(w + (w + za) / (1 - a * (w + za))))  # the normal CDF
    q = norm_inter(tf, adj)
    return float(q[0]), float(q[1])
