"""Model fitting: evsynth's rma / influence beside metafor's rma / influence, in one run.

For k = 10, 100 and 1000 studies and the DL, REML and PM estimators (Knapp-Hartung tests),
times the in-process fit (best of 5 batches; metafor timed inside R with proc.time, so R's start
is not counted), then influence() for k = 50. Prints ratios (evsynth / metafor; below 1 is
faster) and writes benchmarks/results/rma.json.
Run: ``.venv/bin/python benchmarks/bench_rma.py`` (needs Rscript with metafor for the ratios).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from evsynth.fileio import write_text_atomic
from evsynth.stats.influence import influence
from evsynth.stats.models import rma

ROOT = Path(__file__).resolve().parents[1]
SIZES = (10, 100, 1000)
METHODS = ("DL", "REML", "PM")
REPS = {10: 50, 100: 20, 1000: 3}
R_TIMER = r"""
suppressMessages(library(metafor))
args <- commandArgs(TRUE)
d <- read.csv(args[1]); reps <- as.integer(args[3])
best <- Inf
for (b in 1:5) {
  t0 <- proc.time()[["elapsed"]]
  for (i in 1:reps) {
    if (args[2] == "influence") invisible(influence(rma(yi, vi, data = d, method = "REML")))
    else invisible(rma(yi, vi, data = d, method = args[2], test = "knha"))
  }
  best <- min(best, (proc.time()[["elapsed"]] - t0) / reps)
}
cat(best)
"""


def _data(k: int, folder: Path) -> tuple[np.ndarray, np.ndarray, Path]:
    rng = np.random.default_rng(k)
    vi = rng.uniform(0.01, 0.5, k)
    yi = rng.normal(0.3, np.sqrt(vi + 0.1))
    path = folder / f"es_{k}.csv"
    rows = [f"{float(yi[i])!r},{float(vi[i])!r}" for i in range(k)]
    path.write_text("yi,vi\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return yi, vi, path


def _best(fn: object, reps: int) -> float:
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()  # type: ignore[operator]
        best = min(best, (time.perf_counter() - t0) / reps)
    return best


def _r(rscript: str | None, timer: Path, path: Path, what: str, reps: int) -> float | None:
    if rscript is None:
        return None
    out = subprocess.run(
        [rscript, str(timer), str(path), what, str(reps)], check=True, capture_output=True
    )
    return float(out.stdout.decode())


def main() -> int:
    rscript = shutil.which("Rscript")
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        timer = folder / "rma_timer.R"
        timer.write_text(R_TIMER, encoding="utf-8")
        for k in SIZES:
            yi, vi, path = _data(k, folder)
            for method in METHODS:
                reps = REPS[k]
                ours = _best(lambda: rma(yi, vi, method=method, test="knha"), reps)  # noqa: B023
                theirs = _r(rscript, timer, path, method, reps)
                rows.append(
                    {
                        "task": f"rma {method} knha",
                        "k": k,
                        "evsynth_s": ours,
                        "metafor_s": theirs,
                        "ratio": None if not theirs else ours / theirs,
                    }
                )
        yi, vi, path = _data(50, folder)
        ours = _best(lambda: influence(rma(yi, vi, method="REML")), 3)
        theirs = _r(rscript, timer, path, "influence", 3)
        rows.append(
            {
                "task": "influence REML",
                "k": 50,
                "evsynth_s": ours,
                "metafor_s": theirs,
                "ratio": None if not theirs else ours / theirs,
            }
        )
    print(f"{'task':<18} {'k':>5} {'evsynth (ms)':>13} {'metafor (ms)':>13} {'ratio':>7}")
    for r in rows:
        ours_ms = 1000 * float(str(r["evsynth_s"]))
        theirs_ms = "" if r["metafor_s"] is None else f"{1000 * float(str(r['metafor_s'])):.3f}"
        ratio = "" if r["ratio"] is None else f"{float(str(r['ratio'])):.2f}"
        print(f"{r['task']:<18} {r['k']:>5} {ours_ms:13.3f} {theirs_ms:>13} {ratio:>7}")
    write_text_atomic(ROOT / "benchmarks" / "results" / "rma.json", json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
