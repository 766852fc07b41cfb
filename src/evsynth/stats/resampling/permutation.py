"""Permutation tests of a meta-analytic model (metafor's ``permutest``).

Without moderators the pooled effect is tested by flipping the signs of the outcomes: all
``2^k`` sign vectors when ``exact`` (or when ``2^k`` is at most ``iterations``), else
``iterations`` random ones. With moderators the rows of the model matrix are permuted against
the outcomes: every distinct permutation when exact (``k!`` divided by the factorials of the
counts of identical rows), else random ones.

The p-values are metafor's (``p2defn = "abs"``, ``stat = "test"``): the share of permutations
whose test statistic (z, or t under Knapp-Hartung) is at least as large in absolute value as the
observed one, less a tolerance of ``sqrt(machine epsilon)``; the omnibus p-value counts
``QM >= QM_observed - tol``. An exact test counts every permutation (the identity among them);
a random test replaces its first permutation by the observed data (metafor's ``+1``). As in
metafor, permutations whose model cannot be fitted (Fisher scoring or the Paule-Mandel search
not converging, where metafor's ``rma`` stops with an error) are left out of the counts; pass
``nonconverged="keep"`` to count them with the engine's fallback estimate instead.

References
----------
Follmann DA, Proschan MA (1999). Valid inference in random effects meta-analysis. Biometrics
55:732-737. (sign flips)
Higgins JPT, Thompson SG (2004). Controlling the risk of spurious findings from
meta-regression. Statistics in Medicine 23:1663-1682. (permuting moderators)
Viechtbauer W, Lopez-Lopez JA, Sanchez-Meca J, Marin-Martinez F (2015). A comparison of
procedures to test for moderators in mixed-effects meta-regression models. Psychological
Methods 20:360-374.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from evsynth.errors import InputError
from evsynth.stats._linalg import FloatArray
from evsynth.stats.resampling.chunks import map_chunks
from evsynth.stats.resampling.kernels import fit_batch
from evsynth.stats.results import RMAResult

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

#: metafor's comparison tolerance, ``.Machine$double.eps^0.5``
COMPTOL = 2.220446049250313e-16**0.5
#: models fitted per chunk (times k studies: a few MB per chunk)
CHUNK_MODELS = 50_000
#: the largest exact test enumerated (metafor stops only at infinity; we refuse earlier)
MAX_EXACT = 50_000_000


@dataclass(frozen=True, eq=False)
class PermutationResult:
    """A permutation test of a fitted model.

    Attributes
    ----------
    p_value : float
        Permutation p-value of the pooled effect (no moderators) or of the omnibus test of the
        moderators (metafor's ``QMp``).
    coef_p_values : ndarray
        Permutation p-value of each coefficient (metafor's ``pval``).
    permutations : int
        Permutations run (metafor's ``iter``, or the exact count).
    used : int
        Permutations counted (without those whose model could not be fitted).
    statistic, QM : ndarray, float
        The observed test statistics of the coefficients and the omnibus statistic.
    statistic_perm, coefficients_perm, QM_perm : ndarray
        The permutation distributions (NaN where a model could not be fitted).
    """

    method: str
    test: str
    k: int
    exact: bool
    exact_count: float
    seed: int | None
    coef_names: tuple[str, ...]
    coefficients: FloatArray
    statistic: FloatArray
    model_p_values: FloatArray
    QM: float
    QM_df: int
    QM_p_model: float
    coef_p_values: FloatArray
    QM_p: float
    permutations: int
    used: int
    statistic_perm: FloatArray
    coefficients_perm: FloatArray
    QM_perm: FloatArray
    nonconverged: str
    warnings: tuple[str, ...] = ()

    @property
    def has_moderators(self) -> bool:
        """True for a meta-regression (moderators were permuted)."""
        return len(self.coef_names) > 1

    @property
    def p_value(self) -> float:
        """The headline p-value (see the class attributes)."""
        return self.QM_p if self.has_moderators else float(self.coef_p_values[0])

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``evsynth permutation-test``."""
        stat = "t" if self.test == "knha" else "z"
        out: dict[str, Any] = {
            "p_value": self.p_value,
            "permutations": self.permutations,
            "permutations_used": self.used,
            "exact": self.exact,
            "exact_count": self.exact_count if math.isfinite(self.exact_count) else None,
            "seed": self.seed,
            "method": self.method,
            "test": self.test,
            "k": self.k,
            "statistic_name": stat if not self.has_moderators else ("F" if stat == "t" else "QM"),
            "statistic": float(self.statistic[0]) if not self.has_moderators else self.QM,
            "model_p_value": (
                float(self.model_p_values[0]) if not self.has_moderators else self.QM_p_model
            ),
            "nonconverged": self.nonconverged,
            "warnings": list(self.warnings),
        }
        if self.has_moderators:
            out["QM"] = self.QM
            out["QM_df"] = self.QM_df
            out["QM_p"] = self.QM_p
        out["coefficients"] = [
            {
                "name": name,
                "estimate": float(self.coefficients[j]),
                "statistic": float(self.statistic[j]),
                "p_value": float(self.coef_p_values[j]),
                "model_p_value": float(self.model_p_values[j]),
            }
            for j, name in enumerate(self.coef_names)
        ]
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per coefficient: estimate, statistic, model and permutation p-values."""
        import pandas as pd

        return pd.DataFrame(
            {
                "estimate": self.coefficients,
                "statistic": self.statistic,
                "p_value_model": self.model_p_values,
                "p_value_permutation": self.coef_p_values,
            },
            index=list(self.coef_names),
        )

    def summary(self) -> str:
        """metafor-style text: the kind of test and the coefficient table."""
        kind = "exact" if self.exact else f"approximate (seed {self.seed})"
        stat = "tval" if self.test == "knha" else "zval"
        lines = [
            f"Test of {'moderators' if self.has_moderators else 'the pooled effect'} by "
            f"permutation ({kind}; {self.permutations} iterations, {self.used} used; "
            f"{self.method}, {self.test})",
        ]
        if self.has_moderators:
            name = "F" if self.test == "knha" else "QM"
            lines.append(f"{name}(df = {self.QM_df}) = {self.QM:.4f}, p-val* = {self.QM_p:.4f}")
        lines.append("")
        lines.append(f"{'':<12} {'estimate':>9} {stat:>8} {'pval':>8} {'pval*':>8}")
        for j, name in enumerate(self.coef_names):
            lines.append(
                f"{name[:12]:<12} {self.coefficients[j]:9.4f} {self.statistic[j]:8.4f} "
                f"{self.model_p_values[j]:8.4f} {self.coef_p_values[j]:8.4f}"
            )
        lines.append("pval* : permutation p-value")
        lines.extend(f"Warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def plot(self, **kw: Any) -> Figure:
        """The permutation distribution (see :mod:`evsynth.report.figures.permutation`)."""
        from evsynth.report.figures.permutation import permutation_plot

        return permutation_plot(self, **kw)


@dataclass(frozen=True, eq=False)
class PermutationTask:
    """One chunk of permutations."""

    yi: FloatArray
    vi: FloatArray
    X: FloatArray | None
    method: str
    test: str
    kind: str  # "signs-exact", "signs-random", "rows"
    start: int
    stop: int
    seed: int
    chunk: int
    rows: np.ndarray | None  # (n, k) row orders of X, for kind "rows"


@dataclass(frozen=True, eq=False)
class PermutationChunk:
    """Statistics of one chunk of permutations (NaN where a fit failed)."""

    coefficients: FloatArray
    statistic: FloatArray
    QM: FloatArray
    converged: np.ndarray


def permutation_test(
    res: RMAResult,
    *,
    exact: bool = False,
    iterations: int = 1000,
    seed: int | None = None,
    nonconverged: str = "drop",
    workers: int = 1,
    scheduler: str | None = None,
    progress: bool = False,
) -> PermutationResult:
    """Permutation test of the pooled effect or of the moderators of ``res`` (``permutest``).

    Parameters
    ----------
    res : RMAResult
        A model from :func:`evsynth.stats.models.rma` (with or without moderators).
    exact : bool
        Run every permutation. Also chosen when their number is at most ``iterations``.
    iterations : int
        Random permutations otherwise (at least 2); the first is the observed data.
    seed : int, optional
        Seed of the random permutations (recorded; drawn from the OS when not given).
    nonconverged : {"drop", "keep"}
        Leave out permutations whose model did not converge, as metafor does, or keep them
        with the engine's fallback estimate.
    workers, scheduler, progress
        Where the chunks run, and whether a progress bar is shown (see ``gosh``).

    Returns
    -------
    PermutationResult
    """
    if res.method in ("MH", "PETO"):
        raise InputError("Permutation tests need an inverse-variance model (rma)")
    if nonconverged not in ("drop", "keep"):
        raise InputError(f"Invalid nonconverged '{nonconverged}'; expected drop or keep")
    iterations = int(iterations)
    if iterations < 2:
        raise InputError(
            f"Invalid iterations {iterations}; expected 2 or more", column="iterations"
        )
    k, p = res.X.shape
    int_only = p == 1
    if int_only:
        count = 2**k
        X = None
        levels = None
    else:
        X = res.X
        _u, levels = np.unique(X, axis=0, return_inverse=True)
        count = math.factorial(k)
        for c in np.bincount(levels.ravel()):
            count //= math.factorial(int(c))
    # in integers, then as a float: infinite beyond the float range (metafor's Inf)
    exact_count = float(count) if count.bit_length() < 1024 else math.inf
    use_exact = exact or exact_count <= iterations
    if use_exact and exact_count > MAX_EXACT:
        raise InputError(
            f"An exact permutation test needs {exact_count:.3g} fits; run a random one "
            "(--iterations) instead"
        )
    n = int(exact_count) if use_exact else iterations
    if use_exact:
        seed = None
    elif seed is None:
        seed = secrets.randbits(32)
    tasks = _tasks(res, X, levels, use_exact, n, seed)
    chunks = map_chunks(
        permutation_chunk,
        tasks,
        sizes=[t.stop - t.start for t in tasks],
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        description=f"Permutation test: {n} fits",
    )
    beta = np.concatenate([c.coefficients for c in chunks])
    zval = np.concatenate([c.statistic for c in chunks])
    qm = np.concatenate([c.QM for c in chunks])
    conv = np.concatenate([c.converged for c in chunks])
    if not use_exact:
        # metafor: the first permutation is the observed data
        beta[0], zval[0], qm[0], conv[0] = res.coefficients, res.coef_statistic, res.QM, True
    notes: list[str] = []
    if nonconverged == "drop" and not np.all(conv):
        observed = fit_batch(
            res.yi, res.vi, method=res.method, test=res.test, X=None if int_only else res.X[None]
        )
        if not observed.converged[0]:
            # metafor's rma stops on the observed data itself, so it has no rule to follow here
            nonconverged = "keep"
            notes.append(
                f"Fisher scoring did not converge for the observed data (metafor stops with an "
                f"error); all {n} permutations were counted, each with the engine's fallback "
                "estimate where needed."
            )
        else:
            beta[~conv], zval[~conv], qm[~conv] = np.nan, np.nan, np.nan
            notes.append(
                f"{int(np.sum(~conv))} of {n} permutations were left out because their model "
                "did not converge (as metafor does)."
            )
    used = int(np.sum(np.isfinite(qm)))
    with np.errstate(invalid="ignore"):
        hits = np.abs(zval) >= np.abs(res.coef_statistic)[None, :] - COMPTOL
        pvals = np.nansum(hits, axis=0) / np.sum(np.isfinite(zval), axis=0)
        qm_p = float(np.sum(qm >= res.QM - COMPTOL) / used) if used else math.nan
    pvals = np.minimum(pvals, 1.0)
    return PermutationResult(
        method=res.method,
        test=res.test,
        k=k,
        exact=use_exact,
        exact_count=exact_count,
        seed=seed,
        coef_names=res.coef_names,
        coefficients=res.coefficients,
        statistic=res.coef_statistic,
        model_p_values=res.coef_p,
        QM=res.QM,
        QM_df=res.QM_df,
        QM_p_model=res.QM_p,
        coef_p_values=pvals,
        QM_p=min(qm_p, 1.0),
        permutations=n,
        used=used,
        statistic_perm=zval,
        coefficients_perm=beta,
        QM_perm=qm,
        nonconverged=nonconverged,
        warnings=tuple(notes),
    )


def _tasks(
    res: RMAResult,
    X: FloatArray | None,
    levels: np.ndarray | None,
    exact: bool,
    n: int,
    seed: int | None,
) -> list[PermutationTask]:
    k = res.k
    size = max(1000, CHUNK_MODELS * 10 // max(k, 1))
    starts = list(range(0, n, size))
    rows: np.ndarray | None = None
    if X is not None:
        assert levels is not None
        rows = distinct_row_orders(levels.ravel()) if exact else None
    kind = "rows" if X is not None else ("signs-exact" if exact else "signs-random")
    return [
        PermutationTask(
            yi=res.yi,
            vi=res.vi,
            X=X,
            method=res.method,
            test=res.test,
            kind=kind,
            start=s,
            stop=min(n, s + size),
            seed=seed or 0,
            chunk=i,
            rows=None if rows is None else rows[s : min(n, s + size)],
        )
        for i, s in enumerate(starts)
    ]


def permutation_chunk(task: PermutationTask) -> PermutationChunk:
    """Fit one chunk of permuted data sets (runs in a worker process or on Dask)."""
    k = task.yi.size
    m = task.stop - task.start
    rng = np.random.default_rng([task.seed, task.chunk])
    X = None
    y: FloatArray = task.yi
    if task.kind == "signs-exact":
        # metafor's expand.grid order: permutation i flips study j when bit j of i is set
        i = np.arange(task.start, task.stop, dtype=np.int64)[:, None]
        flips = (i >> np.arange(k, dtype=np.int64)[None, :]) & 1
        y = task.yi[None, :] * (1.0 - 2.0 * flips)
    elif task.kind == "signs-random":
        y = task.yi[None, :] * rng.choice(np.array([-1.0, 1.0]), size=(m, k))
    else:
        assert task.X is not None
        order = (
            task.rows
            if task.rows is not None
            else rng.permuted(np.tile(np.arange(k), (m, 1)), axis=1)
        )
        X = task.X[order]
    fit = fit_batch(y, task.vi, method=task.method, test=task.test, X=X)
    return PermutationChunk(fit.coefficients, fit.coef_statistic, fit.QM, fit.converged)


def distinct_row_orders(levels: np.ndarray) -> np.ndarray:
    """Every distinct arrangement of a multiset of row types, as row indices.

    ``levels[i]`` is the type of row ``i`` (identical rows of the model matrix share a type).
    Returns an (N, k) array: each row is an order of the original rows such that the sequence
    of types is one of the ``k! / prod(n_t!)`` distinct arrangements, each exactly once.
    """
    lv = np.asarray(levels, dtype=np.int64)
    k = lv.size
    # one representative row per type for each position of that type
    by_type = {t: list(np.flatnonzero(lv == t)) for t in np.unique(lv).tolist()}
    seq = sorted(lv.tolist())
    out: list[list[int]] = []
    while True:
        used = {t: 0 for t in by_type}
        row = []
        for t in seq:
            row.append(int(by_type[t][used[t]]))
            used[t] += 1
        out.append(row)
        # next lexicographic permutation of the multiset (Narayana Pandita)
        i = k - 2
        while i >= 0 and seq[i] >= seq[i + 1]:
            i -= 1
        if i < 0:
            break
        j = k - 1
        while seq[j] <= seq[i]:
            j -= 1
        seq[i], seq[j] = seq[j], seq[i]
        seq[i + 1 :] = reversed(seq[i + 1 :])
    return np.asarray(out, dtype=np.int64)
