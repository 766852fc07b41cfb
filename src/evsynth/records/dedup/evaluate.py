"""Pairwise precision and recall of duplicate groups against a checked truth.

The measure of the deduplication literature: every group of n records implies n(n-1)/2 pairs;
precision is the share of predicted pairs that are true, recall the share of true pairs found.

References
----------
Rathbone J, Carter M, Hoffmann T, Glasziou P. Better duplicate detection for systematic
reviewers: evaluation of Systematic Review Assistant-Deduplication Module. Syst Rev 2015;4:6.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from evsynth.errors import InputError


@dataclass(frozen=True)
class PairwiseScore:
    """True positive, false positive and false negative pair counts, with the two rates."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        truth = self.true_positives + self.false_negatives
        return self.true_positives / truth if truth else 1.0

    def summary(self) -> str:
        return (
            f"precision {self.precision:.4f} recall {self.recall:.4f} "
            f"(TP {self.true_positives}, FP {self.false_positives}, FN {self.false_negatives})"
        )


def group_pairs(groups: Iterable[Sequence[str]]) -> set[tuple[str, str]]:
    """The unordered pairs (as sorted tuples) implied by groups."""
    pairs: set[tuple[str, str]] = set()
    for group in groups:
        for a, b in combinations(sorted(set(group)), 2):
            pairs.add((a, b))
    return pairs


def pairwise(predicted: Iterable[Sequence[str]], truth: Iterable[Sequence[str]]) -> PairwiseScore:
    """Pairwise counts of predicted duplicate groups against the true groups."""
    pred, true = group_pairs(predicted), group_pairs(truth)
    return PairwiseScore(len(pred & true), len(pred - true), len(true - pred))


def read_truth(path: str | Path) -> list[list[str]]:
    """Groups from a ``duplicates.csv`` (column ``merged_ids``, IDs joined by ``;``)."""
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if "merged_ids" not in (reader.fieldnames or []):
            raise InputError("missing column merged_ids", file=path, row=1)
        return [row["merged_ids"].split(";") for row in reader if row["merged_ids"]]


@dataclass(frozen=True)
class RemovalScore:
    """Record-level counts: which records a deduplication removes, judged against the truth.

    The measure of bib-dedupe's published evaluation (Wagner et al.), reported beside the
    pairwise one so that figures can be set side by side with that table. Of each true group of
    n records, n - 1 should be removed: each removed is a true positive, each left over a false
    negative. A record with no true duplicate that is removed, and a true group removed whole,
    is a false positive.
    """

    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int

    @property
    def sensitivity(self) -> float:
        truth = self.true_positives + self.false_negatives
        return self.true_positives / truth if truth else 1.0

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0


def removal_score(
    predicted: Iterable[Sequence[str]], truth: Iterable[Sequence[str]], ids: Sequence[str]
) -> RemovalScore:
    """Record-level counts when the first record (in ``ids`` order) of each predicted group is
    kept and the others are removed."""
    position = {rid: n for n, rid in enumerate(ids)}
    removed = {
        rid
        for group in predicted
        for rid in sorted(set(group), key=lambda r: position.get(r, len(position)))[1:]
    }
    true_groups = [set(g) for g in truth]
    in_truth = set().union(*true_groups) if true_groups else set()
    tp = fp = fn = tn = 0
    for rid in ids:
        if rid not in in_truth:
            if rid in removed:
                fp += 1
            else:
                tn += 1
    for group in true_groups:
        left = len(group - removed)
        if left == 0:
            fp += 1
            tp += len(group) - 1
        else:
            tn += 1
            fn += left - 1
            tp += len(group) - left
    return RemovalScore(tp, fp, fn, tn)
