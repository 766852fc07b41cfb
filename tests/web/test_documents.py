"""Documents built as a job from the current data, and downloaded."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from websupport import make_user, seed_zip

from evsynth.web.reviews.models import Job, Review


@pytest.mark.slow
def test_documents_of_the_seed_review(db: None) -> None:
    client = Client()
    client.force_login(make_user("lena"))
    upload = io.BytesIO(seed_zip())
    upload.name = "seed.zip"
    client.post(reverse("review-import"), {"project": upload})
    review = Review.objects.get()
    response = client.post(reverse("documents", args=[review.pk]))
    assert response.status_code == 302
    job = Job.objects.get(kind="documents")
    assert job.status == "done", job.message
    files: list[str] = job.result["files"]
    # The three documents of `evsynth review run`, and the numbers behind them.
    for name in ("report.html", "policy-brief.html", "plain-language-summary.html", "results.json"):
        assert name in files
    page = client.get(reverse("documents", args=[review.pk])).content.decode()
    assert page.count('data-testid="document"') == len(files)
    report = client.get(reverse("document-file", args=[review.pk, job.pk, "report.html"]))
    assert report["Content-Disposition"].startswith("attachment")
    body = b"".join(report.streaming_content).decode()
    assert "Percutaneous adhesiolysis" in body
    whole = client.get(reverse("job-download", args=[review.pk, job.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(whole.streaming_content)))
    assert sorted(archive.namelist()) == sorted(files)
    missing = client.get(reverse("document-file", args=[review.pk, job.pk, "../secret"]))
    assert missing.status_code == 404


def test_documents_job_fails_with_the_reason(
    team: dict[str, Any], clients: dict[str, Client]
) -> None:
    review = team["review"]  # no studies yet: the evidence layer says so
    clients["lena"].post(reverse("documents", args=[review.pk]))
    job = Job.objects.get(kind="documents")
    assert job.status == "failed" and "studies.csv" in job.message
