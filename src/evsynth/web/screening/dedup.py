"""Deduplication as a job: the records layer finds duplicates, the review stores links."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from evsynth.records.model import Link, now_iso
from evsynth.web.lib.jobs import Progress
from evsynth.web.lib.records_bridge import append_links, record_set
from evsynth.web.reviews.models import Job, Review
from evsynth.web.screening.models import DuplicateCandidate, LinkRow


def next_link_number(review: Review) -> int:
    numbers = [0]
    for row in LinkRow.objects.filter(review=review):
        head, _, tail = str(row.row.get("link_id", "")).rpartition("-")
        if head == "L" and tail.isdigit():
            numbers.append(int(tail))
    return max(numbers) + 1


def run_dedup(review: Review, job: Job, progress: Progress) -> dict[str, Any]:
    """Link automatic duplicates and queue the uncertain pairs for a person."""
    from evsynth.records.dedup import find_duplicates

    records = record_set(review)
    result = find_duplicates(
        records.records, progress=lambda done, total: progress(done, total, "scoring pairs")
    )
    linked = {frozenset((k.record_a, k.record_b)) for k in records.active_links("duplicate")}
    undone = {
        frozenset((k.record_a, k.record_b))
        for k in records.links
        if k.status == "undone" and k.kind == "duplicate"
    }
    scores = {frozenset((p.a, p.b)): p.score for p in result.pairs}
    number = next_link_number(review)
    links: list[Link] = []
    for group in result.duplicate_groups:
        first, *others = group
        for other in others:
            pair = frozenset((first, other))
            # A merge a person undid is not redone by running deduplication again.
            if pair in linked or pair in undone:
                continue
            links.append(
                Link(
                    link_id=f"L-{number:05d}",
                    kind="duplicate",
                    record_a=first,
                    record_b=other,
                    score=scores.get(pair),
                    decided_by="auto",
                    status="active",
                    created_at=now_iso(),
                )
            )
            number += 1
    decided = linked | undone
    with transaction.atomic():
        append_links(review, links)
        DuplicateCandidate.objects.filter(review=review, resolved=False).delete()
        DuplicateCandidate.objects.bulk_create(
            DuplicateCandidate(review=review, record_a=p.a, record_b=p.b, score=p.score)
            for p in result.uncertain_pairs
            if frozenset((p.a, p.b)) not in decided
        )
    summary = result.to_dict()
    return {
        "records": summary["records"],
        "duplicate_groups": summary["duplicate_groups"],
        "links_added": len(links),
        "uncertain_pairs": len(result.uncertain_pairs),
    }


def decide_pair(review: Review, candidate: DuplicateCandidate, username: str, same: bool) -> Link:
    """A person's verdict on an uncertain pair: a link, active (duplicate) or undone (distinct).

    A pair judged distinct is stored as an ``undone`` link so that the decision is kept in
    links.csv and deduplication does not ask again.
    """
    link = Link(
        link_id=f"L-{next_link_number(review):05d}",
        kind="duplicate",
        record_a=candidate.record_a,
        record_b=candidate.record_b,
        score=candidate.score,
        decided_by=username,
        status="active" if same else "undone",
        created_at=now_iso(),
    )
    append_links(review, [link])
    candidate.resolved = True
    candidate.save(update_fields=["resolved"])
    return link


def undo_link(review: Review, link_id: str, username: str) -> Link | None:
    """Undo an active duplicate link by appending an ``undone`` row with the same id."""
    rows = [r.row for r in LinkRow.objects.filter(review=review) if r.row.get("link_id") == link_id]
    if not rows or rows[-1].get("status") != "active":
        return None
    last = rows[-1]
    link = Link(
        link_id=link_id,
        kind=str(last["kind"]),
        record_a=str(last["record_a"]),
        record_b=str(last["record_b"]),
        score=float(last["score"]) if last.get("score") not in (None, "") else None,
        decided_by=username,
        status="undone",
        created_at=now_iso(),
    )
    append_links(review, [link])
    return link
