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


@pytest.mark.django_db(transaction=True)
def test_a_busy_database_does_not_leave_a_job_running(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import OperationalError
    from django.db.models import QuerySet

    user = make_user("lena")
    review = Review.objects.create(title="t", created_by=user)
    real_update = QuerySet.update
    failures = [OperationalError("database is locked")] * 2

    def flaky_update(self: QuerySet[Any], **kwargs: Any) -> int:
        if self.model is Job and kwargs.get("status") == JobStatus.DONE and failures:
            raise failures.pop()
        return real_update(self, **kwargs)

    monkeypatch.setattr(QuerySet, "update", flaky_update)
    monkeypatch.setattr("time.sleep", lambda seconds: None)  # the retries wait 0.1 s, doubling
    job = start_job(Job.objects.create(review=review, kind="x", created_by=user), lambda j, p: 1)
    assert (job.status, job.result) == ("done", 1)
