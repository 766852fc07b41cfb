"""A whole ``evsynth meta`` run beside ``Rscript`` with metafor, process start included.

The same CSV files (k = 10, 100, 1000 studies with ``yi`` and ``vi``) go through

- ``evsynth meta FILE --format json``: read, REML fit with Q-profile intervals for tau^2 and
  I^2, Egger's test (k >= 10), JSON on stdout; and
- ``Rscript -e``: ``library(metafor)``, ``read.csv``, ``rma(method = "REML")``, ``confint``,
  ``predict``, ``regtest``, printed: the same model and the same numbers.

Each command is run several times (after one untimed warm-up of each, so both read warm disk
caches); the medians of the wall-clock times and their ratio are printed and written to
benchmarks/results/meta_cli.json. The machine is shared, so the two tools alternate run by run
to see the same load. Run: ``.venv/bin/python benchmarks/bench_meta_cli.py [repeats]``.
"""

from __future__ import annotations

import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from evsynth.fileio import write_text_atomic

ROOT = Path(__file__).resolve().parents[1]
SIZES = (10, 100, 1000)
R_CODE = (
    "suppressMessages(library(metafor)); d <- read.csv('{path}'); "
    "res <- rma(yi, vi, data = d, method = 'REML'); print(res); print(confint(res)); "
    "print(predict(res)); print(regtest(res))"
)


def _table(k: int, folder: Path) -> Path:
    rng = np.random.default_rng(2026 + k)
    vi = rng.uniform(0.01, 0.3, k)
    yi = rng.normal(0.4, np.sqrt(vi + 0.05))
    path = folder / f"meta_{k}.csv"
    rows = [f"Study {i + 1},{float(yi[i])!r},{float(vi[i])!r}" for i in range(k)]
    path.write_text("study,yi,vi\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _evsynth_command(path: Path) -> list[str]:
    exe = Path(sys.executable).with_name("evsynth")
    if exe.exists():
        return [str(exe), "meta", str(path), "--format", "json"]
    return [sys.executable, "-m", "evsynth", "meta", str(path), "--format", "json"]


def _time(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main(repeats: int = 7) -> dict[str, object]:
    rscript = shutil.which("Rscript")
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in SIZES:
            path = _table(k, Path(tmp))
            ours_cmd = _evsynth_command(path)
            r_cmd = [rscript, "-e", R_CODE.format(path=path)] if rscript else None
            _time(ours_cmd)  # warm-up
            if r_cmd:
                _time(r_cmd)
            ours: list[float] = []
            theirs: list[float] = []
            for _ in range(repeats):
                ours.append(_time(ours_cmd))
                if r_cmd:
                    theirs.append(_time(r_cmd))
            row: dict[str, object] = {
                "k": k,
                "evsynth_median_s": statistics.median(ours),
                "evsynth_times_s": ours,
            }
            if theirs:
                row["metafor_median_s"] = statistics.median(theirs)
                row["metafor_times_s"] = theirs
                row["ratio_evsynth_over_metafor"] = statistics.median(ours) / statistics.median(
                    theirs
                )
            results.append(row)
            ratio = row.get("ratio_evsynth_over_metafor")
            print(
                f"k = {k:>5}: evsynth {statistics.median(ours):6.3f} s   "
                + (
                    f"Rscript+metafor {statistics.median(theirs):6.3f} s   ratio {ratio:.2f}"
                    if theirs
                    else "Rscript not found"
                ),
                flush=True,
            )
    report: dict[str, object] = {
        "benchmark": "meta_cli",
        "what": "whole process: evsynth meta --format json vs Rscript -e metafor (same model)",
        "repeats": repeats,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "results": results,
    }
    out = ROOT / "benchmarks" / "results" / "meta_cli.json"
    write_text_atomic(out, json.dumps(report, indent=2) + "\n")
    print(f"written {out.relative_to(ROOT)}")
    return report


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 7)
