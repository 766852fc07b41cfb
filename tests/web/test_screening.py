"""Blinded dual screening, conflicts and their resolution, full-text reasons, the audit trail.

Blinding must hold in every path: the screening page, the JSON endpoints, the audit page, the
overview and the project export never show a reviewer another's decision on a record before both
have decided it.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from websupport import add_duplicate_link, add_records

from evsynth.web.reviews.models import AppendOnlyError, AuditEvent


@pytest.fixture
def screening(team: dict[str, Any], clients: dict[str, Client]) -> dict[str, Any]:
    review = team["review"]
    add_records(review, 4)
    return {"review": review, "c": clients}


def _decide(
    client: Client,
    review: Any,
    record: str,
    decision: str,
    stage: str = "title_abstract",
    **kw: str,
) -> Any:
    url = reverse("decide-json", args=[review.pk, stage])
    return client.post(url, {"record_id": record, "decision": decision, **kw})


def _json(client: Client, review: Any) -> dict[str, Any]:
    records = client.get(reverse("records-json", args=[review.pk])).json()["records"]
    return {r["id"]: r["screening"]["title_abstract"] for r in records}


def _export_decisions(client: Client, review: Any) -> tuple[list[dict[str, str]], str]:
    response = client.get(reverse("export", args=[review.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    rows: list[dict[str, str]] = []
    if "screening/decisions.csv" in archive.namelist():
        text = archive.read("screening/decisions.csv").decode()
        rows = list(csv.DictReader(io.StringIO(text)))
    return rows, response["X-Evsynth-Withheld-Decisions"]


def test_blinding_holds_in_every_path(screening: dict[str, Any]) -> None:
    review, c = screening["review"], screening["c"]
    assert _decide(c["rob"], review, "pubmed-00001", "include").json()["ok"] is True

    # rita has not decided: the screening page shows the record but nothing of rob's decision.
    page = c["rita"].get(reverse("screen", args=[review.pk, "title_abstract"]))
    html = page.content.decode()
    assert 'data-record="pubmed-00001"' in html
    assert 'data-testid="others"' not in html and "rob" not in html.split("<main>")[1]
    # ... also when she asks for the record by name.
    page = c["rita"].get(
        reverse("screen", args=[review.pk, "title_abstract"]) + "?record=pubmed-00001"
    )
    assert 'data-testid="others"' not in page.content.decode()

    # The JSON endpoint: rob sees his own decision; rita, the lead and read-only otto see none.
    assert _json(c["rob"], review)["pubmed-00001"]["decisions"] == [
        {"reviewer": "rob", "decision": "include", "reason": ""}
    ]
    for name in ("rita", "lena", "otto"):
        seen = _json(c[name], review)["pubmed-00001"]
        assert seen == {"decisions": [], "outcome": "blinded"}, name

    # The audit page masks rob's decision for everyone else.
    for name in ("rita", "lena", "otto"):
        audit = c[name].get(reverse("audit", args=[review.pk])).content.decode()
        assert "blinded until you have decided" in audit
        assert "&#x27;decision&#x27;: &#x27;include&#x27;" not in audit
    assert (
        "&#x27;include&#x27;" in c["rob"].get(reverse("audit", args=[review.pk])).content.decode()
    )

    # The export withholds it (and says how many were withheld).
    rows, withheld = _export_decisions(c["rita"], review)
    assert rows == [] and withheld == "1"
    rows, withheld = _export_decisions(c["rob"], review)
    assert [r["reviewer"] for r in rows] == ["rob"] and withheld == "0"

    # Once rita has decided, both see both decisions everywhere.
    assert _decide(c["rita"], review, "pubmed-00001", "exclude").status_code == 200
    both = [
        {"reviewer": "rob", "decision": "include", "reason": ""},
        {"reviewer": "rita", "decision": "exclude", "reason": ""},
    ]
    for name in ("rob", "rita", "lena", "otto"):
        seen = _json(c[name], review)["pubmed-00001"]
        assert sorted(seen["decisions"], key=str) == sorted(both, key=str), name
        assert seen["outcome"] == "conflict"
    page = c["rita"].get(
        reverse("screen", args=[review.pk, "title_abstract"]) + "?record=pubmed-00001"
    )
    assert "rob: include" in page.content.decode()
    rows, withheld = _export_decisions(c["otto"], review)
    assert len(rows) == 2 and withheld == "0"


def test_next_record_skips_own_and_complete_records(screening: dict[str, Any]) -> None:
    review, c = screening["review"], screening["c"]
    _decide(c["rob"], review, "pubmed-00001", "include")
    _decide(c["rita"], review, "pubmed-00002", "include")
    _decide(c["lena"], review, "pubmed-00002", "include")  # pubmed-00002 now has its two
    response = _decide(c["rob"], review, "pubmed-00003", "exclude", next="1")
    assert response.json()["next"] == "pubmed-00004"  # not 1 (own), not 2 (complete)
    page = c["rita"].get(reverse("screen", args=[review.pk, "title_abstract"]))
    assert 'data-record="pubmed-00001"' in page.content.decode()


def test_keywords_are_highlighted_and_escaped(screening: dict[str, Any]) -> None:
    review, c = screening["review"], screening["c"]
    from evsynth.web.screening.models import Record

    record = Record.objects.get(review=review, record_id="pubmed-00001")
    record.data = {**record.data, "title": "<script>x</script> Epidural adhesiolysis works"}
    record.save()
    html = c["rob"].get(reverse("screen", args=[review.pk, "title_abstract"])).content.decode()
    # The protocol's intervention words are marked; the record's markup is shown as text.
    assert "<mark>adhesiolysis</mark>" in html and "<mark>Epidural</mark>" in html
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html
    # Single-key shortcuts are on the page.
    for key in "iemn":
        assert f'data-key="{key}"' in html


def test_conflict_is_resolved_by_a_third_person(screening: dict[str, Any]) -> None:
    review, c = screening["review"], screening["c"]
    _decide(c["rob"], review, "pubmed-00001", "include")
    _decide(c["rita"], review, "pubmed-00001", "exclude")
    page = c["lena"].get(reverse("conflicts", args=[review.pk])).content.decode()
    assert page.count('data-testid="conflict"') == 1 and "disagreement" in page
    url = reverse("conflicts", args=[review.pk])
    data = {"record_id": "pubmed-00001", "stage": "title_abstract", "decision": "include"}
    # One of the pair cannot settle it alone (the records layer's third-person rule).
    c["rob"].post(url, data)
    assert _json(c["lena"], review)["pubmed-00001"]["outcome"] == "conflict"
    c["lena"].post(url, data)
    assert _json(c["lena"], review)["pubmed-00001"]["outcome"] == "include"
    assert 'data-testid="no-conflicts"' in c["lena"].get(url).content.decode()
    event = AuditEvent.objects.filter(action="screening.resolve").get()
    assert (event.username, event.target, event.previous) == (
        "lena",
        "pubmed-00001 title_abstract",
        None,
    )


def test_full_text_needs_title_abstract_include_and_a_reason(screening: dict[str, Any]) -> None:
    review, c = screening["review"], screening["c"]
    # Not yet through the first stage: refused with the records layer's message.
    response = _decide(c["rob"], review, "pubmed-00001", "include", stage="full_text")
    assert response.status_code == 400
    assert "has not passed title/abstract screening" in response.json()["error"]
    _decide(c["rob"], review, "pubmed-00001", "include")
    _decide(c["rita"], review, "pubmed-00001", "include")
    fulltext = c["lena"].get(reverse("fulltext", args=[review.pk])).content.decode()
    assert fulltext.count('data-testid="ft-row"') == 1
    response = _decide(c["rob"], review, "pubmed-00001", "exclude", stage="full_text")
    assert response.status_code == 400
    assert "needs a reason" in response.json()["error"]
    response = _decide(
        c["rob"], review, "pubmed-00001", "exclude", stage="full_text", reason="wrong design"
    )
    assert response.json()["ok"] is True
    c["rob"].post(
        reverse("fulltext", args=[review.pk]), {"record_id": "pubmed-00001", "retrieved": "yes"}
    )
    rows = c["rob"].get(reverse("fulltext", args=[review.pk])).content.decode()
    assert "exclude (wrong design)" in rows


def test_audit_keeps_previous_value_and_is_append_only(screening: dict[str, Any]) -> None:
    review, c = screening["review"], screening["c"]
    _decide(c["rob"], review, "pubmed-00001", "include")
    _decide(c["rob"], review, "pubmed-00001", "exclude", note="wrong population after all")
    events = list(AuditEvent.objects.filter(action="screening.decide").order_by("id"))
    assert [e.previous for e in events] == [
        None,
        {"decision": "include", "reason": "", "note": ""},
    ]
    assert events[1].value == {
        "decision": "exclude",
        "reason": "",
        "note": "wrong population after all",
    }
    assert events[1].username == "rob" and events[1].at >= events[0].at
    with pytest.raises(AppendOnlyError):
        events[0].save()
    with pytest.raises(AppendOnlyError):
        events[0].delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=events[0].pk).update(action="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    if connection.vendor == "postgresql":
        # The database itself refuses, even for SQL that goes around the model.
        from django.db import DatabaseError, transaction

        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE reviews_auditevent SET action = 'x'")
    assert AuditEvent.objects.get(pk=events[0].pk).action == "screening.decide"


def test_read_only_member_cannot_decide_through_json(screening: dict[str, Any]) -> None:
    review, c = screening["review"], screening["c"]
    assert _decide(c["otto"], review, "pubmed-00001", "include").status_code == 403
    assert json.loads(c["otto"].get(reverse("records-json", args=[review.pk])).content)


def test_priority_order_puts_the_likely_relevant_record_first(
    team: dict[str, Any], clients: dict[str, Client]
) -> None:
    """With one inclusion and one exclusion, the records layer's ranking reorders the rest."""
    from websupport import add_records

    review, rob = team["review"], clients["rob"]
    texts = [
        ("epidural adhesiolysis for lumbar radicular pain", "catheter adhesiolysis epidural pain"),
        ("total knee arthroplasty rehabilitation", "knee arthroplasty implant rehabilitation"),
        ("knee arthroplasty implant survival", "arthroplasty implant knee revision"),
        ("epidural adhesiolysis catheter trial", "adhesiolysis catheter epidural lumbar pain"),
    ]
    records = add_records(review, len(texts))
    for record, (title, abstract) in zip(records, texts, strict=True):
        record.data = {**record.data, "title": title, "abstract": abstract}
        record.save()
    _decide(rob, review, records[0].record_id, "include")
    _decide(rob, review, records[1].record_id, "exclude")
    url = reverse("screen", args=[review.pk, "title_abstract"])
    # Import order: the knee record comes next.
    assert f'data-record="{records[2].record_id}"' in rob.get(url).content.decode()
    # Priority: the adhesiolysis record, like the included one, comes first; the choice stays.
    html = rob.get(url + "?order=priority").content.decode()
    assert f'data-record="{records[3].record_id}"' in html
    assert f'data-record="{records[3].record_id}"' in rob.get(url).content.decode()


def test_overview_shows_agreement_between_screeners(screening: dict[str, Any]) -> None:
    """Cohen's kappa from the records layer: 3 of 4 agree, chance agreement 0.5, kappa 0.5."""
    review, c = screening["review"], screening["c"]
    rob = ["include", "include", "exclude", "exclude"]
    rita = ["include", "exclude", "exclude", "exclude"]
    for n, (a, b) in enumerate(zip(rob, rita, strict=True), start=1):
        _decide(c["rob"], review, f"pubmed-{n:05d}", a)
        _decide(c["rita"], review, f"pubmed-{n:05d}", b)
    html = c["otto"].get(reverse("review-home", args=[review.pk])).content.decode()
    # po = 3/4; pe = 0.5 x 0.25 + 0.5 x 0.75 = 0.5; kappa = (0.75 - 0.5) / 0.5 = 0.5.
    assert "kappa 0.50 (moderate), 75.0% of 4 records" in html


def test_undo_takes_back_the_last_decision(screening: dict[str, Any]) -> None:
    review, c = screening["review"], screening["c"]
    _decide(c["rob"], review, "pubmed-00001", "include")
    _decide(c["rob"], review, "pubmed-00002", "exclude")
    url = reverse("undo", args=[review.pk, "title_abstract"])
    response = c["rob"].post(url)
    assert response["Location"].endswith("?record=pubmed-00002")
    # The log's undo: a withdrawal row appended (nothing deleted), and the record is open again.
    seen = _json(c["rob"], review)
    assert seen["pubmed-00002"]["decisions"] == []
    assert seen["pubmed-00001"]["decisions"][0]["decision"] == "include"
    from evsynth.web.screening.models import Decision

    rows = list(Decision.objects.filter(record__record_id="pubmed-00002").order_by("id"))
    assert [(r.decision, r.note.split(":")[0]) for r in rows] == [("exclude", ""), ("", "undo")]
    assert AuditEvent.objects.filter(action="screening.undo", username="rob").count() == 1
    # Undo again: the earlier decision (pubmed-00001) is taken back next.
    c["rob"].post(url)
    assert _json(c["rob"], review)["pubmed-00001"]["decisions"] == []
    assert c["otto"].post(url).status_code == 403


def test_documents_say_when_they_are_stale(
    team: dict[str, Any], clients: dict[str, Client]
) -> None:
    from evsynth.web.lib.audit import record_event
    from evsynth.web.reviews.models import Job

    review = team["review"]
    job = Job.objects.create(
        review=review,
        kind="documents",
        created_by=team["lena"],
        status="done",
        result={"files": []},
    )
    url = reverse("documents", args=[review.pk])
    assert 'data-testid="stale"' not in clients["lena"].get(url).content.decode()
    record_event(review, team["rob"], "screening.decide", "x title_abstract")
    assert job.updated_at is not None
    assert 'data-testid="stale"' in clients["lena"].get(url).content.decode()


def test_screening_page_shows_the_reviewers_progress(screening: dict[str, Any]) -> None:
    """Like the terminal's "1 of 4 screened": what this reviewer has decided at the stage, what
    still waits for them, and what the stage holds (records complete without them excepted)."""
    review, c = screening["review"], screening["c"]
    _decide(c["rob"], review, "pubmed-00001", "include")
    _decide(c["rita"], review, "pubmed-00002", "exclude")
    _decide(c["lena"], review, "pubmed-00002", "exclude")  # complete without rob
    page = c["rob"].get(reverse("screen", args=[review.pk, "title_abstract"])).content.decode()
    assert 'data-testid="progress"' in page
    assert "You have screened 1 of 4 records" in page
    assert "2 still need your decision" in page
    assert '<progress value="1" max="4">' in page
    done = c["rita"].get(reverse("screen", args=[review.pk, "title_abstract"])).content.decode()
    assert "You have screened 1 of 4 records" in done and "3 still need your decision" in done


@pytest.fixture
def borrowed(team: dict[str, Any]) -> Any:
    """Three records; pubmed-00001, exported without an abstract, duplicates pubmed-00002."""
    from evsynth.web.screening.models import Record

    review = team["review"]
    add_records(review, 3)
    first = Record.objects.get(review=review, record_id="pubmed-00001")
    first.data = {**first.data, "abstract": ""}
    first.save()
    add_duplicate_link(review, "pubmed-00001", "pubmed-00002")
    return review


def test_a_record_without_abstract_shows_its_duplicates_abstract(
    borrowed: Any, clients: dict[str, Client]
) -> None:
    page = clients["rob"].get(reverse("screen", args=[borrowed.pk, "title_abstract"]))
    text = page.content.decode()
    assert 'data-record="pubmed-00001"' in text
    assert "received" in text and 'data-testid="abstract-from"' in text
    assert "Abstract from pubmed-00002, a duplicate of this record" in text


def test_the_ranking_reads_an_abstract_borrowed_from_a_duplicate(borrowed: Any) -> None:
    from evsynth.web.screening.models import Record
    from evsynth.web.screening.state import with_group_abstracts

    data = {r.record_id: r.data for r in Record.objects.filter(review=borrowed)}
    filled = with_group_abstracts(borrowed, data)
    assert filled["pubmed-00001"]["abstract"] == data["pubmed-00002"]["abstract"]
    assert filled["pubmed-00003"] == data["pubmed-00003"]
    assert data["pubmed-00001"]["abstract"] == ""  # the records themselves are unchanged
