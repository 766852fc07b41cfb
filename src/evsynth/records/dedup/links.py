"""Merges as reversible links in a project's ``records/links.csv``.

A merge never deletes a record: it adds a ``duplicate`` link between two record IDs. Undoing it
flips the link's status to ``undone`` and appends a row recording who undid it and when (see
:mod:`evsynth.records.model`). Duplicate groups are the connected components of the active
``duplicate`` links; the first record of a group (in import order) is the one kept for screening.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from evsynth.errors import InputError
from evsynth.records.dedup import DedupResult
from evsynth.records.dedup.cluster import components
from evsynth.records.model import LINK_KINDS, Link, RecordSet, now_iso


def _next_id(links: Iterable[Link]) -> int:
    best = 0
    for link in links:
        digits = link.link_id.lstrip("L")
        if digits.isdigit():
            best = max(best, int(digits))
    return best + 1


def apply_link(
    records: RecordSet,
    record_a: str,
    record_b: str,
    *,
    kind: str = "duplicate",
    decided_by: str,
    score: float | None = None,
) -> RecordSet:
    """Link two records (``duplicate`` or ``same_study``); a no-op if that link is in force."""
    if kind not in LINK_KINDS:
        raise InputError(f"link kind {kind!r}; expected one of {', '.join(LINK_KINDS)}")
    known = records.by_id()
    for rid in (record_a, record_b):
        if rid not in known:
            raise InputError(f"no record with ID {rid!r}")
    if record_a == record_b:
        raise InputError(f"cannot link record {record_a!r} to itself")
    if not decided_by.strip():
        raise InputError("decided_by is empty: say who made the decision")
    pair = {record_a, record_b}
    for link in records.active_links(kind):
        if {link.record_a, link.record_b} == pair:
            return records
    link = Link(
        link_id=f"L{_next_id(records.links):06d}",
        kind=kind,
        record_a=record_a,
        record_b=record_b,
        score=score,
        decided_by=decided_by,
        status="active",
        created_at=now_iso(),
    )
    return records.with_links([link])


def undo_link(records: RecordSet, link_id: str, *, decided_by: str) -> RecordSet:
    """Undo a link: its row becomes ``undone`` and an ``undone`` row records who and when."""
    active = {link.link_id: link for link in records.active_links()}
    if link_id not in active:
        raise InputError(f"no active link {link_id!r}")
    if not decided_by.strip():
        raise InputError("decided_by is empty: say who undid the link")
    rows = tuple(
        replace(link, status="undone") if link.link_id == link_id else link
        for link in records.links
    )
    undo = replace(active[link_id], status="undone", decided_by=decided_by, created_at=now_iso())
    return RecordSet(records.records, records.sources, (*rows, undo))


def store_result(records: RecordSet, result: DedupResult) -> RecordSet:
    """Store the automatic merges and the same-study pairs of a deduplication as links.

    Uncertain pairs are not stored: they wait for a person (``apply_link`` with their name).
    Pairs already linked are skipped, and links a person undid are not re-created.
    """
    undone = {
        frozenset((link.record_a, link.record_b))
        for link in records.links
        if link.status == "undone"
    }
    out = records
    auto_groups = {frozenset(g) for g in result.duplicate_groups}
    for pair in result.pairs:
        key = frozenset((pair.a, pair.b))
        if key in undone:
            continue
        if pair.decision == "duplicate" and any(key <= g for g in auto_groups):
            out = apply_link(
                out, pair.a, pair.b, kind="duplicate", decided_by="auto", score=pair.score
            )
        elif pair.decision == "same_study":
            out = apply_link(
                out, pair.a, pair.b, kind="same_study", decided_by="auto", score=pair.score
            )
    return out


def duplicate_groups(records: RecordSet, kind: str = "duplicate") -> list[list[str]]:
    """Groups of record IDs joined by active links of one kind, in import order."""
    index = {r.id: i for i, r in enumerate(records.records)}
    ids = [r.id for r in records.records]
    edges = [
        (index[link.record_a], index[link.record_b])
        for link in records.active_links(kind)
        if link.record_a in index and link.record_b in index
    ]
    groups, _ = components(len(ids), edges)
    return [[ids[i] for i in g] for g in groups]
