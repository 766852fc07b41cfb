"""Merges as reversible links in a project's ``records/links.csv``.

A merge never deletes a record: it adds a ``duplicate`` link between two record IDs. Undoing it
flips the link's status to ``undone`` and appends a row recording who undid it and when (see
:mod:`evsynth.records.model`). Duplicate groups are the connected components of the active
``duplicate`` links; which record of a group is kept for screening is PRISMA's rule
(:func:`evsynth.records.prisma.kept_records`: a database's record before one found by other
methods, then the first imported).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
    """Link two records (``duplicate``, ``same_study`` or a person's ``distinct`` verdict); a
    no-op if that link is in force."""
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
    Pairs already linked are skipped, and links a person undid, or pairs a person judged
    ``distinct``, are not re-created.
    """
    known = {r.id for r in records.records}
    seen = {
        (link.kind, frozenset((link.record_a, link.record_b)))
        for link in records.links
        if link.status == "active"
    }
    undone = {
        frozenset((link.record_a, link.record_b))
        for link in records.links
        if link.status == "undone"
    } | {frozenset((link.record_a, link.record_b)) for link in records.active_links("distinct")}
    number = _next_id(records.links)
    created = now_iso()
    new: list[Link] = []
    for pair in result.pairs:
        if pair.decision not in ("duplicate", "same_study"):
            continue
        key = frozenset((pair.a, pair.b))
        if key in undone or (pair.decision, key) in seen or not key <= known:
            continue
        seen.add((pair.decision, key))
        new.append(
            Link(
                link_id=f"L{number:06d}",
                kind=pair.decision,
                record_a=pair.a,
                record_b=pair.b,
                score=pair.score,
                decided_by="auto",
                status="active",
                created_at=created,
            )
        )
        number += 1
    return records.with_links(new)


def duplicate_groups(records: RecordSet, kind: str = "duplicate") -> list[list[str]]:
    """Groups of record IDs joined by active links of one kind, in import order.

    For duplicates, a person's ``distinct`` verdict holds against chaining: a merge that would
    put two records judged distinct into one group (A~C and C~B) is not applied, so the later of
    the links that would join them stays in the file but out of the groups.
    """
    index = {r.id: i for i, r in enumerate(records.records)}
    ids = [r.id for r in records.records]

    def pairs(of_kind: str) -> list[tuple[int, int]]:
        return [
            (index[link.record_a], index[link.record_b])
            for link in records.active_links(of_kind)
            if link.record_a in index and link.record_b in index
        ]

    cannot = {(min(a, b), max(a, b)) for a, b in pairs("distinct")} if kind == "duplicate" else None
    groups, _ = components(len(ids), pairs(kind), cannot)
    return [[ids[i] for i in g] for g in groups]


def abstract_donors(
    groups: Iterable[Sequence[str]], abstract_of: Mapping[str, str]
) -> dict[str, str]:
    """For each record of a duplicate group exported without an abstract, the ID of the first
    record of its group (in the group's order) that has one. ``abstract_of`` maps IDs to their
    abstracts; IDs it lacks count as records without one."""
    donors: dict[str, str] = {}
    for group in groups:
        donor = next((rid for rid in group if abstract_of.get(rid, "").strip()), None)
        if donor is None:
            continue
        for rid in group:
            if not abstract_of.get(rid, "").strip():
                donors[rid] = donor
    return donors
