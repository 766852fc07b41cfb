"""A review, who works on it in which role, what each person did, and the jobs it runs."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    """Membership roles: the lead manages the team and resolves; read-only members only look."""

    LEAD = "lead", "Lead"
    REVIEWER = "reviewer", "Reviewer"
    READ_ONLY = "read_only", "Read-only"


class Review(models.Model):
    """A review project: the protocol text plus everything in the tables that hang off it.

    ``protocol_yaml`` is ``review.yaml`` verbatim, so an export gives back the user's file,
    comments included. ``tables`` keeps the column order of the project's CSV tables
    (``studies``, ``outcomes``, ``appraisals``) as they were imported.
    """

    title = models.CharField(max_length=300)
    protocol_yaml = models.TextField(blank=True, default="")
    tables = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title


class Membership(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.REVIEWER)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["review", "user"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.review} as {self.role}"


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("the audit trail is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("the audit trail is append-only")


class AuditEvent(models.Model):
    """One thing a person did to a review: who, what, on which object, when, and the value before.

    Append-only: the model refuses updates and deletes, no view edits it, and on PostgreSQL a
    trigger (migration 0002) refuses them in the database itself.
    """

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="audit_events")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # The name as it was then, so the trail reads the same if the account is renamed.
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=300, blank=True, default="")
    previous = models.JSONField(null=True, blank=True)
    value = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("the audit trail is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("the audit trail is append-only")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {self.target}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Job(models.Model):
    """A long piece of work (import, deduplication, document build) whose progress a page polls."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, default="")
    result = models.JSONField(null=True, blank=True)
    output = models.BinaryField(null=True, blank=True)
    output_name = models.CharField(max_length=200, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.status}"


class ProjectFile(models.Model):
    """A file of the project folder that the app does not model (kept verbatim for the export)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(max_length=300)
    content = models.BinaryField()

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["review", "path"], name="one_file_per_path")
        ]

    def __str__(self) -> str:
        return self.path
