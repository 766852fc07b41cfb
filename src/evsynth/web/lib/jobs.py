"""Background jobs with a progress row the page polls.

A job runs in a thread of the web process (enough for one team server; no broker to install).
With ``EVSYNTH_JOBS_INLINE`` (the tests) it runs before the request returns.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import OperationalError, close_old_connections, connection

from evsynth.errors import InputError
from evsynth.web.reviews.models import Job, JobStatus

Progress = Callable[[int, int, str], None]
Work = Callable[[Job, Progress], Any]


def _set(job_id: int, attempts: int = 6, **fields: Any) -> None:
    """Write a job's status row, trying again while the database is busy.

    A job whose last write failed would show "running" for ever; SQLite's busy timeout covers
    most waits, and these retries (0.1 s, doubling) the rest.
    """
    for attempt in range(attempts):
        try:
            Job.objects.filter(pk=job_id).update(**fields)
            return
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.1 * 2**attempt)


def _progress(job_id: int) -> Progress:
    def report(done: int, total: int, message: str = "") -> None:
        _set(job_id, progress=done, total=total, message=message)

    return report


def _run(job_id: int, work: Work) -> None:
    _set(job_id, status=JobStatus.RUNNING)
    try:
        job = Job.objects.get(pk=job_id)
        result = work(job, _progress(job_id))
    except InputError as exc:
        _set(job_id, status=JobStatus.FAILED, message=str(exc))
    except Exception as exc:
        traceback.print_exc()
        _set(
            job_id,
            status=JobStatus.FAILED,
            message=f"internal error: {type(exc).__name__}: {exc}",
        )
    else:
        _set(job_id, status=JobStatus.DONE, result=result)


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
