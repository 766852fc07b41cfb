"""Simulated priority screening on the labelled reviews in ``../shared/benchmarks/screening/``.

For each review (SYNERGY data: Donners_2021, Meijboom_2021, ...) and each seed, the simulation
starts from one included and one excluded record chosen by the seed and screens in the model's
order (retrained after every record). It reports WSS@95 and RRF@10 per seed and their means,
the time per run, and, as the baseline, the same metrics for random screening orders from the
same seeds. No reference screening tool (ASReview) is installed here to time beside it.

Run: ``.venv/bin/python benchmarks/bench_screening.py [SEEDS] [DIR ...]`` (default 5 seeds).
Writes benchmarks/results/screening.json.

Each DIR is one more labelled review in the same layout (``records.csv`` with ``id``, ``title``,
``abstract``, ``label_included``), reported under ``other_public_sets``: reviews the model was
not developed on. The public ones used for the figures in docs/screening.md are the labelled
sets of ASReview's systematic-review-datasets repository (MIT licence; Cohen et al. 2006's
drug-class reviews, Bannach-Brown 2019, Nagtegaal 2019, Kitchenham 2010). They are not
committed here; each ``output`` CSV there becomes a DIR by keeping those four columns
(``record_id`` as ``id``) and dropping the rows marked as duplicates (``duplicate_record_id``).
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
    args = list(argv)
    seeds = int(args.pop(0)) if args and args[0].isdigit() else 5
    console = Console(stderr=True)
    shared = sorted(p.parent for p in SHARED.glob("*/records.csv"))
    extra = [Path(a) for a in args]
    sets = [*shared, *extra]
    if not shared:
        console.print(f"No labelled reviews under {SHARED}")
        return 1
    report: dict[str, object] = {
        "settings": asdict(DEFAULT_SETTINGS),
        "seeds": seeds,
        "machine": platform.platform(),
        "reviews": {},
    }
    reviews: dict[str, object] = {}
    others: dict[str, object] = {}
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
            (reviews if folder in shared else others)[folder.name] = summary
    report["reviews"] = reviews
    if others:
        report["other_public_sets"] = others
        report["other_public_sets_mean"] = {
            key: float(np.mean([s[key] for s in others.values()]))  # type: ignore[index]
            for key in ("mean_wss95", "mean_rrf10", "mean_random_wss95", "mean_random_rrf10")
        }
    print(
        f"{'review':<28}{'records':>8}{'relevant':>9}{'WSS@95':>9}{'RRF@10':>9}"
        f"{'random WSS':>12}{'random RRF':>12}{'s/run':>8}"
    )
    for name, s in {**reviews, **others}.items():
        assert isinstance(s, dict)
        print(
            f"{name:<28}{s['records']:>8}{s['relevant']:>9}{s['mean_wss95']:>9.3f}"
            f"{s['mean_rrf10']:>9.3f}{s['mean_random_wss95']:>12.3f}"
            f"{s['mean_random_rrf10']:>12.3f}{s['mean_seconds_per_run']:>8.1f}"
        )
    write_text_atomic(RESULTS, json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
