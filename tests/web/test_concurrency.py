"""Two reviewers deciding on the same records at the same moment lose no decision (PostgreSQL).

Real concurrency: each reviewer is a thread with its own database connection and its own
browser session, released together by a barrier, posting decisions on the same records in the
same order. Every decision and its audit event must be there afterwards.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from websupport import SCREENING_PROTOCOL, add_records, make_user

from evsynth.web.reviews.models import AuditEvent, Membership, Review, Role
from evsynth.web.screening.models import Decision
from evsynth.web.screening.state import screening_log
from helpers import postgres_available, require

RECORDS = 25


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_decisions_are_all_kept() -> None:
    require(postgres_available(), "PostgreSQL at 127.0.0.1:5432")
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of the web suite (make test runs both)")
    rob, rita = make_user("rob"), make_user("rita")
    review = Review.objects.create(title="c", protocol_yaml=SCREENING_PROTOCOL, created_by=rob)
    for user in (rob, rita):
        Membership.objects.create(review=review, user=user, role=Role.REVIEWER)
    ids = [r.record_id for r in add_records(review, RECORDS)]
    barrier = threading.Barrier(2)
    errors: list[str] = []
    url = reverse("decide-json", args=[review.pk, "title_abstract"])

    def reviewer(user: Any, verdict: str) -> None:
        client = Client()
        client.force_login(user)
        try:
            barrier.wait(timeout=10)
            for rid in ids:
                response = client.post(url, {"record_id": rid, "decision": verdict})
                if response.status_code != 200:
                    errors.append(f"{user}: {rid}: {response.status_code}")
        finally:
            connection.close()  # this thread's own connection

    threads = [
        threading.Thread(target=reviewer, args=(rob, "include")),
        threading.Thread(target=reviewer, args=(rita, "exclude")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert Decision.objects.count() == 2 * RECORDS
    assert Counter(Decision.objects.values_list("reviewer_name", flat=True)) == {
        "rob": RECORDS,
        "rita": RECORDS,
    }
    assert AuditEvent.objects.filter(action="screening.decide").count() == 2 * RECORDS
    log = screening_log(review)
    # Every record ends with both decisions: a disagreement for the third person.
    assert [log.outcome(rid, "title_abstract").outcome for rid in ids] == ["conflict"] * RECORDS
