"""Jobs in the background (as under evsynth serve and gunicorn): the page polls a status row."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.conf import LazySettings
from websupport import make_user

from evsynth.errors import InputError
from evsynth.web.lib.jobs import Progress, start_job
from evsynth.web.reviews.models import Job, JobStatus, Review


def _wait(job: Job) -> Job:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in (JobStatus.DONE, JobStatus.FAILED):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job still {job.status}")


@pytest.mark.django_db(transaction=True)
def test_background_job_reports_progress_and_result(settings: LazySettings) -> None:
    settings.EVSYNTH_JOBS_INLINE = False
    user = make_user("lena")
    review = Review.objects.create(title="t", created_by=user)
    seen: list[Any] = []

    def work(job: Job, progress: Progress) -> dict[str, int]:
        progress(1, 2, "half way")
        seen.append(Job.objects.get(pk=job.pk).message)
        return {"answer": 42}

    job = _wait(start_job(Job.objects.create(review=review, kind="x", created_by=user), work))
    assert (job.status, job.result, seen) == ("done", {"answer": 42}, ["half way"])

    def bad(job: Job, progress: Progress) -> None:
        raise InputError("no records", file="x.ris", row=3)

    job = _wait(start_job(Job.objects.create(review=review, kind="x", created_by=user), bad))
    assert (job.status, job.message) == ("failed", "x.ris, row 3: no records")
