"""The records layer's files as tables: records, sources, links, decisions, resolutions.

Field names follow the project folder's files (records/records.jsonl, records/sources.csv,
records/links.csv, screening/decisions.csv, screening/resolutions.csv, screening/fulltext.csv)
so the export writes each row back as it came.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from evsynth.web.reviews.models import Review


class Stage(models.TextChoices):
    TITLE_ABSTRACT = "title_abstract", "Title and abstract"
    FULL_TEXT = "full_text", "Full text"


class Verdict(models.TextChoices):
    INCLUDE = "include", "Include"
    EXCLUDE = "exclude", "Exclude"
    MAYBE = "maybe", "Maybe"


class Source(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="sources")
    row = models.JSONField()  # the sources.csv row (source database file format imported_at ...)
    position = models.PositiveIntegerField()

    class Meta:
        ordering: ClassVar[list[str]] = ["position"]


class Record(models.Model):
    """One bibliographic record: its records.jsonl line verbatim and parsed.

    ``line`` is what the export writes back (PostgreSQL's jsonb does not keep key order, so the
    parsed ``data`` alone could not give the file back byte for byte); ``data`` is for display.
    """

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="records")
    record_id = models.CharField(max_length=100)
    position = models.PositiveIntegerField()
    line = models.TextField()
    data = models.JSONField()

    class Meta:
        ordering: ClassVar[list[str]] = ["position"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["review", "record_id"], name="one_record_per_id")
        ]

    def __str__(self) -> str:
        return self.record_id

    @property
    def title(self) -> str:
        return str(self.data.get("title") or "")


class LinkRow(models.Model):
    """One row of links.csv. Rows are appended, never changed: undoing a link is a new row."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="link_rows")
    position = models.PositiveIntegerField()
    row = models.JSONField()

    class Meta:
        ordering: ClassVar[list[str]] = ["position"]


class DuplicateCandidate(models.Model):
    """A pair the deduplication scored as uncertain, waiting for a person to decide."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="candidates")
    record_a = models.CharField(max_length=100)
    record_b = models.CharField(max_length=100)
    score = models.FloatField()
    resolved = models.BooleanField(default=False)

    class Meta:
        ordering: ClassVar[list[str]] = ["-score", "id"]


class Decision(models.Model):
    """One screening decision by one reviewer (append-only: a change of mind is a new row)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="decisions")
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="decisions")
    stage = models.CharField(max_length=16, choices=Stage.choices)
    # The name is the identity (blinding, export); the account link is kept when there is one
    # (decisions imported from a project folder may come from people without an account here).
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewer_name = models.CharField(max_length=150)
    # Empty for a withdrawal (the records layer's undo of a first decision).
    decision = models.CharField(max_length=8, choices=Verdict.choices, blank=True)
    reason = models.CharField(max_length=300, blank=True, default="")
    note = models.TextField(blank=True, default="")
    # The timestamp text exactly as the screening log wrote it (ISO 8601, UTC).
    decided_at = models.CharField(max_length=40)

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["review", "stage", "record"])]


class Resolution(models.Model):
    """The third person's decision on a conflict (append-only, latest wins)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="resolutions")
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="resolutions")
    stage = models.CharField(max_length=16, choices=Stage.choices)
    resolver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolver_name = models.CharField(max_length=150)
    decision = models.CharField(max_length=8, choices=Verdict.choices)
    reason = models.CharField(max_length=300, blank=True, default="")
    decided_at = models.CharField(max_length=40)

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]


class FullText(models.Model):
    """Whether a full report was sought and retrieved (screening/fulltext.csv; latest row wins)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="fulltexts")
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="fulltexts")
    sought = models.BooleanField(null=True)
    retrieved = models.BooleanField(null=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]
