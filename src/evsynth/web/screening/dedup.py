"""Deduplication as a job: the records layer finds and links duplicates, the review stores links.

Every rule is the records layer's (``evsynth.records.dedup``): which pairs merge automatically,
which are uncertain, how links are written and undone, which record of a group is kept. The web
adds the queue of uncertain pairs for a person and the audit trail.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from evsynth.errors import InputError
from evsynth.records.dedup.links import apply_link, store_result, undo_link
from evsynth.records.model import Link, RecordSet
from evsynth.web.lib.jobs import Progress
from evsynth.web.lib.records_bridge import record_set
from evsynth.web.reviews.models import Job, Review
from evsynth.web.screening.models import DuplicateCandidate, LinkRow


def store_links(review: Review, before: RecordSet, after: RecordSet) -> list[Link]:
    """Write the link rows that changed or were added between two record sets; return new rows."""
    rows = list(LinkRow.objects.filter(review=review).order_by("position"))
    for row, link in zip(rows, after.links, strict=False):
        if row.row != link.to_row():
            row.row = link.to_row()
            row.save(update_fields=["row"])
    added = list(after.links[len(before.links) :])
    start = (rows[-1].position + 1) if rows else 1
    LinkRow.objects.bulk_create(
        LinkRow(review=review, position=start + i, row=link.to_row())
        for i, link in enumerate(added)
    )
    return added


def run_dedup(review: Review, job: Job, progress: Progress) -> dict[str, Any]:
    """Link automatic duplicates and queue the uncertain pairs for a person."""
    from evsynth.records.dedup import find_duplicates

    before = record_set(review)
    result = find_duplicates(
        before.records, progress=lambda done, total: progress(done, total, "scoring pairs")
    )
    after = store_result(before, result)
    decided = {frozenset((k.record_a, k.record_b)) for k in after.links}
    decided |= {
        frozenset((c.record_a, c.record_b))
        for c in DuplicateCandidate.objects.filter(review=review, resolved=True)
    }
    with transaction.atomic():
        added = store_links(review, before, after)
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
        "links_added": len(added),
        "uncertain_pairs": len(result.uncertain_pairs),
    }


#: A person's verdicts on an uncertain pair (the form's actions) and the link each one writes.
VERDICTS = {"same": "duplicate", "same_study": "same_study", "different": "distinct"}


def decide_pair(
    review: Review, candidate: DuplicateCandidate, username: str, verdict: str
) -> Link | None:
    """A person's verdict on an uncertain pair (a key of :data:`VERDICTS`): one record exported
    twice (a ``duplicate`` link), two reports of one study (``same_study``: both are screened),
    or two different records (``distinct``), as ``evsynth dedup --merge``, ``--same-study`` and
    ``--distinct`` record them.

    Each goes to links.csv (the records layer's format), so the verdict survives export and a
    later deduplication, here or on the command line, does not ask again.
    """
    if verdict not in VERDICTS:
        raise InputError(f"Invalid verdict {verdict!r}; expected one of {', '.join(VERDICTS)}")
    link = None
    with transaction.atomic():
        before = record_set(review)
        after = apply_link(
            before,
            candidate.record_a,
            candidate.record_b,
            kind=VERDICTS[verdict],
            decided_by=username,
            score=candidate.score,
        )
        added = store_links(review, before, after)
        link = added[0] if added else None
        candidate.resolved = True
        candidate.save(update_fields=["resolved"])
    return link


def undo(review: Review, link_id: str, username: str) -> Link | None:
    """Undo an active link the records layer's way (its row flips, an undo row is appended)."""
    with transaction.atomic():
        before = record_set(review)
        if link_id not in {k.link_id for k in before.active_links()}:
            return None
        added = store_links(review, before, undo_link(before, link_id, decided_by=username))
    return added[0] if added else None
