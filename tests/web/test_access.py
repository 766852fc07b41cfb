"""Every review view as lead, reviewer, read-only member, outsider and anonymous visitor.

The rules (healthchecks' pattern, one helper in evsynth.web.lib.access): anonymous visitors are
sent to log in, someone outside the review gets 404 (its existence is not disclosed), a read-only
member may look but gets 403 on every write, reviewers write, only the lead manages the team and
the protocol.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from websupport import add_records

from evsynth.web.appraisal.models import TableRow
from evsynth.web.reviews.models import Job, ProjectFile

# (url name, extra URL args) of every page a member may read.
READ_PAGES = [
    ("review-home", ()),
    ("protocol", ()),
    ("members", ()),
    ("audit", ()),
    ("export", ()),
    ("records-import", ()),
    ("dedup", ()),
    ("records-json", ()),
    ("records-export", ()),
    ("records-list", ()),
    ("conflicts", ()),
    ("fulltext", ()),
    ("fulltext-file", ("pubmed-00001",)),
    ("studies", ()),
    ("extraction", ("s1",)),
    ("appraise", ("s1", "cochrane-back-2015")),
    ("analysis", ()),
    ("analysis-json", ()),
    ("grade", ()),
    ("prisma", ()),
    ("documents", ()),
    ("job-status", ("JOB",)),
    ("job-download", ("DONE",)),
    ("document-file", ("DONE", "report.html")),
]
# Pages that exist only to change something: read-only members get 403 even on GET.
WRITE_PAGES = [("screen", ("title_abstract",)), ("screen", ("full_text",))]
# (url name, args, POST data, who may do it: "writer" or "lead").
WRITES = [
    ("protocol", (), {"protocol_yaml": "title: x"}, "lead"),
    ("members", (), {"username": "olga", "role": "reviewer"}, "lead"),
    ("dedup", (), {"action": "undo", "link_id": "none"}, "writer"),
    ("decide", ("title_abstract",), {"record_id": "pubmed-00001", "decision": "include"}, "writer"),
    (
        "decide-json",
        ("title_abstract",),
        {"record_id": "pubmed-00002", "decision": "exclude"},
        "writer",
    ),
    ("undo", ("title_abstract",), {}, "writer"),
    ("conflicts", (), {"record_id": "pubmed-00001", "stage": "title_abstract"}, "writer"),
    ("fulltext", (), {"record_id": "pubmed-00001", "retrieved": "yes"}, "writer"),
    ("studies", (), {"study_id": "s2", "label": "S 2", "design": "rct"}, "writer"),
    ("extraction", ("s1",), {"arm": "all", "outcome": "pain", "timepoint_months": "6"}, "writer"),
    ("appraise", ("s1", "cochrane-back-2015"), {"item-c01": "yes"}, "writer"),
    ("records-import", (), {}, "writer"),
    ("documents", (), {}, "writer"),
]
ROLES = ["lena", "rob", "otto", "olga", "anonymous"]


@pytest.fixture
def world(team: dict[str, Any], clients: dict[str, Client]) -> dict[str, Any]:
    review = team["review"]
    add_records(review, 3)
    review.tables = {"studies": ["study_id", "label", "design"]}
    review.save()
    TableRow.objects.create(
        review=review,
        table="studies",
        position=1,
        row={"study_id": "s1", "label": "Study 1", "design": "rct"},
    )
    ProjectFile.objects.create(
        review=review, path="fulltext/pubmed-00001.pdf", content=b"%PDF-1.4\n%%EOF\n"
    )
    job = Job.objects.create(review=review, kind="import", created_by=team["lena"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("report.html", "<p>report</p>")
    done = Job.objects.create(
        review=review,
        kind="documents",
        created_by=team["lena"],
        status="done",
        output=buffer.getvalue(),
        output_name="documents.zip",
        result={"files": ["report.html"]},
    )
    return {"review": review, "clients": clients, "job": job, "done": done}


def _url(world: dict[str, Any], name: str, args: tuple[str, ...]) -> str:
    jobs = {"JOB": world["job"].pk, "DONE": world["done"].pk}
    resolved = [jobs.get(a, a) for a in args]
    return reverse(name, args=[world["review"].pk, *resolved])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "args"), READ_PAGES + WRITE_PAGES)
def test_get(world: dict[str, Any], role: str, name: str, args: tuple[str, ...]) -> None:
    response = world["clients"][role].get(_url(world, name, args))
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif role == "olga":
        assert response.status_code == 404
    elif role == "otto" and (name, args) in WRITE_PAGES:
        assert response.status_code == 403
    elif name == "analysis-json":
        # This review has no studies yet: the evidence layer's message, as a 400.
        assert response.status_code == 400
        assert "studies.csv" in response.json()["error"]
    else:
        assert response.status_code == 200, response.content[:500]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "args", "data", "who"), WRITES)
def test_post(
    world: dict[str, Any],
    role: str,
    name: str,
    args: tuple[str, ...],
    data: dict[str, str],
    who: str,
) -> None:
    response = world["clients"][role].post(_url(world, name, args), data)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif role == "olga":
        assert response.status_code == 404
    elif role == "otto" or (who == "lead" and role != "lena"):
        assert response.status_code == 403
    else:
        # Allowed: the view ran (a redirect after the change, or a validation message).
        assert response.status_code in (200, 302, 400), response.content[:500]


def test_review_list_shows_only_own_reviews(world: dict[str, Any]) -> None:
    title = world["review"].title
    assert title in world["clients"]["otto"].get(reverse("review-list")).content.decode()
    assert title not in world["clients"]["olga"].get(reverse("review-list")).content.decode()


def test_csrf_is_enforced(db: None) -> None:
    """A POST without the CSRF token is refused (the test client skips the check by default)."""
    from django.contrib.auth.models import User

    User.objects.create_user("carl", password="x" * 12)
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "carl", "password": "x" * 12})
    assert response.status_code == 403
