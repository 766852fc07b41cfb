"""Fixtures of the web suite: a review with a lead, reviewers, a read-only member and an outsider.

The suite runs twice in ``make test``: on SQLite (the default settings) and on PostgreSQL
(``EVSYNTH_DATABASE_URL`` set to the test server), like healthchecks' test matrix.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import LazySettings
from django.test import Client

sys.path.insert(0, str(Path(__file__).resolve().parent))

from websupport import SCREENING_PROTOCOL, login, make_user

from evsynth.web.reviews.models import Membership, Review, Role


@pytest.fixture(autouse=True)
def _fast_settings(settings: LazySettings, tmp_path: Path) -> None:
    # MD5 only to keep the suite fast; production hashing is PBKDF2 (checked in test_accounts).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EVSYNTH_JOBS_INLINE = True


@pytest.fixture
def team(db: None) -> dict[str, Any]:
    """A review with lead 'lena', reviewers 'rob' and 'rita', read-only 'otto', outsider 'olga'."""
    users = {n: make_user(n) for n in ("lena", "rob", "rita", "otto", "olga")}
    review = Review.objects.create(
        title="Web test review", protocol_yaml=SCREENING_PROTOCOL, created_by=users["lena"]
    )
    for name, role in (
        ("lena", Role.LEAD),
        ("rob", Role.REVIEWER),
        ("rita", Role.REVIEWER),
        ("otto", Role.READ_ONLY),
    ):
        Membership.objects.create(review=review, user=users[name], role=role)
    return {"review": review, **users}


@pytest.fixture
def clients(team: dict[str, Any]) -> Iterator[dict[str, Client]]:
    out = {name: login(team[name]) for name in ("lena", "rob", "rita", "otto", "olga")}
    out["anonymous"] = Client()
    yield out
