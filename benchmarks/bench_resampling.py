"""Resampling: whole ``evsynth`` processes beside whole ``Rscript`` + metafor processes.

Three jobs, each run as a separate process on both sides (start-up included):

1. GOSH over all 65,535 subsets of the 16 magnesium trials (metadat's dat.egger2001, log odds
   ratios) with DL. evsynth also writes the 65,535-row CSV; metafor only computes.
   Target: at most a tenth of metafor's time.
2. The exact REML permutation test of the 13 BCG trials (dat.bcg, log risk ratios; 8,192 sign
   flips). Target: at most a twentieth of metafor's time.
3. GOSH with REML on a million random subsets of 20 (simulated) studies, evsynth with
   ``--workers 2``, CSV written. Target: under two minutes. metafor is not run on a million
   subsets (hours); its time is extrapolated from a run on 2,000 subsets (per-fit time times
   one million, plus its start-up), and reported as such.

Wall-clock and CPU time (user + system of the child process) are both recorded: the machine
is shared, so wall-clock ratios move with the load while CPU ratios do not. Job 1 runs seven
times on each side, alternating, and records medians beside the best runs. Writes
benchmarks/results/resampling.json.

Both sides run byte-compiled code, as installed: R installs metafor byte-compiled, pip compiles
a package's modules at installation, and this script compiles src/evsynth (``compileall``, into
the git-ignored ``__pycache__``) before timing. Without it, where ``PYTHONDONTWRITEBYTECODE`` is
set (as on the benchmark machine), every run would compile evsynth's modules again, about 0.05 s
of a 16-study GOSH.
Run: ``.venv/bin/python benchmarks/bench_resampling.py`` (needs Rscript with metafor).
"""

from __future__ import annotations

import json
import os
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
EVSYNTH = [sys.executable, "-m", "evsynth"]

EXPORT_R = r"""
suppressMessages(library(metadat))
args <- commandArgs(TRUE)
write.csv(dat.egger2001[, c("study", "ai", "n1i", "ci", "n2i")], args[1], row.names = FALSE)
d <- dat.bcg
write.csv(data.frame(study = paste("Trial", d$trial), ai = d$tpos, bi = d$tneg, ci = d$cpos,
  di = d$cneg), args[2], row.names = FALSE)
"""
GOSH_R = r"""
suppressMessages(library(metafor))
args <- commandArgs(TRUE)
d <- read.csv(args[1])
dat <- escalc(measure = args[2], ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d)
res <- rma(yi, vi, data = dat, method = args[3])
if (length(args) > 3) {
  t0 <- proc.time()[["elapsed"]]
  sav <- gosh(res, subsets = as.integer(args[4]), progbar = FALSE)
  cat((proc.time()[["elapsed"]] - t0) / nrow(sav$res))
} else {
  sav <- gosh(res, progbar = FALSE)
  cat(nrow(sav$res))
}
"""
GOSH20_R = r"""
suppressMessages(library(metafor))
args <- commandArgs(TRUE)
d <- read.csv(args[1])
res <- rma(yi, vi, data = d, method = "REML")
t0 <- proc.time()[["elapsed"]]
sav <- gosh(res, subsets = as.integer(args[2]), progbar = FALSE)
cat((proc.time()[["elapsed"]] - t0) / nrow(sav$res))
"""
PERM_R = r"""
suppressMessages(library(metafor))
args <- commandArgs(TRUE)
d <- read.csv(args[1])
dat <- escalc(measure = "RR", ai = ai, bi = bi, ci = ci, di = di, data = d)
pt <- permutest(rma(yi, vi, data = dat, method = "REML"), exact = TRUE, progbar = FALSE)
cat(pt$pval)
"""


def _run(cmd: list[str]) -> tuple[float, float, str]:
    """Wall-clock and CPU seconds of one whole process, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, "CI": ""})
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.stdout.decode()


def _best(cmd: list[str], repeats: int) -> tuple[float, float, str]:
    runs = [_run(cmd) for _ in range(repeats)]
    wall = min(r[0] for r in runs)
    cpu = min(r[1] for r in runs)
    return wall, cpu, runs[-1][2]


def _alternating(
    a: list[str], b: list[str], repeats: int
) -> tuple[tuple[float, float, str], tuple[float, float, str], dict[str, float]]:
    """Both commands run in turn (they see the same load): best runs and medians."""
    runs_a, runs_b = [], []
    for _ in range(repeats):
        runs_a.append(_run(a))
        runs_b.append(_run(b))
    med = {
        "evsynth_wall_median_s": statistics.median(r[0] for r in runs_a),
        "evsynth_cpu_median_s": statistics.median(r[1] for r in runs_a),
        "metafor_wall_median_s": statistics.median(r[0] for r in runs_b),
        "metafor_cpu_median_s": statistics.median(r[1] for r in runs_b),
        "repeats": repeats,
    }
    med["ratio_wall_median"] = med["evsynth_wall_median_s"] / med["metafor_wall_median_s"]
    med["ratio_cpu_median"] = med["evsynth_cpu_median_s"] / med["metafor_cpu_median_s"]
    best_a = (min(r[0] for r in runs_a), min(r[1] for r in runs_a), runs_a[-1][2])
    best_b = (min(r[0] for r in runs_b), min(r[1] for r in runs_b), runs_b[-1][2])
    return best_a, best_b, med


def _simulated(path: Path, k: int = 20) -> None:
    rng = np.random.default_rng(20)
    vi = rng.uniform(0.01, 0.2, k)
    yi = rng.normal(0.4, 0.3, k) + rng.normal(0, np.sqrt(vi))
    rows = [f"S{i + 1},{float(yi[i])!r},{float(vi[i])!r}" for i in range(k)]
    path.write_text("study,yi,vi\n" + "\n".join(rows) + "\n", encoding="utf-8")


def main() -> int:
    rscript = shutil.which("Rscript")
    if rscript is None:
        print("Rscript not found: the benchmark needs R with metafor for the comparison")
        return 1
    results: dict[str, object] = {
        "machine_cores": os.cpu_count(),
        "evsynth_bytecode": "src/evsynth compiled by compileall before timing",
    }
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "src" / "evsynth")], check=True
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scripts = {}
        for name, text in (
            ("export", EXPORT_R),
            ("gosh", GOSH_R),
            ("gosh20", GOSH20_R),
            ("perm", PERM_R),
        ):
            scripts[name] = folder / f"{name}.R"
            scripts[name].write_text(text, encoding="utf-8")
        egger, bcg, sim = folder / "egger2001.csv", folder / "bcg.csv", folder / "sim20.csv"
        subprocess.run([rscript, str(scripts["export"]), str(egger), str(bcg)], check=True)
        _simulated(sim)

        # 1. GOSH k = 16, DL: seven runs of each, alternating (a noisy machine: medians too)
        ev, r, medians = _alternating(
            [
                *EVSYNTH,
                "gosh",
                str(egger),
                "--measure",
                "OR",
                "--method",
                "DL",
                "--out",
                str(folder / "g16.csv"),
                "--no-progress",
            ],
            [rscript, str(scripts["gosh"]), str(egger), "OR", "DL"],
            7,
        )
        assert r[2].strip() == "65535"
        results["gosh_k16_dl"] = {
            **_row("GOSH k=16 DL (65,535 subsets)", ev, r, target=0.1),
            **medians,
        }

        # 2. exact REML permutation test, k = 13
        ev = _best(
            [
                *EVSYNTH,
                "permutation-test",
                str(bcg),
                "--measure",
                "RR",
                "--method",
                "REML",
                "--exact",
                "--format",
                "json",
                "--no-progress",
            ],
            3,
        )
        r = _best([rscript, str(scripts["perm"]), str(bcg)], 1)
        p_ev, p_r = json.loads(ev[2])["p_value"], float(r[2])
        results["permutest_k13_reml_exact"] = {
            **_row("exact REML permutation test k=13 (8,192 fits)", ev, r, target=0.05),
            "p_value_evsynth": p_ev,
            "p_value_metafor": p_r,
        }

        # 3. a million random subsets of 20 studies, REML
        ev = _run(
            [
                *EVSYNTH,
                "gosh",
                str(sim),
                "--method",
                "REML",
                "--seed",
                "1",
                "--workers",
                "2",
                "--out",
                str(folder / "g20.csv"),
                "--no-progress",
            ]
        )
        per_fit_wall, per_fit_cpu, out = _run([rscript, str(scripts["gosh20"]), str(sim), "2000"])
        start = _run([rscript, "-e", "suppressMessages(library(metafor))"])
        per_fit = float(out)
        r_extrapolated = start[0] + per_fit * 1_000_000
        results["gosh_k20_reml_1e6"] = {
            "job": "GOSH k=20 REML, 1,000,000 random subsets (evsynth --workers 2)",
            "evsynth_wall_s": ev[0],
            "evsynth_cpu_s": ev[1],
            "target_wall_s": 120.0,
            "meets_target": ev[0] < 120.0,
            "metafor_wall_s_extrapolated": r_extrapolated,
            "metafor_per_fit_s": per_fit,
            "metafor_startup_s": start[0],
            "note": "metafor extrapolated from gosh(subsets = 2000): per-fit time x 1e6 + "
            "R start-up with metafor loaded",
            "ratio_wall": ev[0] / r_extrapolated,
            "metafor_2000_subsets_process_wall_s": per_fit_wall,
            "metafor_2000_subsets_process_cpu_s": per_fit_cpu,
        }
    for row in results.values():
        if isinstance(row, dict):
            print(json.dumps(row))
    write_text_atomic(
        ROOT / "benchmarks" / "results" / "resampling.json", json.dumps(results, indent=2) + "\n"
    )
    return 0


def _row(
    job: str, ev: tuple[float, float, str], r: tuple[float, float, str], *, target: float
) -> dict[str, object]:
    return {
        "job": job,
        "evsynth_wall_s": ev[0],
        "evsynth_cpu_s": ev[1],
        "metafor_wall_s": r[0],
        "metafor_cpu_s": r[1],
        "ratio_wall": ev[0] / r[0],
        "ratio_cpu": ev[1] / r[1],
        "target_ratio": target,
        "meets_target_wall": ev[0] / r[0] <= target,
        "meets_target_cpu": ev[1] / r[1] <= target,
    }


if __name__ == "__main__":
    raise SystemExit(main())
