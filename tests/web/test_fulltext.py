"""Full-text reports attached to records on the full-text page, kept as project files."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from websupport import add_records

from evsynth.web.reviews.models import AuditEvent, ProjectFile

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def passed(team: dict[str, Any], clients: dict[str, Client]) -> dict[str, Any]:
    """pubmed-00001 included at title and abstract by rob and rita."""
    review = team["review"]
    add_records(review, 3)
    for name in ("rob", "rita"):
        clients[name].post(
            reverse("decide-json", args=[review.pk, "title_abstract"]),
            {"record_id": "pubmed-00001", "decision": "include"},
        )
    return {"review": review, "c": clients}


def _attach(client: Client, review: Any, data: bytes, name: str = "report.pdf") -> Any:
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(
        reverse("fulltext", args=[review.pk]),
        {"action": "attach", "record_id": "pubmed-00001", "report": upload},
    )


def test_attached_report_is_kept_shown_served_and_exported(passed: dict[str, Any]) -> None:
    review, c = passed["review"], passed["c"]
    assert _attach(c["rob"], review, PDF).status_code == 302
    stored = ProjectFile.objects.get(review=review, path="fulltext/pubmed-00001.pdf")
    assert bytes(stored.content) == PDF
    # Attaching the report records it as retrieved (PRISMA's reports sought and retrieved).
    page = c["rita"].get(reverse("fulltext", args=[review.pk])).content.decode()
    url = reverse("fulltext-file", args=[review.pk, "pubmed-00001"])
    assert f'href="{url}"' in page and "yes" in page
    served = c["otto"].get(url)  # read-only members may read the report
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == PDF
    screening = c["rita"].get(reverse("screen", args=[review.pk, "full_text"])).content.decode()
    assert f'href="{url}"' in screening  # the full-text screening page links the report
    event = AuditEvent.objects.get(action="fulltext.attach")
    assert event.username == "rob" and event.target == "pubmed-00001"
    # The report travels with the project export.
    response = c["rob"].get(reverse("export", args=[review.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.read("fulltext/pubmed-00001.pdf") == PDF
    assert "pubmed-00001,yes,yes" in archive.read("screening/fulltext.csv").decode()


def test_a_file_that_is_not_a_pdf_is_a_form_error_and_nothing_is_kept(
    passed: dict[str, Any],
) -> None:
    review, c = passed["review"], passed["c"]
    response = _attach(c["rob"], review, b"PK\x03\x04 a Word file", "report.docx")
    page = c["rob"].get(response["Location"]).content.decode()
    assert "report.docx: not a PDF file" in page
    assert not ProjectFile.objects.filter(review=review).exists()


def test_only_records_at_full_text_take_a_report_and_readers_cannot_attach(
    passed: dict[str, Any],
) -> None:
    review, c = passed["review"], passed["c"]
    assert _attach(c["otto"], review, PDF).status_code == 403
    upload = io.BytesIO(PDF)
    upload.name = "r.pdf"
    response = c["rob"].post(
        reverse("fulltext", args=[review.pk]),
        {"action": "attach", "record_id": "pubmed-00002", "report": upload},
    )
    page = c["rob"].get(response["Location"]).content.decode()
    assert "has not passed title/abstract screening" in page
    assert not ProjectFile.objects.filter(review=review).exists()
    missing = c["rob"].get(reverse("fulltext-file", args=[review.pk, "pubmed-00003"]))
    assert missing.status_code == 404
