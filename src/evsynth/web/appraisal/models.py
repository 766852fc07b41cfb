"""The evidence layer's tables (studies.csv, outcomes.csv, appraisals.csv) as database rows.

A row is kept as the dict of its CSV columns, so any column the evidence layer defines survives
the round trip through the database unchanged; the column order lives in ``Review.tables``.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from evsynth.web.reviews.models import Review

TABLES = ("studies", "outcomes", "appraisals")


class TableRow(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="table_rows")
    table = models.CharField(max_length=16, choices=[(t, t) for t in TABLES])
    position = models.PositiveIntegerField()
    row = models.JSONField()

    class Meta:
        ordering: ClassVar[list[str]] = ["table", "position"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["review", "table", "position"])
        ]
