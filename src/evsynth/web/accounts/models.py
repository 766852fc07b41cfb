"""Failed logins, counted per user name and address so that guessing passwords is throttled.

Counted in the database rather than the process-local cache so that every gunicorn worker sees
the same count.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class LoginFailure(models.Model):
    """One refused login attempt (kept for the throttle window, then ignored)."""

    username = models.CharField(max_length=150)
    ip = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["username", "ip", "at"])]

    def __str__(self) -> str:
        return f"{self.username}@{self.ip} {self.at:%Y-%m-%d %H:%M:%S}"
