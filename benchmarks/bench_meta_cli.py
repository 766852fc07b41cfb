"""A whole ``evsynth meta`` run beside ``Rscript`` with metafor, process start included.

The same CSV files (k = 10, 100, 1000 studies with ``yi`` and ``vi``) go through

- ``evsynth meta FILE --format json``: read, REML fit with Q-profile intervals for tau^2 and
  I^2, Egger's test (k >= 10), JSON on stdout; and
- ``Rscript -e``: ``library(metafor)``, ``read.csv``, ``rma(method = "REML")``, ``confint``,
  ``predict``, ``regtest``, printed: the same model and the same numbers.

Each command is run several times (after one untimed warm-up of each, so both read warm disk
caches); the medians of the wall-clock and CPU (user + system) times and their ratios are
printed and written to benchmarks/results/meta_cli.json. The machine is shared, so the two tools
alternate run by run to see the same load, and the CPU times are the steadier comparison.
Run: ``.venv/bin/python benchmarks/bench_meta_cli.py [repeats]``.
"""

from __future__ import annotations

import json
import platform
import resource
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


def _time(cmd: list[str]) -> tuple[float, float]:
    """Wall-clock seconds and CPU seconds (user + system) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


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
            ours_cpu: list[float] = []
            theirs_cpu: list[float] = []
            for _ in range(repeats):
                wall, cpu = _time(ours_cmd)
                ours.append(wall)
                ours_cpu.append(cpu)
                if r_cmd:
                    wall, cpu = _time(r_cmd)
                    theirs.append(wall)
                    theirs_cpu.append(cpu)
            med, med_cpu = statistics.median(ours), statistics.median(ours_cpu)
            row: dict[str, object] = {
                "k": k,
                "evsynth_median_s": med,
                "evsynth_median_cpu_s": med_cpu,
                "evsynth_times_s": ours,
            }
            line = f"k = {k:>5}: evsynth {med:6.3f} s (cpu {med_cpu:5.3f})"
            if theirs:
                r_med, r_cpu = statistics.median(theirs), statistics.median(theirs_cpu)
                row["metafor_median_s"] = r_med
                row["metafor_median_cpu_s"] = r_cpu
                row["metafor_times_s"] = theirs
                row["ratio_evsynth_over_metafor"] = med / r_med
                row["cpu_ratio_evsynth_over_metafor"] = med_cpu / r_cpu
                line += (
                    f"   Rscript+metafor {r_med:6.3f} s (cpu {r_cpu:5.3f})"
                    f"   ratio {med / r_med:.2f} (cpu {med_cpu / r_cpu:.2f})"
                )
            else:
                line += "   Rscript not found"
            results.append(row)
            print(line, flush=True)
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
