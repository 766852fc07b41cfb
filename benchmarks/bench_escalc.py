"""Effect sizes from a table: evsynth's read_effect_table + escalc beside R's read.csv + escalc.

Times, in one run on the same CSV files, (1) the in-process work (reading the file and computing
yi/vi; best of 5) and (2) a whole process from start to finish (``python -c`` importing evsynth
vs ``Rscript`` loading metafor). Prints the ratios and writes benchmarks/results/escalc.json.
Run: ``.venv/bin/python benchmarks/bench_escalc.py`` (needs Rscript with metafor).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from evsynth.dataio import read_effect_table
from evsynth.fileio import write_text_atomic

ROOT = Path(__file__).resolve().parents[1]
SIZES = (100, 10_000, 100_000)
R_TIMER = r"""
suppressMessages(library(metafor))
args <- commandArgs(TRUE)
best <- Inf
for (i in seq_len(as.integer(args[3]))) {
  t0 <- proc.time()[["elapsed"]]
  d <- read.csv(args[1])
  if (args[2] == "OR") es <- escalc("OR", ai = ai, bi = bi, ci = ci, di = di, data = d)
  if (args[2] == "SMD") es <- escalc("SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i,
                                     sd2i = sd2i, n2i = n2i, data = d)
  best <- min(best, proc.time()[["elapsed"]] - t0)
}
cat(best)
"""


def _tables(k: int, folder: Path) -> dict[str, Path]:
    rng = np.random.default_rng(k)
    n1, n2 = rng.integers(5, 500, k), rng.integers(5, 500, k)
    a, c = rng.binomial(n1, 0.2), rng.binomial(n2, 0.3)
    binary = folder / f"or_{k}.csv"
    rows = [f"S{i},{a[i]},{n1[i] - a[i]},{c[i]},{n2[i] - c[i]}" for i in range(k)]
    binary.write_text("study,ai,bi,ci,di\n" + "\n".join(rows) + "\n", encoding="utf-8")
    means = folder / f"smd_{k}.csv"
    m1, m2 = rng.normal(10, 2, k), rng.normal(9, 2, k)
    s1, s2 = rng.uniform(1, 4, k), rng.uniform(1, 4, k)
    rows = [
        f"S{i},{m1[i]:.4f},{s1[i]:.4f},{n1[i]},{m2[i]:.4f},{s2[i]:.4f},{n2[i]}" for i in range(k)
    ]
    means.write_text("study,m1i,sd1i,n1i,m2i,sd2i,n2i\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return {"OR": binary, "SMD": means}


def _best_python(path: Path, measure: str) -> float:
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        read_effect_table(path, measure)
        best = min(best, time.perf_counter() - t0)
    return best


def _wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> int:
    rscript = shutil.which("Rscript")
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        r_file = folder / "escalc_timer.R"
        r_file.write_text(R_TIMER, encoding="utf-8")
        for k in SIZES:
            for measure, path in _tables(k, folder).items():
                row: dict[str, object] = {"k": k, "measure": measure}
                row["evsynth_s"] = _best_python(path, measure)
                code = (
                    "from evsynth.dataio import read_effect_table; "
                    f"read_effect_table({str(path)!r}, {measure!r})"
                )
                row["evsynth_process_s"] = _wall([sys.executable, "-c", code])
                if rscript:
                    out = subprocess.run(
                        [rscript, str(r_file), str(path), measure, "5"],
                        check=True,
                        capture_output=True,
                        text=True,
                    )
                    row["metafor_s"] = float(out.stdout.strip())
                    row["metafor_process_s"] = _wall(
                        [rscript, str(r_file), str(path), measure, "1"]
                    )
                    row["ratio_in_process"] = row["evsynth_s"] / max(row["metafor_s"], 1e-3)  # type: ignore[operator]
                    row["ratio_process"] = row["evsynth_process_s"] / row["metafor_process_s"]  # type: ignore[operator]
                results.append(row)
                print(
                    f"k={k:>7} {measure:<4} evsynth {row['evsynth_s']:.4f}s "
                    f"(process {row['evsynth_process_s']:.2f}s)"
                    + (
                        f"  metafor {row['metafor_s']:.4f}s "
                        f"(process {row['metafor_process_s']:.2f}s)"
                        f"  ratio {row['ratio_in_process']:.2f} / {row['ratio_process']:.2f}"
                        if rscript
                        else "  (Rscript not found)"
                    ),
                    flush=True,
                )
    write_text_atomic(
        ROOT / "benchmarks" / "results" / "escalc.json",
        json.dumps({"note": "in-process: best of 5 (read + effect sizes); process: one run from "
                    "interpreter start", "results": results}, indent=2) + "\n",
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
