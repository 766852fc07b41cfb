"""Background jobs with a progress row the page polls.

A job runs in a thread of the web process (enough for one team server; no broker to install).
With ``EVSYNTH_JOBS_INLINE`` (the tests) it runs before the request returns.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection

from evsynth.errors import InputError
from evsynth.web.reviews.models import Job, JobStatus

Progress = Callable[[int, int, str], None]
Work = Callable[[Job, Progress], Any]


def _progress(job_id: int) -> Progress:
    def report(done: int, total: int, message: str = "") -> None:
        Job.objects.filter(pk=job_id).update(progress=done, total=total, message=message)

    return report


def _run(job_id: int, work: Work) -> None:
    job = Job.objects.get(pk=job_id)
    Job.objects.filter(pk=job_id).update(status=JobStatus.RUNNING)
    try:
        result = work(job, _progress(job_id))
    except InputError as exc:
        Job.objects.filter(pk=job_id).update(status=JobStatus.FAILED, message=str(exc))
    except Exception as exc:
        traceback.print_exc()
        Job.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED, message=f"internal error: {type(exc).__name__}: {exc}"
        )
    else:
        Job.objects.filter(pk=job_id).update(status=JobStatus.DONE, result=result)


def start_job(job: Job, work: Work) -> Job:
    """Run ``work(job, progress)`` for a saved job, in the background unless inline."""
    if settings.EVSYNTH_JOBS_INLINE:
        _run(job.pk, work)
    else:

        def target() -> None:
            close_old_connections()
            try:
                _run(job.pk, work)
            finally:
                connection.close()

        threading.Thread(target=target, name=f"evsynth-job-{job.pk}", daemon=True).start()
    job.refresh_from_db()
    return job
