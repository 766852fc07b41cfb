"""Deduplication of 100,000 generated records: time, peak memory, precision and recall.

The records come from ``evsynth.records.dedup.synthetic.generate`` (realistic export noise and
conference abstracts that must stay apart; the truth is known). The acceptance target is within
10 minutes and 4 GiB on the 2-core development machine, with precision >= 0.999 and recall >= 0.99
on the generated truth. No R package for bibliographic deduplication is installed here, so there
is no reference tool to time beside it; the shared benchmark sets (Rathbone et al. 2015) are
scored as well for the record.

Run: ``.venv/bin/python benchmarks/bench_dedup.py [N] [DIR ...]`` (default 100000). Writes
benchmarks/results/dedup.json.

Each DIR is one more checked set in the layout of the shared benchmark (``records.csv`` and
``duplicates.csv``), scored the same way. The other public sets of the bib-dedupe evaluation
data (respiratory, cytology_screening, digital_work; MIT licence) are not committed here; they
come from that project's history:

    git clone https://github.com/CoLRev-Environment/bib-dedupe && cd bib-dedupe
    for s in respiratory cytology_screening digital_work; do mkdir -p ../sets/$s
      git show e3f876d~1:data/$s/records_pre_merged.csv > ../sets/$s/records.csv
      git show e3f876d~1:data/$s/merged_record_ids.csv > ../sets/$s/duplicates.csv; done
"""

from __future__ import annotations

import json
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from evsynth.fileio import write_text_atomic
from evsynth.records.dedup import find_duplicates
from evsynth.records.dedup.evaluate import pairwise, read_truth, removal_score
from evsynth.records.dedup.links import duplicate_groups, store_result
from evsynth.records.dedup.synthetic import generate
from evsynth.records.importers import import_file
from evsynth.records.model import RecordSet, Source

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "benchmarks" / "dedup"


def _peak_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(n: int, extra: tuple[Path, ...] = ()) -> dict[str, object]:
    console = Console(stderr=True)
    t0 = time.perf_counter()
    records, truth = generate(n)
    t_generate = time.perf_counter() - t0
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task(f"Deduplicating {n:,} records", total=None)
        t0 = time.perf_counter()
        cpu0 = resource.getrusage(resource.RUSAGE_SELF).ru_utime
        result = find_duplicates(
            records, progress=lambda done, total: bar.update(task, completed=done, total=total)
        )
        t_dedup = time.perf_counter() - t0
        cpu_dedup = resource.getrusage(resource.RUSAGE_SELF).ru_utime - cpu0
    # What `evsynth dedup DIR --project DIR` adds: links stored, groups read back, files written.
    t0 = time.perf_counter()
    project = RecordSet(tuple(records), (Source("generated", "generated", "-", "csv", "-", n),))
    stored = store_result(project, result)
    groups = duplicate_groups(stored)
    with tempfile.TemporaryDirectory() as scratch:
        stored.save(scratch)
    t_store = time.perf_counter() - t0
    assert len(groups) == len(result.duplicate_groups)
    score = pairwise(result.duplicate_groups, truth)
    out: dict[str, object] = {
        "records": n,
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "generate_seconds": round(t_generate, 2),
        "dedup_seconds": round(t_dedup, 2),
        "dedup_cpu_seconds": round(cpu_dedup, 2),
        "store_links_and_save_seconds": round(t_store, 2),
        "peak_memory_mib": round(_peak_mib(), 1),
        "candidate_pairs": result.candidates,
        "duplicate_groups": len(result.duplicate_groups),
        "uncertain_pairs": len(result.uncertain_pairs),
        "same_study_groups": len(result.same_study_groups),
        "precision": round(score.precision, 6),
        "recall": round(score.recall, 6),
        "true_positive_pairs": score.true_positives,
        "false_positive_pairs": score.false_positives,
        "false_negative_pairs": score.false_negatives,
        "within_targets": t_dedup + t_store < 600 and _peak_mib() < 4096,
    }
    shared: dict[str, object] = {}
    others: dict[str, object] = {}
    folders = [SHARED / name for name in ("haematology", "stroke", "special_cases")]
    for folder in [*folders, *extra]:
        name = folder.name
        if not folder.is_dir():
            continue
        recs = import_file(folder / "records.csv", keep_ids=True).records
        t0 = time.perf_counter()
        res = find_duplicates(recs)
        elapsed = time.perf_counter() - t0
        truth = read_truth(folder / "duplicates.csv")
        s = pairwise(res.duplicate_groups, truth)
        # bib-dedupe's record-level measure, to set beside its published table.
        r = removal_score(res.duplicate_groups, truth, [rec.id for rec in recs])
        (shared if folder.parent == SHARED else others)[name] = {
            "records": len(recs),
            "seconds": round(elapsed, 3),
            "precision": round(s.precision, 6),
            "recall": round(s.recall, 6),
            "false_positive_pairs": s.false_positives,
            "false_negative_pairs": s.false_negatives,
            "record_level": {
                "removed_true": r.true_positives,
                "removed_false": r.false_positives,
                "left_duplicates": r.false_negatives,
                "sensitivity": round(r.sensitivity, 4),
            },
        }
    out["shared_benchmark"] = shared
    if others:
        out["other_public_sets"] = others
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    size = int(args.pop(0)) if args and args[0].isdigit() else 100_000
    report = main(size, tuple(Path(a) for a in args))
    print(
        f"{report['records']:,} records: dedup {report['dedup_seconds']} s "
        f"({report['dedup_cpu_seconds']} s CPU) + links stored "
        f"{report['store_links_and_save_seconds']} s "
        f"(target < 600 s), peak memory {report['peak_memory_mib']} MiB (target < 4096), "
        f"precision {report['precision']}, recall {report['recall']}"
    )
    sets = {**dict(report["shared_benchmark"]), **dict(report.get("other_public_sets", {}))}  # type: ignore[call-overload]
    for name, row in sets.items():
        print(f"  {name}: precision {row['precision']}, recall {row['recall']}, {row['seconds']} s")
    path = ROOT / "benchmarks" / "results" / "dedup.json"
    write_text_atomic(path, json.dumps(report, indent=2) + "\n")
