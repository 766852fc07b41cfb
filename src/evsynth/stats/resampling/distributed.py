"""The batched kernels on a Dask cluster (``dask.distributed``), for work beyond one machine.

Point any resampling analysis at a scheduler (``gosh(..., scheduler="tcp://host:8786")``,
``evsynth gosh ... --scheduler tcp://host:8786``): its chunks are submitted as tasks, run on the
cluster's workers (which need evsynth installed) and gathered in chunk order. Chunks carry their
own random streams, so a cluster run gives exactly the numbers of a local run.

References
----------
Rocklin M (2015). Dask: parallel computation with blocked algorithms and task scheduling.
Proceedings of the 14th Python in Science Conference, 130-136.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from evsynth.errors import InputError

T = TypeVar("T")
R = TypeVar("R")


def map_on_dask(
    func: Callable[[T], R],
    tasks: Sequence[T],
    address: str,
    *,
    sizes: Sequence[int] | None = None,
    progress: bool = False,
) -> list[R]:
    """Run ``func`` on every task on the Dask scheduler at ``address``; results in task order.

    Raises
    ------
    evsynth.errors.InputError
        When no scheduler answers at ``address``.
    """
    from distributed import Client, as_completed

    from evsynth.stats.resampling.chunks import progress_bar

    try:
        client = Client(address, timeout="10s", set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise InputError(
            f"Cannot reach the Dask scheduler at '{address}': {exc}", column="scheduler"
        ) from None
    weights = list(sizes) if sizes is not None else [1] * len(tasks)
    try:
        # pure=False: identical task descriptions (two equal chunks) must still both run
        futures = client.map(func, list(tasks), pure=False)
        position = {f.key: i for i, f in enumerate(futures)}
        with progress_bar(sum(weights), "Fitting on Dask", progress) as advance:
            for fut in as_completed(futures, loop=client.loop):  # type: ignore[no-untyped-call]
                advance(weights[position[fut.key]])
        results: list[R] = client.gather(futures)  # type: ignore[no-untyped-call]
    finally:
        client.close()  # type: ignore[no-untyped-call]
    return results
