"""Login throttling: count failures per user name and address, refuse for a while after N.

Django checks passwords but does not limit guesses; this does, in the database so that every
worker process shares the count.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from evsynth.web.accounts.models import LoginFailure


def client_ip(request: HttpRequest) -> str:
    # Behind a proxy REMOTE_ADDR is the proxy; the operator sets EVSYNTH_BEHIND_PROXY and the
    # proxy's own limits then apply (docs/deploy.md).
    return str(request.META.get("REMOTE_ADDR", ""))


def _window_start() -> datetime:
    return timezone.now() - timedelta(seconds=settings.EVSYNTH_LOGIN_LOCKOUT_SECONDS)


def seconds_locked(username: str, ip: str) -> int:
    """Seconds until this user name may try again from this address (0 when not locked)."""
    recent = LoginFailure.objects.filter(
        username=username.lower(), ip=ip, at__gte=_window_start()
    ).order_by("-at")
    failures = list(recent.values_list("at", flat=True)[: settings.EVSYNTH_LOGIN_MAX_FAILURES])
    if len(failures) < settings.EVSYNTH_LOGIN_MAX_FAILURES:
        return 0
    # Locked until the oldest of the last N failures leaves the window.
    unlock = failures[-1] + timedelta(seconds=settings.EVSYNTH_LOGIN_LOCKOUT_SECONDS)
    return max(1, int((unlock - timezone.now()).total_seconds()))


def note_failure(username: str, ip: str) -> None:
    LoginFailure.objects.create(username=username.lower(), ip=ip)


def clear(username: str, ip: str) -> None:
    LoginFailure.objects.filter(username=username.lower(), ip=ip).delete()
