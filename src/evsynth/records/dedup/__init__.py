"""Find duplicate records and reports of one study; link them, never delete them.

>>> result = find_duplicates(records)            # doctest: +SKIP
>>> result.duplicate_groups                       # merged automatically  # doctest: +SKIP
>>> result.uncertain_pairs                        # for a person to decide  # doctest: +SKIP

The steps: :mod:`normalise` each record once, :mod:`blocking` for candidate pairs,
:mod:`scoring` to classify each pair, :mod:`cluster` to form groups, :mod:`links` to store the
decisions as reversible links in a project.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

from evsynth.errors import InputError
from evsynth.records.dedup.blocking import candidate_pairs
from evsynth.records.dedup.cluster import components
from evsynth.records.dedup.normalise import NormRecord, normalise
from evsynth.records.dedup.notices import MERGED_NOTICES
from evsynth.records.dedup.scoring import (
    DUPLICATE,
    SAME_STUDY,
    UNCERTAIN,
    PairScore,
    compare,
)
from evsynth.records.model import Record

__all__ = ["DedupResult", "PairScore", "explain_pair", "find_duplicates"]


@dataclass(frozen=True)
class DedupResult:
    """The outcome of deduplication on a set of records.

    ``duplicate_groups``: groups of record IDs merged automatically (each one bibliographic
    record exported more than once). ``uncertain_pairs``: pairs for a person to decide, best
    first. ``same_study_groups``: groups of reports of one study (not duplicates; all of them
    stay in the review). ``pairs``: every compared pair that was not judged distinct, with its
    reasons. ``refused``: automatic merges refused because they would chain two different
    reports into one group (kept as uncertain pairs too).
    """

    records: int
    candidates: int
    duplicate_groups: tuple[tuple[str, ...], ...]
    uncertain_pairs: tuple[PairScore, ...]
    same_study_groups: tuple[tuple[str, ...], ...]
    pairs: tuple[PairScore, ...]

    @property
    def duplicates_removed(self) -> int:
        """Records beyond the first of each group (PRISMA's 'duplicate records removed')."""
        return sum(len(g) - 1 for g in self.duplicate_groups)

    def auto_pairs(self) -> tuple[PairScore, ...]:
        """The pairs merged automatically (the links to store as ``decided_by=auto``)."""
        return tuple(p for p in self.pairs if p.decision == DUPLICATE)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``evsynth dedup``."""
        return {
            "records": self.records,
            "candidate_pairs": self.candidates,
            "duplicates_removed": self.duplicates_removed,
            "duplicate_groups": [list(g) for g in self.duplicate_groups],
            "uncertain_pairs": [
                {
                    "record_a": p.a,
                    "record_b": p.b,
                    "score": round(p.score, 4),
                    "reasons": list(p.reasons),
                }
                for p in self.uncertain_pairs
            ],
            "same_study_groups": [list(g) for g in self.same_study_groups],
        }

    def summary(self) -> str:
        return (
            f"{self.records} records, {self.candidates} candidate pairs compared: "
            f"{len(self.duplicate_groups)} duplicate groups ({self.duplicates_removed} duplicates),"
            f" {len(self.uncertain_pairs)} uncertain pairs, "
            f"{len(self.same_study_groups)} groups of reports of one study"
        )


def find_duplicates(
    records: Sequence[Record],
    *,
    progress: Callable[[int, int], None] | None = None,
    merge_notices: Collection[str] = MERGED_NOTICES,
) -> DedupResult:
    """Find duplicates among records (nothing is changed or removed).

    Parameters
    ----------
    records
        The records to deduplicate (IDs must be unique).
    progress
        Called as ``progress(done, total)`` while candidate pairs are scored.
    merge_notices
        The kinds of notice (``"erratum"``, ``"reply"``; see
        :mod:`evsynth.records.dedup.notices`) merged into their article. A notice reports no
        study of its own, so merging it loses none. The default (``()``) merges neither kind:
        the checked groups of the benchmark sets put errata with their article in some cases
        and apart in others, and keep replies with their own DOIs apart from their letters
        (docs/decisions.md), so a notice is linked as a report of the same study and stays
        visible for a person to merge.
    """
    ids = [r.id for r in records]
    if len(set(ids)) != len(ids):
        dup = next(rid for rid, count in Counter(ids).items() if count > 1)
        raise InputError(f"record ID {dup!r} occurs more than once", column="id")
    norm = issues_checked([normalise(r, i) for i, r in enumerate(records)])
    pairs = sorted(candidate_pairs(norm))
    total = len(pairs)
    scored: list[tuple[int, int, PairScore]] = []
    # Pairs that may never share a group, whatever links them through a third record: any pair
    # with a real conflict (other DOI, years apart, other pages, other authors, a notice ...).
    cannot: set[tuple[int, int]] = set()
    for n, (i, j) in enumerate(pairs, start=1):
        s = compare(norm[i], norm[j], merge_notices=merge_notices)
        if s.conflict:
            cannot.add((i, j))
        if s.decision != "distinct":
            scored.append((i, j, s))
        if progress is not None and (n % 5000 == 0 or n == total):
            progress(n, total)
    if progress is not None and total == 0:
        progress(0, 0)
    auto = sorted((p for p in scored if p[2].decision == DUPLICATE), key=lambda p: -p[2].score)
    # Notices join their article's group after every ordinary merge is made.
    notice_links = [(i, j) for i, j, s in auto if s.relation]
    notices = frozenset(i if ids[i] == s.notice else j for i, j, s in auto if s.relation)
    groups, refused = components(
        len(records),
        [(i, j) for i, j, s in auto if not s.relation],
        cannot,
        notice_links=notice_links,
        notices=notices,
    )
    refused_set = set(refused)
    if refused_set:
        scored = [(i, j, _demote(s) if (i, j) in refused_set else s) for i, j, s in scored]
    group_of = {i: n for n, g in enumerate(groups) for i in g}
    # A pair already in one duplicate group (joined through a third record) asks nothing.
    uncertain = [
        s
        for i, j, s in scored
        if s.decision == UNCERTAIN and group_of.get(i, -1 - i) != group_of.get(j, -1 - j)
    ]
    uncertain.sort(key=lambda s: -s.score)
    study_links = [(i, j) for i, j, s in scored if s.decision in (SAME_STUDY, DUPLICATE)]
    study_groups, _ = components(len(records), study_links)
    # A same-study group that is one duplicate group and nothing more says nothing new.
    same_study = [g for g in study_groups if len({group_of.get(i, -1 - i) for i in g}) > 1]
    return DedupResult(
        records=len(records),
        candidates=total,
        duplicate_groups=tuple(tuple(ids[i] for i in g) for g in groups),
        uncertain_pairs=tuple(uncertain),
        same_study_groups=tuple(tuple(ids[i] for i in g) for g in same_study),
        pairs=tuple(s for _, _, s in scored),
    )


def explain_pair(a: Record, b: Record) -> PairScore:
    """How two records compare, field by field, and what the rules decide for them on their own
    (``evsynth dedup --explain``, and the reasons a person sees beside an uncertain pair)."""
    return compare(normalise(a, 0), normalise(b, 1))


def issues_checked(norm: list[NormRecord]) -> list[NormRecord]:
    """The records with their issue numbers cleared when the issue field of the export holds
    something else: a running number, distinct in (nearly) every record.

    Real issue numbers repeat (1 to 12, or 52, across a whole search), so in an export of 20 or
    more numbered records where most numbers are distinct, the field is a record counter (seen
    in a real export whose ``number`` column runs 1 to 1,988), and comparing it would keep every
    duplicate apart as "different issue".
    """
    numbers = [r.issue_number for r in norm if r.issue_number]
    if len(numbers) < 20 or len(set(numbers)) <= 0.5 * len(numbers):
        return norm
    return [replace(r, issue="", issue_number="") for r in norm]


def _demote(s: PairScore) -> PairScore:
    reason = "merge refused: would join two different reports into one group"
    return replace(s, decision=UNCERTAIN, reasons=(*s.reasons, reason))
