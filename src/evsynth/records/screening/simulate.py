"""Simulated priority screening on labelled records: recall curve, WSS@95, RRF@10.

The simulation replays what a team would see: it starts from one included and one excluded
record chosen by the seed (the "prior knowledge"), then repeatedly trains the ranking model on
the records screened so far and screens the next record(s) it ranks highest, until every record
is screened. The labels are only revealed for records as they are screened.

Metrics (the two records of prior knowledge are counted as screened, first):

- ``wss95``: work saved over sampling at 95 % recall (Cohen et al. 2006),
  ``(TN + FN) / N - (1 - 0.95)`` at the point where ``ceil(0.95 R)`` of the ``R`` relevant
  records have been found; the records not yet screened then are the TN + FN.
- ``rrf10``: relevant records found, the share of the ``R`` relevant records found after
  screening ``ceil(0.10 N)`` records (10 % of the records).
- ``screened_to_last``: records screened when the last relevant one was found.
- ``longest_gap``: most irrelevant records screened in a row before that point (what a
  "stop after N irrelevant in a row" rule would have needed to exceed).

References
----------
.. [1] Cohen AM, Hersh WR, Peterson K, Yen PY. Reducing workload in systematic review
   preparation using automated citation classification. JAMIA 2006;13(2):206-219.
.. [2] Ferdinands G, Schram R, de Bruin J, et al. Performance of active learning models for
   screening prioritization in systematic reviews: a simulation study into the Average Time to
   Discover relevant records. Systematic Reviews 2023;12:100.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from evsynth.errors import InputError
from evsynth.records.screening.priority import (
    DEFAULT_SETTINGS,
    PrioritySettings,
    batch_after,
    feature_matrix,
    record_text,
    relevance_scores,
)


def _ceil_percent(percent: int, total: int) -> int:
    # Integer arithmetic: 0.95 * R in floating point can land just above an integer.
    return (percent * total + 99) // 100


def records_to_recall(found: Sequence[int] | NDArray[Any], recall_percent: int = 95) -> int:
    """Records screened (1-based position) when ``recall_percent`` % of relevant ones are found."""
    hits = np.asarray(found, dtype=np.int64)
    relevant = int(hits.sum())
    if relevant == 0:
        raise InputError("no relevant records: recall is undefined")
    needed = _ceil_percent(recall_percent, relevant)
    return int(np.searchsorted(np.cumsum(hits), needed) + 1)


def wss(found: Sequence[int] | NDArray[Any], recall_percent: int = 95) -> float:
    """Work saved over sampling at a recall level (Cohen et al. 2006), as a fraction.

    ``found`` holds 1 for a relevant record and 0 otherwise, in the order screened.
    """
    n = len(found)
    screened = records_to_recall(found, recall_percent)
    return (n - screened) / n - (1.0 - recall_percent / 100.0)


def rrf(found: Sequence[int] | NDArray[Any], percent_screened: int = 10) -> float:
    """Share of relevant records found after screening ``percent_screened`` % of the records."""
    hits = np.asarray(found, dtype=np.int64)
    relevant = int(hits.sum())
    if relevant == 0:
        raise InputError("no relevant records: recall is undefined")
    screened = _ceil_percent(percent_screened, len(hits))
    return float(hits[:screened].sum()) / relevant


@dataclass(frozen=True)
class SimulationResult:
    """One simulated screening run. ``found[i]`` is 1 when the i-th screened record is relevant."""

    order: tuple[str, ...]
    found: tuple[int, ...]
    seed: int
    settings: PrioritySettings

    @property
    def records(self) -> int:
        return len(self.order)

    @property
    def relevant(self) -> int:
        return sum(self.found)

    @property
    def wss95(self) -> float:
        return wss(self.found, 95)

    @property
    def rrf10(self) -> float:
        return rrf(self.found, 10)

    @property
    def screened_to_last(self) -> int:
        return max(i for i, hit in enumerate(self.found, start=1) if hit)

    @property
    def longest_gap(self) -> int:
        """Most irrelevant records screened in a row before the last relevant one was found.

        A team that stops after that many irrelevant records in a row would have missed a
        relevant record; the value informs such a stopping rule for reviews like this one.
        """
        gap = longest = 0
        for hit in self.found[: self.screened_to_last]:
            gap = 0 if hit else gap + 1
            longest = max(longest, gap)
        return longest

    def recall_curve(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Share of records screened (x) against share of relevant records found (y)."""
        n = len(self.found)
        x = np.arange(0, n + 1, dtype=np.float64) / n
        y = np.concatenate([[0.0], np.cumsum(self.found, dtype=np.float64) / self.relevant])
        return x, y

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``evsynth screen simulate``."""
        return {
            "records": self.records,
            "relevant": self.relevant,
            "wss95": self.wss95,
            "rrf10": self.rrf10,
            "screened_to_last": self.screened_to_last,
            "longest_gap": self.longest_gap,
            "order": list(self.order),
            "seed": self.seed,
        }

    def summary(self) -> str:
        return (
            f"Simulated priority screening (seed {self.seed}): {self.records} records, "
            f"{self.relevant} relevant\n"
            f"  WSS@95 {self.wss95:.3f}; RRF@10 {self.rrf10:.3f}; "
            f"last relevant record found after {self.screened_to_last} "
            f"({100 * self.screened_to_last / self.records:.1f} %); longest run of irrelevant "
            f"records before it {self.longest_gap}"
        )

    def plot_recall(self, ax: Any = None) -> Any:
        """The recall curve against random and perfect ordering; returns the Figure."""
        from matplotlib.figure import Figure

        if ax is None:
            fig = Figure(figsize=(6.0, 4.5))
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        x, y = self.recall_curve()
        n, r = self.records, self.relevant
        ax.plot(x, y, color="#1f5fa8", lw=1.8, label="priority screening")
        ax.plot([0, 1], [0, 1], color="0.5", ls="--", lw=1, label="random order (expected)")
        ax.plot([0, r / n, 1], [0, 1, 1], color="0.3", ls=":", lw=1, label="perfect order")
        at95 = records_to_recall(self.found, 95) / n
        ax.axvline(at95, color="#c0392b", lw=0.8)
        right = at95 < 0.55  # put the label on the side of the line with room for it
        ax.annotate(
            f"95 % recall after {100 * at95:.1f} % screened\nWSS@95 = {self.wss95:.3f}",
            xy=(at95, 0.95),
            xytext=(at95 + 0.06 if right else at95 - 0.06, 0.5),
            ha="left" if right else "right",
            fontsize=8,
            arrowprops={"arrowstyle": "->", "lw": 0.6},
        )
        ax.axvline(0.1, color="#27ae60", lw=0.8)
        ax.text(0.105, 0.05, f"RRF@10 = {self.rrf10:.3f}", fontsize=8, color="#27ae60")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("Share of records screened")
        ax.set_ylabel("Share of relevant records found (recall)")
        ax.set_title(f"Recall curve ({n} records, {r} relevant, seed {self.seed})", fontsize=10)
        ax.legend(loc="lower right", fontsize=8)
        return fig


def simulate(
    ids: Sequence[str],
    texts: Sequence[str],
    labels: Sequence[int],
    *,
    seed: int = 0,
    settings: PrioritySettings = DEFAULT_SETTINGS,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Replay priority screening on labelled records.

    Parameters
    ----------
    ids, texts, labels
        Record IDs, their title and abstract, and 1 for included / 0 for excluded.
    seed
        Chooses the two records of prior knowledge (one included, one excluded).
    settings
        The ranking model's settings (``batch_size``: records screened between retrainings).
    progress
        Called with (records screened, total) after each batch.
    """
    y = np.asarray(labels, dtype=np.int_)
    n = len(ids)
    if not (len(texts) == n == len(y)):
        raise InputError("ids, texts and labels differ in length")
    if not (y.sum() >= 1 and (y == 0).sum() >= 1):
        raise InputError("a simulation needs at least one included and one excluded record")
    rng = np.random.default_rng(seed)
    first = [int(rng.choice(np.flatnonzero(y == 1))), int(rng.choice(np.flatnonzero(y == 0)))]
    features = feature_matrix(list(texts), settings)
    screened: list[int] = list(first)
    is_screened = np.zeros(n, dtype=bool)
    is_screened[first] = True
    while len(screened) < n:
        idx = np.asarray(screened, dtype=np.intp)
        scores = relevance_scores(features, idx, y[idx], settings)
        remaining = np.flatnonzero(~is_screened)
        if scores is None:
            # No usable text: the records' own order (a reproducible stand-in for "no model").
            batch = remaining[: batch_after(settings, len(screened))]
        else:
            top = np.argsort(-scores[remaining], kind="stable")
            top = top[: batch_after(settings, len(screened))]
            batch = remaining[top]
        screened.extend(int(i) for i in batch)
        is_screened[batch] = True
        if progress is not None:
            progress(len(screened), n)
    return SimulationResult(
        order=tuple(str(ids[i]) for i in screened),
        found=tuple(int(y[i]) for i in screened),
        seed=seed,
        settings=settings,
    )


def read_labelled(
    path: str | Path, settings: PrioritySettings = DEFAULT_SETTINGS
) -> tuple[list[str], list[str], list[int]]:
    """Labelled records from a CSV file with ``id title abstract label_included``.

    Returns IDs, texts (title and abstract as the model reads them, see
    :func:`~evsynth.records.screening.priority.record_text`) and labels (1 included, 0 excluded).
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise InputError("file not found", file=file) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", file=file) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ("id", "title", "abstract", "label_included") if c not in header]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=file, row=1)
    reader.fieldnames = header
    ids: list[str] = []
    texts: list[str] = []
    labels: list[int] = []
    seen: set[str] = set()
    line = reader.line_num + 1
    for row in reader:
        record_id = (row.get("id") or "").strip()
        if not record_id:
            raise InputError("empty id", file=file, row=line, column="id")
        if record_id in seen:
            raise InputError(f"duplicate id {record_id!r}", file=file, row=line, column="id")
        seen.add(record_id)
        value = (row.get("label_included") or "").strip().lower()
        if value in {"1", "1.0", "true", "yes", "include", "included"}:
            labels.append(1)
        elif value in {"0", "0.0", "false", "no", "exclude", "excluded"}:
            labels.append(0)
        else:
            raise InputError(
                f"expected 1 or 0, got {value!r}", file=file, row=line, column="label_included"
            )
        ids.append(record_id)
        texts.append(record_text(row, settings))
        line = reader.line_num + 1
    if not ids:
        raise InputError("no records", file=file)
    return ids, texts, labels
