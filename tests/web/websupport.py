"""Helpers of the web suite (imported by its tests; fixtures are in conftest.py)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from evsynth.web.reviews.models import Review

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "src" / "evsynth" / "data" / "examples" / "adhesiolysis-disc-herniation"
PASSWORD = "correct horse battery staple"

SCREENING_PROTOCOL = """\
title: Web test review
question:
  population: adults with chronic lumbar radicular pain
  intervention: percutaneous epidural adhesiolysis
outcomes:
  - id: pain
    name: Pain (0-10)
screening:
  exclusion_reasons: [wrong population, wrong intervention, wrong design]
"""


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def make_user(name: str) -> User:
    return User.objects.create_user(name, password=PASSWORD)


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def add_records(review: Review, n: int = 6) -> list[Any]:
    from evsynth.web.screening.models import Record

    records = []
    for i in range(1, n + 1):
        rid = f"pubmed-{i:05d}"
        data = {
            "id": rid,
            "source": "PubMed",
            "source_file": "search.ris",
            "source_line": i * 10,
            "title": f"Percutaneous adhesiolysis trial {i}",
            "authors": [f"Author{i}, A"],
            "year": 2000 + i,
            "journal": "Pain Physician",
            "volume": "",
            "issue": "",
            "pages": "",
            "doi": f"10.1000/x{i}",
            "pmid": str(1000 + i),
            "abstract": "Adults with lumbar radicular pain received epidural adhesiolysis.",
            "keywords": ["adhesiolysis"],
            "type": "JOUR",
            "extra": {},
        }
        records.append(
            Record.objects.create(
                review=review, record_id=rid, position=i, line=json.dumps(data), data=data
            )
        )
    return records


def add_duplicate_link(review: Review, record_a: str, record_b: str) -> None:
    """An automatic duplicate link between two records, as deduplication would store it."""
    from evsynth.web.screening.models import LinkRow

    position = LinkRow.objects.filter(review=review).count() + 1
    LinkRow.objects.create(
        review=review,
        position=position,
        row={
            "link_id": f"L{position:06d}",
            "kind": "duplicate",
            "record_a": record_a,
            "record_b": record_b,
            "score": "1.0000",
            "decided_by": "auto",
            "status": "active",
            "created_at": "2026-12-01T00:00:00Z",
        },
    )


def seed_zip() -> bytes:
    """The bundled seed review folder as a zip (the project format of the evidence layer)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(SEED.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(SEED).as_posix())
    return buffer.getvalue()
