"""The records page: every record of the review with where it stands, searchable and filtered,
blinded exactly as the screening pages are."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from websupport import add_duplicate_link, add_records


@pytest.fixture
def screened(team: dict[str, Any], clients: dict[str, Client]) -> dict[str, Any]:
    """Six records: 1 included by both, 2 excluded by both, 3 a conflict, 4 decided by rob
    only, 5 not screened, 6 a duplicate of 5."""
    review = team["review"]
    add_records(review, 6)
    add_duplicate_link(review, "pubmed-00005", "pubmed-00006")
    url = reverse("decide-json", args=[review.pk, "title_abstract"])
    for rid, rob, rita in (
        ("pubmed-00001", "include", "include"),
        ("pubmed-00002", "exclude", "exclude"),
        ("pubmed-00003", "include", "exclude"),
        ("pubmed-00004", "include", None),
    ):
        clients["rob"].post(url, {"record_id": rid, "decision": rob})
        if rita:
            clients["rita"].post(url, {"record_id": rid, "decision": rita})
    return {"review": review, "c": clients}


def _statuses(client: Client, review: Any, **params: str) -> dict[str, str]:
    page = client.get(reverse("records-list", args=[review.pk]), params).content.decode()
    rows = page.split('data-testid="record-row"')[1:]
    out = {}
    for row in rows:
        rid = row.split('data-record="')[1].split('"')[0]
        out[rid] = row.split('data-status="')[1].split('"')[0]
    return out


def test_every_record_with_its_standing_blinded_per_viewer(screened: dict[str, Any]) -> None:
    review, c = screened["review"], screened["c"]
    assert _statuses(c["rita"], review) == {
        "pubmed-00001": "include",
        "pubmed-00002": "exclude",
        "pubmed-00003": "conflict",
        "pubmed-00004": "blinded",  # rob decided, rita has not: she may not see it
        "pubmed-00005": "not screened",
        "pubmed-00006": "duplicate",
    }
    assert _statuses(c["rob"], review)["pubmed-00004"] == "pending"  # his own, one of two


def test_filter_by_standing_and_search(screened: dict[str, Any]) -> None:
    review, c = screened["review"], screened["c"]
    assert list(_statuses(c["otto"], review, status="conflict")) == ["pubmed-00003"]
    # A blinded record is never listed under an outcome it would reveal.
    assert _statuses(c["rita"], review, status="pending") == {}
    assert list(_statuses(c["otto"], review, q="trial 2")) == ["pubmed-00002"]
    assert list(_statuses(c["otto"], review, q="PUBMED-00006")) == ["pubmed-00006"]
    page = c["otto"].get(reverse("records-list", args=[review.pk])).content.decode()
    assert 'data-testid="status-counts"' in page and "conflict (1)" in page
    bad = c["otto"].get(reverse("records-list", args=[review.pk]), {"stage": "nonsense"})
    assert bad.status_code == 404
