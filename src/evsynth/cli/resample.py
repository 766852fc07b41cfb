"""``evsynth gosh``, ``evsynth permutation-test`` and ``evsynth bootstrap``: resampling commands.

Each reads an effect-size table as ``evsynth meta`` does (columns named as metafor's escalc
arguments), fits the model, then refits it many times with the batched kernels of
:mod:`evsynth.stats.resampling`. Heavy modules are imported only when a command runs.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from evsynth.stats.resampling.gosh import GoshModel
    from evsynth.stats.results import RMAResult

_common = [
    click.argument("data", type=click.Path(dir_okay=False, path_type=Path)),
    click.option(
        "--measure",
        default=None,
        metavar="M",
        help="metafor measure code; inferred from the columns when omitted.",
    ),
    click.option(
        "--method",
        default="REML",
        show_default=True,
        metavar="X",
        help="FE, DL, HE, HS, SJ, ML, REML, EB or PM.",
    ),
    click.option(
        "--seed",
        type=int,
        default=None,
        help="Seed of the random draws (one is drawn and reported when omitted).",
    ),
    click.option(
        "--workers", type=int, default=1, show_default=True, help="Local worker processes."
    ),
    click.option(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Run on a Dask scheduler (tcp://host:8786) instead of locally.",
    ),
    click.option(
        "--progress/--no-progress",
        default=True,
        show_default=True,
        help="Progress bar on stderr (when stderr is a terminal).",
    ),
]


def _options(func: Any) -> Any:
    for decorator in reversed(_common):
        func = decorator(func)
    return func


def one_blas_thread() -> None:
    """Ask numpy's OpenBLAS for one thread, when numpy is not imported yet and the user has not
    chosen a number (``OPENBLAS_NUM_THREADS``).

    At import, OpenBLAS starts a thread per core and allocates a buffer for each, about 0.1 s of
    every short command; these commands run in parallel with worker processes (``--workers``,
    Dask, whose workers also use one BLAS thread each), never inside BLAS, whose matrices here
    are tiny. Results are unchanged (tested bit for bit on every estimator).
    """
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def show_progress(progress: bool) -> bool:
    """Draw the progress bar only on a terminal: elsewhere rich draws nothing anyway (a
    redirected stderr gets no bar), and not importing it saves about 0.05 s."""
    return progress and sys.stderr.isatty()


#: glibc's mallopt parameters and the values set by :func:`keep_freed_memory`
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
_MALLOC_SETTINGS = (
    (_M_MMAP_THRESHOLD, 32 * 2**20),  # glibc's maximum on 64-bit systems
    (_M_TRIM_THRESHOLD, 256 * 2**20),
    (_M_TOP_PAD, 16 * 2**20),
)


def keep_freed_memory() -> None:
    """Let glibc's malloc keep the memory numpy frees, for the next chunk's arrays.

    By default glibc gives each large array (from 128 kB, a threshold it raises as arrays are
    freed) its own mapping and returns freed memory at the top of the heap to the system, so
    every chunk of a GOSH touches fresh pages: a 16-study GOSH took some 16,000 extra page
    faults, about 0.04 s of system time of its 0.45 s. Arrays up to 32 MB now come from the
    heap, which keeps up to 256 MB of freed memory; the memory a run needs is unchanged (chunks
    bound it) and is returned when the process ends. No effect off glibc (mallopt missing,
    or a no-op as in musl); numbers are unchanged.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    for param, value in _MALLOC_SETTINGS:
        mallopt(param, value)


def _two_studies(k: int, data: Path, what: str) -> None:
    """An input error naming the file when fewer than two studies have an effect size."""
    if k < 2:
        from evsynth.errors import InputError

        raise InputError(f"{what} needs at least two studies with an effect size", file=data)


def _where(workers: int, scheduler: str | None) -> None:
    from evsynth.errors import InputError

    if scheduler is not None and workers != 1:
        raise InputError("Give either --workers or --scheduler, not both", column="workers")
    if workers < 1:
        raise InputError(f"--workers must be at least 1, not {workers}", column="workers")


def load_model(
    data: Path, measure: str | None, method: str, test: str = "z", mods: tuple[str, ...] = ()
) -> RMAResult:
    """Read the table, compute effect sizes and fit ``rma`` (moderator columns by name)."""
    from evsynth.stats.models import rma

    yi, vi, frame, slab, measure_code = _load_inputs(data, measure, method, mods)
    from evsynth.errors import InputError

    try:
        return rma(yi, vi, method=method, test=test, mods=frame, slab=slab, measure=measure_code)
    except InputError as err:  # a model that cannot be fitted: say which file
        raise err.located(file=data) from None


def load_gosh_model(
    data: Path, measure: str | None, method: str, mods: tuple[str, ...] = ()
) -> GoshModel:
    """As :func:`load_model`, checked the same way, but without fitting all studies: that fit
    is the GOSH table's last row, and its tests would import scipy for nothing."""
    from evsynth.errors import InputError
    from evsynth.stats.resampling.gosh import gosh_model

    yi, vi, frame, slab, measure_code = _load_inputs(data, measure, method, mods)
    try:
        return gosh_model(yi, vi, method=method, mods=frame, slab=slab, measure=measure_code)
    except InputError as err:  # a model that cannot be fitted: say which file
        raise err.located(file=data) from None


def _load_inputs(
    data: Path, measure: str | None, method: str, mods: tuple[str, ...]
) -> tuple[Any, Any, dict[str, Any] | None, list[str], str]:
    """The effect sizes of the studies that have one, their moderators and labels."""
    import numpy as np

    from evsynth.dataio.effects import effect_sizes_from_table, table_frame
    from evsynth.dataio.tables import read_table
    from evsynth.errors import InputError

    if method.upper() in ("MH", "PETO"):
        raise InputError(
            f"--method {method.upper()}: resampling needs an inverse-variance "
            "method (FE, DL, HE, HS, SJ, ML, REML, EB, PM)",
            column="method",
        )
    parsed = read_table(data)
    # the effect sizes without the DataFrame of the table (pandas), built only for moderators
    es = effect_sizes_from_table(parsed, measure)
    keep = np.isfinite(es.yi) & np.isfinite(es.vi)
    if not keep.any():
        raise InputError("no study has an estimable effect size", file=str(data))
    labels = es.labels()
    names = [m.strip() for spec in mods for m in spec.split(",") if m.strip()]
    frame: dict[str, Any] | None = None
    if names:
        table = table_frame(parsed, es.measure)
        lower = {str(c).lower(): str(c) for c in table.columns}
        frame = {}
        for name in names:
            col = lower.get(name.lower())
            if col is None:
                raise InputError(
                    f"no moderator column '{name}'", file=str(data), row=1, column=name
                )
            values = table[col].to_numpy()[keep]
            lines = table.index.to_numpy()[keep]
            missing = [
                i for i, x in enumerate(values) if (isinstance(x, float) and np.isnan(x)) or x == ""
            ]
            if missing:
                raise InputError(
                    "missing moderator value",
                    file=str(data),
                    row=int(lines[missing[0]]),
                    column=col,
                )
            frame[col] = values
    slab = [labels[i] for i in np.flatnonzero(keep)]
    return es.yi[keep], es.vi[keep], frame, slab, str(es.measure)


def _render(fig: Any, path: Path) -> bytes:
    from evsynth.report.figures._style import figure_bytes, figure_format

    return figure_bytes(fig, figure_format(path))


def _check_plot(path: Path | None) -> None:
    if path is not None:
        from evsynth.report.figures._style import figure_format

        figure_format(path)


def _echo(payload: dict[str, Any], text: str, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(payload, indent=2, allow_nan=False))
    else:
        click.echo(text)


def _clean(obj: Any) -> Any:
    """NaN and infinities become null so the JSON stays standard."""
    import math

    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


# ---------------------------------------------------------------------- gosh
#: rows formatted at once when writing the GOSH table
CSV_BLOCK = 100_000


def write_gosh_csv(result: Any, columns: Any, handle: Any) -> None:
    """Write the GOSH table as pandas' ``to_csv`` would, several times faster.

    Numbers get Python's shortest round-trip representation (``repr``: full precision), a
    missing value is an empty cell; the 0/1 columns are built as bytes. A 16-study GOSH
    (65,535 rows) takes about 0.08 s instead of 0.24 s (see :func:`_number_rows`).
    """
    import numpy as np

    handle.write(",".join(str(c) for c in columns) + "\n")
    stats = np.column_stack([values for _name, values in result.columns()])
    k = result.incl.shape[1]
    for start in range(0, stats.shape[0], CSV_BLOCK):
        numbers = _number_rows(stats[start : start + CSV_BLOCK])
        incl = result.incl[start : start + CSV_BLOCK]
        # ",0,1,...,1\n" per row: a comma before each study's 0/1 and the line end
        chars = np.full((incl.shape[0], 2 * k + 1), ord(","), dtype=np.uint8)
        chars[:, 1:-1:2] = incl.astype(np.uint8) + ord("0")
        chars[:, -1] = ord("\n")
        flags = chars.view(f"S{2 * k + 1}").ravel().astype(str).tolist()
        handle.write("".join(map(str.__add__, numbers, flags)))


#: where pydantic-core's JSON numbers are Python's repr: plain decimals (repr switches to an
#: exponent below 1e-4 and from 1e16), and below 2^49, where the shortest round-trip digits are
#: unique (no two shortest candidates lie equally near the number; both round half to even there)
_JSON_IS_REPR = (1e-4, 1e14)


def _number_rows(block: Any) -> list[str]:
    """Each row of ``block`` as comma-separated cells: ``repr`` of each number, an empty cell
    for NaN (as pandas writes).

    CPython's float repr (about 0.5 us for 17 digits) was most of the writer's time; the JSON
    encoder of pydantic-core (a dependency, via pydantic) writes the same shortest round-trip
    digits about five times faster, and a nested list comes back with each row's cells
    already joined. Its text equals ``repr`` for zero and for magnitudes in [1e-4, 1e14)
    (tested against repr on 26 million numbers, and in tests/stats/test_resampling_cli.py);
    rows with any other value (NaN, infinities, tiny or huge numbers) are written by ``repr``.
    """
    import numpy as np
    from pydantic_core import to_json

    if block.shape[0] == 0:
        return []
    text = to_json(block.tolist()).decode("ascii")
    rows = text[2:-2].split("],[")  # "[[a,b],[c,d]]"
    lo, hi = _JSON_IS_REPR
    size = np.abs(block)
    with np.errstate(invalid="ignore"):
        plain = ((size >= lo) & (size < hi)) | (block == 0.0)
    for i in np.flatnonzero(~plain.all(axis=1)).tolist():
        rows[i] = ",".join(["" if x != x else repr(x) for x in block[i].tolist()])
    return rows


@click.command(name="gosh")
@_options
@click.option(
    "--max-subsets",
    type=int,
    default=None,
    metavar="N",
    help="Fit all subsets when there are at most N (default 1,000,000), else N random.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="CSV: one row per subset, columns estimate Q I2 H2 tau2 and a 0/1 per study.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="GOSH plot (.png, .svg or .pdf).",
)
@click.option(
    "--mods",
    multiple=True,
    metavar="COL",
    help="Moderator column(s): GOSH of the meta-regression (one column per coefficient).",
)
@click.option(
    "--outliers/--no-outliers",
    default=False,
    show_default=True,
    help="Cluster the GOSH points and name the studies that drive the clusters.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "text"]),
    default="text",
    show_default=True,
    help="Summary on stdout.",
)
def gosh(
    data: Path,
    measure: str | None,
    method: str,
    seed: int | None,
    workers: int,
    scheduler: str | None,
    progress: bool,
    max_subsets: int | None,
    out: Path,
    plot: Path | None,
    mods: tuple[str, ...],
    outliers: bool,
    fmt: str,
) -> None:
    """Fit the model to every subset of the studies in DATA.csv (metafor's gosh)."""
    one_blas_thread()
    keep_freed_memory()
    from evsynth.fileio import atomic_write, write_bytes_atomic
    from evsynth.stats.resampling.gosh import gosh as run_gosh

    _where(workers, scheduler)
    _check_plot(plot)
    res = load_gosh_model(data, measure, method, mods)
    _two_studies(res.X.shape[0], data, "GOSH")
    result = run_gosh(
        res,
        max_subsets=max_subsets,
        seed=seed,
        workers=workers,
        scheduler=scheduler,
        progress=show_progress(progress),
    )
    columns = result.column_names()  # checks the labels can name columns
    found = None
    if outliers:
        from evsynth.stats.resampling.outliers import gosh_outliers

        found = gosh_outliers(result)
    picture = None
    if plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        # with a cluster analysis, the plot shows the k-means clusters it found
        clusters = found.findings[0].labels if found is not None else None
        rows = found.rows if found is not None else None
        picture = _render(_gosh_figure(result, clusters, rows), plot)
    with atomic_write(out, "w") as handle:
        write_gosh_csv(result, columns, handle)
    if picture is not None and plot is not None:
        write_bytes_atomic(plot, picture)
    payload: dict[str, Any] = {
        "file": str(data),
        "out": str(out),
        "method": result.method,
        "measure": result.measure,
        "k": len(result.slab),
        "subsets": result.n_subsets,
        "exact": result.exact,
        "seed": result.seed,
        # fits that did not converge (metafor: NA; here the engine's fallback estimate)
        "not_converged": 0 if result.converged is None else int((~result.converged).sum()),
    }
    text = result.summary() + f"\nWrote {result.n_subsets} rows to {out}."
    if found is not None:
        payload["outliers"] = found.to_dict()
        text += "\n" + found.summary()
    _echo(_clean(payload), text, fmt)


def _gosh_figure(result: Any, clusters: Any, rows: Any) -> Any:
    """The GOSH plot, coloured by clusters when a cluster analysis was run (on its sample)."""
    if clusters is None:
        return result.plot()
    import numpy as np

    labels = np.full(result.n_subsets, -1)
    labels[rows] = clusters
    if rows.size < result.n_subsets:
        # only the clustered sample has labels; draw that sample
        from dataclasses import replace

        sample = replace(
            result,
            incl=result.incl[rows],
            estimate=result.estimate[rows],
            Q=result.Q[rows],
            I2=result.I2[rows],
            H2=result.H2[rows],
            tau2=result.tau2[rows],
            coefficients=None if result.coefficients is None else result.coefficients[rows],
            converged=None if result.converged is None else result.converged[rows],
        )
        k = len(result.slab)
        return sample.plot(
            clusters=clusters,
            title=f"GOSH plot: a sample of {rows.size:,} of {result.n_subsets:,} subsets of "
            f"{k} studies, clustered (k-means)",
        )
    return result.plot(clusters=labels)


# ---------------------------------------------------------------------- permutation test
@click.command(name="permutation-test")
@_options
@click.option(
    "--test",
    type=click.Choice(["z", "knha"], case_sensitive=False),
    default="z",
    show_default=True,
    help="z, or knha (Knapp-Hartung).",
)
@click.option(
    "--exact",
    is_flag=True,
    default=False,
    help="Every permutation (2^k sign flips, or all distinct moderator orders).",
)
@click.option(
    "--iterations",
    type=int,
    default=1000,
    show_default=True,
    metavar="N",
    help="Random permutations (the test is exact anyway when that needs at most N).",
)
@click.option(
    "--mods",
    multiple=True,
    metavar="COL",
    help="Moderator column (repeat, or separate by commas): test the moderators.",
)
@click.option(
    "--nonconverged",
    type=click.Choice(["drop", "keep"]),
    default="drop",
    show_default=True,
    help="Leave out permutations whose fit does not converge (as metafor), or keep "
    "them with the engine's fallback estimate.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Plot of the permutation distribution (.png, .svg or .pdf).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["json", "text"]), default="text", show_default=True
)
def permutation_test(
    data: Path,
    measure: str | None,
    method: str,
    seed: int | None,
    workers: int,
    scheduler: str | None,
    progress: bool,
    test: str,
    exact: bool,
    iterations: int,
    mods: tuple[str, ...],
    nonconverged: str,
    plot: Path | None,
    fmt: str,
) -> None:
    """Permutation test of the pooled effect or of the moderators (metafor's permutest)."""
    one_blas_thread()
    from evsynth.fileio import write_bytes_atomic
    from evsynth.stats.resampling.permutation import permutation_test as run_test

    _where(workers, scheduler)
    _check_plot(plot)
    res = load_model(data, measure, method, test.lower(), mods)
    result = run_test(
        res,
        exact=exact,
        iterations=iterations,
        seed=seed,
        nonconverged=nonconverged,
        workers=workers,
        scheduler=scheduler,
        progress=show_progress(progress),
    )
    if plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        write_bytes_atomic(plot, _render(result.plot(), plot))
    payload = {"file": str(data), **result.to_dict()}
    _echo(_clean(payload), result.summary(), fmt)


# ---------------------------------------------------------------------- bootstrap
@click.command(name="bootstrap")
@_options
@click.option(
    "--kind",
    type=click.Choice(["nonparametric", "parametric"]),
    default="nonparametric",
    show_default=True,
    help="Resample studies, or simulate from the fitted model.",
)
@click.option("--replicates", type=int, default=1000, show_default=True, metavar="N")
@click.option(
    "--level", type=float, default=95.0, show_default=True, help="Confidence level (percent)."
)
@click.option("--mods", multiple=True, metavar="COL", help="Moderator column(s).")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "text"]), default="text", show_default=True
)
def bootstrap(
    data: Path,
    measure: str | None,
    method: str,
    seed: int | None,
    workers: int,
    scheduler: str | None,
    progress: bool,
    kind: str,
    replicates: int,
    level: float,
    mods: tuple[str, ...],
    fmt: str,
) -> None:
    """Bootstrap confidence intervals for the pooled estimate and tau^2."""
    one_blas_thread()
    from evsynth.stats._checks import check_level
    from evsynth.stats.resampling.bootstrap import bootstrap as run_bootstrap

    _where(workers, scheduler)
    lv = check_level(level)
    res = load_model(data, measure, method, "z", mods)
    _two_studies(res.k, data, "The bootstrap")
    result = run_bootstrap(
        res,
        kind=kind,
        replicates=replicates,
        seed=seed,
        level=lv,
        workers=workers,
        scheduler=scheduler,
        progress=show_progress(progress),
    )
    payload = {"file": str(data), **result.to_dict()}
    _echo(_clean(payload), result.summary(), fmt)
