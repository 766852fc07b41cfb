"""Running independent chunks of work: in this process, in local processes, or on Dask.

Every resampling analysis is cut into chunks that depend only on their own description (a range
of subsets, a block of sign flips with its own random stream), so the result never depends on
where or in which order the chunks ran. ``map_chunks`` returns results in chunk order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from evsynth.errors import InputError

T = TypeVar("T")
R = TypeVar("R")


@contextmanager
def _progress(total: int, description: str, enabled: bool) -> Iterator[Callable[[int], None]]:
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


def map_chunks(
    func: Callable[[T], R],
    tasks: Sequence[T],
    *,
    sizes: Sequence[int] | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    progress: bool = False,
    description: str = "Fitting",
) -> list[R]:
    """Apply ``func`` to every task and return the results in task order.

    Parameters
    ----------
    func : callable
        A module-level function (it is pickled for worker processes and Dask).
    tasks : sequence
        Chunk descriptions.
    sizes : sequence of int, optional
        Models per chunk, for the progress bar (1 per chunk by default).
    workers : int
        Local worker processes; 1 runs in this process.
    scheduler : str, optional
        Address of a ``dask.distributed`` scheduler (``tcp://host:8786``); overrides
        ``workers``.
    progress : bool
        Show a rich progress bar on stderr.
    """
    if scheduler is not None:
        from evsynth.stats.resampling.distributed import map_on_dask

        return map_on_dask(func, tasks, scheduler, sizes=sizes, progress=progress)
    if workers < 1:
        raise InputError(f"Invalid workers {workers}; expected 1 or more", column="workers")
    weights = list(sizes) if sizes is not None else [1] * len(tasks)
    out: list[R] = []
    if workers == 1 or len(tasks) == 1:
        with _progress(sum(weights), description, progress) as advance:
            for task, n in zip(tasks, weights, strict=True):
                out.append(func(task))
                advance(n)
        return out
    # imported here: a run in this process need not load multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        # submit (and so fork the workers) before the progress bar starts its refresh thread
        futures = [pool.submit(func, task) for task in tasks]
        with _progress(sum(weights), description, progress) as advance:
            for fut, n in zip(futures, weights, strict=True):
                out.append(fut.result())
                advance(n)
    return out


def progress_bar(total: int, description: str, enabled: bool) -> Any:
    """The progress bar context used by :func:`map_chunks` (for callers with their own loop)."""
    return _progress(total, description, enabled)
