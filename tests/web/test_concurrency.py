"""Two reviewers deciding on the same records at the same moment lose no decision (PostgreSQL).

Real concurrency: each reviewer is a thread with its own database connection and its own
browser session, released together by a barrier, posting decisions on the same records in the
same order. Every decision and its audit event must be there afterwards.
"""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import sys
import threading
from collections import Counter
from pathlib import Path
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
BIN = Path(sys.executable).parent
BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_web_load.py"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_decisions_are_all_kept() -> None:
    require(postgres_available(), "PostgreSQL at 127.0.0.1:5432")
    if connection.vendor != "postgresql":
        # Separate connections in threads are PostgreSQL's case; the embedded SQLite file is
        # tested the way it is used, through `evsynth serve`, below.
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


@pytest.mark.slow
def test_simultaneous_decisions_on_the_embedded_sqlite(tmp_path: Path) -> None:
    """The same on ``evsynth serve``'s own SQLite file (WAL, busy timeout, BEGIN IMMEDIATE)."""
    bench = _load_bench()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVSYNTH_", "DJANGO_"))}
    env.update(
        EVSYNTH_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="evsynth.web.settings",
        EVSYNTH_SECRET_KEY="test-" + "k" * 50,
    )
    review = bench.prepare(env)  # 20 reviewers, a review with its records
    port = bench.free_port()
    server = bench.run_server([str(BIN / "evsynth"), "serve", "--port", str(port)], env, port)
    try:
        sessions = []
        for name in ("reviewer00", "reviewer01"):
            session = bench.Session(port)
            session.login(name)
            sessions.append(session)
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def post(session: Any, verdict: str) -> None:
            barrier.wait(timeout=30)
            for n in range(1, RECORDS + 1):
                status, _ = session.request(
                    "POST",
                    f"/reviews/{review}/screen/title_abstract/decide.json",
                    {"record_id": f"r{n:05d}", "decision": verdict},
                )
                statuses.append(status)

        threads = [
            threading.Thread(target=post, args=(sessions[0], "include")),
            threading.Thread(target=post, args=(sessions[1], "exclude")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert statuses == [200] * (2 * RECORDS)
    with sqlite3.connect(tmp_path / "evsynth.sqlite3") as db:
        rows = db.execute(
            "SELECT reviewer_name, COUNT(*) FROM screening_decision GROUP BY reviewer_name"
        ).fetchall()
        events = db.execute(
            "SELECT COUNT(*) FROM reviews_auditevent WHERE action = 'screening.decide'"
        ).fetchone()
    assert sorted(rows) == [("reviewer00", RECORDS), ("reviewer01", RECORDS)]
    assert events == (2 * RECORDS,)


def _load_bench() -> Any:
    """The load benchmark's helpers (server start, sessions), so both use the same client."""
    spec = importlib.util.spec_from_file_location("bench_web_load", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
