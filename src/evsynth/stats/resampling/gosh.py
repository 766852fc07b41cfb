"""GOSH: the model fitted to every subset of the studies (metafor's ``gosh``).

All ``2^k - 1`` non-empty subsets are fitted when there are at most ``max_subsets`` of them
(metafor's ``subsets``, default one million); otherwise ``max_subsets`` random subsets, each
study included with probability 1/2 (redrawn when empty), which is the distribution metafor
samples from. Rows come in metafor's order: by subset size, and within a size in the order of
R's ``expand.grid`` (subset as a binary number, study 1 the lowest bit). FE and DL report I^2
and H^2 from Q, as metafor's fast path for them does.

Subsets are generated chunk by chunk straight from their rank (the combinatorial number system),
so memory is bounded by the chunk, never by the number of subsets.

References
----------
Olkin I, Dahabreh IJ, Trikalinos TA (2012). GOSH - a graphical display of study heterogeneity.
Research Synthesis Methods 3:214-223. doi:10.1002/jrsm.1053
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. Journal of
Statistical Software 36(3):1-48.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from evsynth.errors import InputError
from evsynth.stats._linalg import FloatArray
from evsynth.stats.resampling.chunks import map_chunks
from evsynth.stats.resampling.kernels import fit_batch

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from evsynth.stats.results import RMAResult

#: metafor's default for ``subsets``
DEFAULT_MAX_SUBSETS = 10**6
#: matrix elements (subsets x studies) fitted at once; bounds memory to some tens of MB. The
#: random subsets' stream is drawn chunk by chunk, so this also fixes which subsets a seed gives
CHUNK_ELEMENTS = 1_000_000
#: the same for exact runs (every subset), where the chunks change nothing but speed: arrays of
#: 2 MB stay in cache, where 8 MB ones did not (16 studies: 0.45 -> 0.38 s for the whole command)
EXACT_CHUNK_ELEMENTS = 262_144
STAT_COLUMNS = ("estimate", "Q", "I2", "H2", "tau2")


@dataclass(frozen=True, eq=False)
class GoshModel:
    """The model GOSH refits, without the fit of all studies: what :func:`gosh` takes from an
    :class:`~evsynth.stats.results.RMAResult` (built by :func:`gosh_model`).

    The fit of all studies is the last row of the GOSH table, so a command that only writes
    the table need not fit it twice: that fit's p-values and Q-profile intervals need
    scipy.special, whose import (about 0.15 s) is a third of a 16-study GOSH.
    """

    yi: FloatArray
    vi: FloatArray
    X: FloatArray
    method: str
    slab: tuple[str, ...]
    measure: str = "GEN"
    coef_names: tuple[str, ...] = ("intrcpt",)


def gosh_model(
    yi: Any,
    vi: Any,
    *,
    method: str = "REML",
    mods: Any = None,
    slab: Any = None,
    measure: str = "GEN",
) -> GoshModel:
    """Check the data as :func:`evsynth.stats.models.rma` does (estimator, outcomes, positive
    variances, labels, moderators, enough studies, full rank) and return the model to refit.

    ``gosh(gosh_model(yi, vi, method=m))`` gives the same rows as ``gosh(rma(yi, vi,
    method=m))``; only the fit of all studies (with its tests) is left out.
    """
    from evsynth.stats._checks import (
        check_design,
        check_method,
        outcomes_and_variances,
        study_labels,
    )
    from evsynth.stats._design import design_matrix

    method = check_method(method)
    y, v = outcomes_and_variances(yi, vi, None)
    k = y.size
    labels = study_labels(slab, k)
    X, names = design_matrix(mods, k)
    check_design(X, method)  # the checks of evsynth.stats.models.fit, with its messages
    return GoshModel(y, v, X, method, labels, measure, tuple(names))


@dataclass(frozen=True, eq=False)
class GoshResult:
    """One row per subset: the fit and which studies it holds.

    Attributes
    ----------
    incl : ndarray of bool, shape (N, k)
        ``incl[i, j]`` is True when subset ``i`` holds study ``j``.
    estimate, Q, I2, H2, tau2 : ndarray
        Pooled estimate (analysis scale; the first coefficient of a meta-regression), Cochran's
        Q (QE), I^2 (percent), H^2 and tau^2 per subset.
    coef_names, coefficients : tuple of str, ndarray
        The model's coefficients per subset, (N, p); NaN where a subset cannot be fitted (fewer
        studies than parameters, or collinear moderators), as metafor's NA.
    exact : bool
        True when every subset was fitted, False for random subsets.
    seed : int or None
        The seed of the random subsets (None when exact).
    """

    slab: tuple[str, ...]
    method: str
    measure: str
    exact: bool
    seed: int | None
    incl: np.ndarray
    estimate: FloatArray
    Q: FloatArray
    I2: FloatArray
    H2: FloatArray
    tau2: FloatArray
    coef_names: tuple[str, ...] = ("intrcpt",)
    coefficients: FloatArray | None = None
    #: False where Fisher scoring or the Paule-Mandel search did not converge: metafor's fit
    #: fails there (NA); the row holds the engine's fallback estimate instead
    converged: np.ndarray | None = None

    @property
    def size(self) -> np.ndarray:
        """Number of studies in each subset."""
        return np.asarray(self.incl.sum(axis=1))

    @property
    def n_subsets(self) -> int:
        """Number of subsets fitted."""
        return int(self.incl.shape[0])

    def columns(self) -> list[tuple[str, FloatArray]]:
        """The statistics' columns: ``estimate Q I2 H2 tau2``, or for a meta-regression one
        column per coefficient (``intrcpt``, moderators) before ``Q I2 H2 tau2``."""
        if self.coefficients is None or len(self.coef_names) == 1:
            return [(name, getattr(self, name)) for name in STAT_COLUMNS]
        coefs = [(name, self.coefficients[:, j]) for j, name in enumerate(self.coef_names)]
        return coefs + [(name, getattr(self, name)) for name in STAT_COLUMNS[1:]]

    def column_names(self) -> list[str]:
        """Names of the table's columns: the statistics, then the study labels."""
        names = [name for name, _ in self.columns()]
        clash = set(self.slab) & set(names)
        if clash or len(set(self.slab)) != len(self.slab):
            raise InputError(
                f"Study labels must be unique and differ from {', '.join(names)} to name the "
                f"GOSH columns; got {', '.join(sorted(clash)) or 'duplicate labels'}"
            )
        return [*names, *self.slab]

    def to_frame(self) -> pd.DataFrame:
        """The statistics (:meth:`columns`) and one 0/1 column per study (by label)."""
        import pandas as pd

        self.column_names()
        data: dict[str, Any] = dict(self.columns())
        for j, label in enumerate(self.slab):
            data[label] = self.incl[:, j].astype(np.int8)
        return pd.DataFrame(data)

    def summary(self) -> str:
        """What was fitted and the spread of the estimates and of I^2."""
        kind = "all" if self.exact else f"{self.n_subsets} random (seed {self.seed})"
        qs = _quartiles(self.estimate)
        qi = _quartiles(self.I2)
        lines = [
            f"GOSH ({self.method}; measure {self.measure}): {self.n_subsets} model fits, "
            f"{kind} subsets of {len(self.slab)} studies",
            "            min      25%      50%      75%      max",
            "estimate " + " ".join(f"{x:8.4f}" for x in qs),
            "I2 (%)   " + " ".join(f"{x:8.2f}" for x in qi),
        ]
        failed = 0 if self.converged is None else int(np.sum(~self.converged))
        if failed:
            lines.append(
                f"{failed} subset(s) did not converge (metafor reports NA for them); they hold "
                "the estimate found by maximising the likelihood directly."
            )
        return "\n".join(lines)

    def plot(self, **kw: Any) -> Figure:
        """The GOSH plot (see :func:`evsynth.report.figures.gosh.gosh_plot`)."""
        from evsynth.report.figures.gosh import gosh_plot

        return gosh_plot(self, **kw)


def _quartiles(values: FloatArray) -> FloatArray:
    """Minimum, quartiles and maximum of the non-missing values: ``np.nanquantile``'s numbers
    (linear interpolation, its rounding-safe form), without the numpy.ma import (10 ms) that
    its ``np.unique`` call brings in; NaN when every value is missing."""
    x = np.sort(values[~np.isnan(values)])
    if x.size == 0:
        return np.full(5, np.nan)
    pos = (x.size - 1) * np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    lo = np.floor(pos).astype(np.int64)
    t = pos - lo
    a, b = x[lo], x[np.minimum(lo + 1, x.size - 1)]
    diff = b - a
    out: FloatArray = np.where(t >= 0.5, b - diff * (1.0 - t), a + diff * t)
    return out


@dataclass(frozen=True, eq=False)
class GoshTask:
    """One chunk: subsets ``start`` to ``stop`` (exact) or a block of random subsets."""

    yi: FloatArray
    vi: FloatArray
    X: FloatArray | None
    method: str
    exact: bool
    start: int
    stop: int
    seed: int
    chunk: int


@dataclass(frozen=True, eq=False)
class GoshChunk:
    """The fits of one chunk (subsets as packed bits to keep transfers small)."""

    packed: np.ndarray
    stats: FloatArray


def total_subsets(k: int, p: int = 1) -> int:
    """Number of subsets with at least ``p`` studies: ``sum(choose(k, p..k))``."""
    return sum(math.comb(k, m) for m in range(p, k + 1))


def gosh(
    res: RMAResult | GoshModel,
    *,
    max_subsets: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    progress: bool = False,
    chunk_size: int | None = None,
) -> GoshResult:
    """Fit ``res``'s model to every subset of its studies (or to random subsets).

    Parameters
    ----------
    res : RMAResult or GoshModel
        A model from :func:`evsynth.stats.models.rma` (any estimator, with or without
        moderators; with p coefficients, subsets have at least p studies, as in metafor), or
        the same model unfitted from :func:`gosh_model`.
    max_subsets : int, optional
        Fit all subsets when there are at most this many (default one million, as metafor),
        else this many random subsets.
    seed : int, optional
        Seed of the random subsets; drawn from the operating system and recorded in the result
        when not given.
    workers : int
        Local worker processes.
    scheduler : str, optional
        Address of a Dask scheduler to run the chunks on.
    progress : bool
        Show a progress bar on stderr.
    chunk_size : int, optional
        Subsets per chunk (default: one million matrix elements per chunk for random subsets,
        a quarter of that when every subset is fitted).

    Returns
    -------
    GoshResult
    """
    if res.method in ("MH", "PETO"):
        raise InputError("GOSH is implemented for inverse-variance models (rma)")
    k, p = res.X.shape
    if k < 2:
        raise InputError("GOSH needs at least two studies")
    limit = DEFAULT_MAX_SUBSETS if max_subsets is None else int(max_subsets)
    if limit < 2:
        raise InputError(f"Invalid max_subsets {max_subsets}; expected 2 or more")
    n_all = total_subsets(k, p)
    exact = n_all <= limit
    n = n_all if exact else limit
    if exact:
        seed = None
    elif seed is None:
        import secrets

        seed = secrets.randbits(32)
    size = chunk_size or max(1000, (EXACT_CHUNK_ELEMENTS if exact else CHUNK_ELEMENTS) // k)
    tasks = [
        GoshTask(
            res.yi,
            res.vi,
            None if p == 1 else res.X,
            res.method,
            exact,
            s,
            min(n, s + size),
            seed or 0,
            i,
        )
        for i, s in enumerate(range(0, n, size))
    ]
    chunks = map_chunks(
        gosh_chunk,
        tasks,
        sizes=[t.stop - t.start for t in tasks],
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        description=f"GOSH: {n} fits",
    )
    incl = np.unpackbits(np.concatenate([c.packed for c in chunks]), axis=1, count=k)
    incl = incl.astype(bool)
    stats = np.concatenate([c.stats for c in chunks])
    if not exact:
        # metafor sorts the rows by subset size (a stable sort)
        order = np.argsort(incl.sum(axis=1), kind="stable")
        incl, stats = incl[order], stats[order]
    return GoshResult(
        slab=res.slab,
        method=res.method,
        measure=res.measure,
        exact=exact,
        seed=seed,
        incl=incl,
        estimate=stats[:, 5],
        Q=stats[:, 0],
        I2=stats[:, 1],
        H2=stats[:, 2],
        tau2=stats[:, 3],
        coef_names=res.coef_names,
        coefficients=stats[:, 5:],
        converged=stats[:, 4] > 0.5,
    )


def gosh_chunk(task: GoshTask) -> GoshChunk:
    """Fit one chunk of subsets (runs in a worker process or on a Dask worker)."""
    k = task.yi.size
    p = 1 if task.X is None else task.X.shape[1]
    if task.exact:
        mask = subsets_by_rank(k, task.start, task.stop, min_size=p)
    else:
        mask = random_subsets(k, task.stop - task.start, task.seed, task.chunk, min_size=p)
    # metafor's fast path (Q-based I2 and H2) is for FE and DL without moderators only
    fit = fit_batch(
        task.yi, task.vi, method=task.method, mask=mask, X=task.X, gosh_heterogeneity=p == 1
    )
    stats = np.column_stack([fit.Q, fit.I2, fit.H2, fit.tau2, fit.converged, fit.coefficients])
    return GoshChunk(np.packbits(mask, axis=1), stats)


def subsets_by_rank(k: int, start: int, stop: int, *, min_size: int = 1) -> np.ndarray:
    """Subsets number ``start`` to ``stop - 1`` in metafor's order, as a boolean matrix.

    Only subsets of at least ``min_size`` studies are counted (metafor: the number of
    coefficients).

    Subsets are ordered by size and, within a size, as binary numbers (study 1 = lowest bit),
    which is the colexicographic order of the combinatorial number system: the subset
    ``{c_1 < ... < c_m}`` has rank ``sum_i C(c_i, i)`` among the subsets of size ``m``.
    """
    counts = [math.comb(k, m) for m in range(min_size, k + 1)]
    offsets = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
    g = np.arange(start, stop, dtype=np.int64)
    # C(c, i) for c = 0..k-1 and i = 0..k
    table = np.array([[math.comb(c, i) for c in range(k)] for i in range(k + 1)], dtype=np.int64)
    if k <= 62 and stop > start:
        return _subsets_as_bits(k, start, stop, min_size, offsets, g, table)
    # position j with offsets[j-1] <= g < offsets[j]: subsets of size min_size + j - 1
    pos = np.searchsorted(offsets, g, side="right")
    out = np.zeros((g.size, k), dtype=bool)
    for j in np.unique(pos):
        rows = np.flatnonzero(pos == j)
        r = g[rows] - offsets[j - 1]
        for i in range(int(min_size + j - 1), 0, -1):
            c = np.searchsorted(table[i], r, side="right") - 1
            out[rows, c] = True
            r = r - table[i][c]
    return out


def _subsets_as_bits(
    k: int, start: int, stop: int, min_size: int, offsets: Any, g: Any, table: Any
) -> np.ndarray:
    """:func:`subsets_by_rank` with each subset built as an integer (study j = bit j), then
    expanded: the sizes are consecutive runs of rows, and setting a bit in a vector of integers
    is cheaper than scattering into a boolean matrix (8 ms instead of 20 for 65,535 subsets)."""
    bits = np.zeros(g.size, dtype=np.int64)
    one = np.int64(1)
    first = int(np.searchsorted(offsets, start, side="right"))
    last = int(np.searchsorted(offsets, stop - 1, side="right"))
    for j in range(first, last + 1):
        lo = max(start, int(offsets[j - 1])) - start
        hi = min(stop, int(offsets[j])) - start
        r = g[lo:hi] - offsets[j - 1]
        code = bits[lo:hi]  # a view: the bits are set in place
        for i in range(int(min_size + j - 1), 0, -1):
            c = np.searchsorted(table[i], r, side="right") - 1
            code |= one << c
            r = r - table[i][c]
    out: np.ndarray = ((bits[:, None] >> np.arange(k, dtype=np.int64)) & 1).astype(bool)
    return out


def random_subsets(k: int, n: int, seed: int, chunk: int, *, min_size: int = 1) -> np.ndarray:
    """``n`` random subsets of at least ``min_size`` studies, each study in with probability
    1/2 (metafor's distribution); the stream depends only on ``seed`` and ``chunk``."""
    rng = np.random.default_rng([seed, chunk])
    out = rng.random((n, k)) < 0.5
    small = out.sum(axis=1) < min_size
    while np.any(small):
        out[small] = rng.random((int(small.sum()), k)) < 0.5
        small = out.sum(axis=1) < min_size
    return out
