"""Simulated priority screening on the labelled reviews in ``../shared/benchmarks/screening/``.

For each review (SYNERGY data: Donners_2021, Meijboom_2021, ...) and each seed, the simulation
starts from one included and one excluded record chosen by the seed and screens in the model's
order (retrained after every record). It reports WSS@95 and RRF@10 per seed and their means,
the time per run, and, as the baseline, the same metrics for random screening orders from the
same seeds. No reference screening tool (ASReview) is installed here to time beside it.

Run: ``.venv/bin/python benchmarks/bench_screening.py [SEEDS]`` (default 5). Writes
benchmarks/results/screening.json.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from evsynth.fileio import write_text_atomic
from evsynth.records.screening.priority import DEFAULT_SETTINGS
from evsynth.records.screening.simulate import read_labelled, rrf, simulate, wss

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "benchmarks" / "screening"
RESULTS = ROOT / "benchmarks" / "results" / "screening.json"


def main(argv: list[str]) -> int:
    seeds = int(argv[0]) if argv else 5
    console = Console(stderr=True)
    sets = sorted(p.parent for p in SHARED.glob("*/records.csv"))
    if not sets:
        console.print(f"No labelled reviews under {SHARED}")
        return 1
    report: dict[str, object] = {
        "settings": asdict(DEFAULT_SETTINGS),
        "seeds": seeds,
        "machine": platform.platform(),
        "reviews": {},
    }
    reviews: dict[str, object] = {}
    with Progress(
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        for folder in sets:
            ids, texts, labels = read_labelled(folder / "records.csv")
            task = progress.add_task(folder.name, total=seeds)
            runs = []
            for seed in range(seeds):
                start = time.perf_counter()
                result = simulate(ids, texts, labels, seed=seed)
                elapsed = time.perf_counter() - start
                shuffled = np.random.default_rng(seed).permutation(np.asarray(labels))
                runs.append(
                    {
                        "seed": seed,
                        "wss95": result.wss95,
                        "rrf10": result.rrf10,
                        "screened_to_last": result.screened_to_last,
                        "longest_gap": result.longest_gap,
                        "seconds": elapsed,
                        "random_wss95": wss(shuffled),
                        "random_rrf10": rrf(shuffled),
                    }
                )
                progress.advance(task)
            summary = {
                "records": len(ids),
                "relevant": int(sum(labels)),
                "mean_wss95": float(np.mean([r["wss95"] for r in runs])),
                "mean_rrf10": float(np.mean([r["rrf10"] for r in runs])),
                "mean_random_wss95": float(np.mean([r["random_wss95"] for r in runs])),
                "mean_random_rrf10": float(np.mean([r["random_rrf10"] for r in runs])),
                "mean_seconds_per_run": float(np.mean([r["seconds"] for r in runs])),
                "runs": runs,
            }
            reviews[folder.name] = summary
    report["reviews"] = reviews
    print(
        f"{'review':<16}{'records':>8}{'relevant':>9}{'WSS@95':>9}{'RRF@10':>9}"
        f"{'random WSS':>12}{'random RRF':>12}{'s/run':>8}"
    )
    for name, s in reviews.items():
        assert isinstance(s, dict)
        print(
            f"{name:<16}{s['records']:>8}{s['relevant']:>9}{s['mean_wss95']:>9.3f}"
            f"{s['mean_rrf10']:>9.3f}{s['mean_random_wss95']:>12.3f}"
            f"{s['mean_random_rrf10']:>12.3f}{s['mean_seconds_per_run']:>8.1f}"
        )
    write_text_atomic(RESULTS, json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
