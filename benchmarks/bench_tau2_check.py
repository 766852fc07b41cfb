"""Cost of checking ML/REML/EB/PM estimates against their defining equation, beside metafor.

For k = 10 and 1000 studies, times (best of 5 batches) ``rma`` with its default check, the check
alone (``check_tau2`` at the fitted tau^2: its share of an ``rma`` call is the slowdown the
check brings), ``rma`` with ``control={"strict_optimum": True}``, and metafor's ``rma`` on the
same data inside R (proc.time, R's start not counted). Also times the slow path: a fit whose
check fails and whose optimum is searched (the audit's set escalc089_ZCOR, k = 16).
Prints a table and writes benchmarks/results/tau2_check.json.
Run: ``.venv/bin/python benchmarks/bench_tau2_check.py`` (Rscript with metafor for its column).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from evsynth.fileio import write_text_atomic
from evsynth.stats._tau2_optimum import check_tau2
from evsynth.stats.models import rma

ROOT = Path(__file__).resolve().parents[1]
SIZES = (10, 1000)
METHODS = ("ML", "REML", "EB", "PM")
REPS = {10: 200, 1000: 20}
R_TIMER = r"""
suppressMessages(library(metafor))
args <- commandArgs(TRUE)
d <- read.csv(args[1]); reps <- as.integer(args[3])
best <- Inf
for (b in 1:5) {
  t0 <- proc.time()[["elapsed"]]
  for (i in 1:reps) invisible(rma(yi, vi, data = d, method = args[2]))
  best <- min(best, (proc.time()[["elapsed"]] - t0) / reps)
}
cat(best)
"""


def _best(fn: Callable[[], object], reps: int) -> float:
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        best = min(best, (time.perf_counter() - t0) / reps)
    return best


def _data(k: int, folder: Path) -> tuple[np.ndarray, np.ndarray, Path]:
    rng = np.random.default_rng(k)
    vi = rng.uniform(0.01, 0.5, k)
    yi = rng.normal(0.3, np.sqrt(vi + 0.1))
    path = folder / f"es_{k}.csv"
    rows = [f"{float(yi[i])!r},{float(vi[i])!r}" for i in range(k)]
    path.write_text("yi,vi\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return yi, vi, path


def _r(rscript: str | None, timer: Path, path: Path, method: str, reps: int) -> float | None:
    if rscript is None:
        return None
    out = subprocess.run(
        [rscript, str(timer), str(path), method, str(reps)], check=True, capture_output=True
    )
    return float(out.stdout.decode())


def main() -> int:
    rscript = shutil.which("Rscript")
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        timer = folder / "timer.R"
        timer.write_text(R_TIMER, encoding="utf-8")
        for k in SIZES:
            yi, vi, path = _data(k, folder)
            X = np.ones((k, 1))
            for method in METHODS:
                reps = REPS[k]
                tau2 = rma(yi, vi, method=method).tau2
                rows.append(
                    {
                        "k": k,
                        "method": method,
                        "rma_s": _best(lambda: rma(yi, vi, method=method), reps),  # noqa: B023
                        "check_s": _best(
                            lambda: check_tau2(method, tau2, yi - yi.mean(), vi, X, yi),  # noqa: B023
                            reps,
                        ),
                        "strict_s": _best(
                            lambda: rma(yi, vi, method=method, control={"strict_optimum": True}),  # noqa: B023
                            reps,
                        ),
                        "metafor_s": _r(rscript, timer, path, method, reps),
                    }
                )
    sets = json.loads((ROOT / "reference" / "metafor" / "audit_ml_optimum.json").read_text())
    case = sets["sets"][0]
    y, v = np.array(case["yi"]), np.array(case["vi"])
    slow = _best(lambda: rma(y, v, method="ML"), 20)
    print(
        f"{'k':>5} {'method':<6} {'rma ms':>8} {'check ms':>9} {'share':>6} {'strict ms':>10} "
        f"{'metafor ms':>11}"
    )
    for r in rows:
        share = float(str(r["check_s"])) / float(str(r["rma_s"]))
        r["check_share"] = share
        mf = "" if r["metafor_s"] is None else f"{1000 * float(str(r['metafor_s'])):.3f}"
        print(
            f"{r['k']:>5} {r['method']:<6} {1000 * float(str(r['rma_s'])):8.3f} "
            f"{1000 * float(str(r['check_s'])):9.3f} {share:6.1%} "
            f"{1000 * float(str(r['strict_s'])):10.3f} {mf:>11}"
        )
    print(f"failing check with optimum search ({case['name']}, k = {y.size}): {1000 * slow:.2f} ms")
    out = {"fits": rows, "failing_check": {"set": case["name"], "k": int(y.size), "rma_s": slow}}
    write_text_atomic(
        ROOT / "benchmarks" / "results" / "tau2_check.json", json.dumps(out, indent=2)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
