"""Pytest configuration shared by every suite; helpers live in ``tests/helpers.py``."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest
from hypothesis import settings

from helpers import IN_CI

matplotlib.use("Agg")

# CI draws the same hypothesis examples on every run (a red build must be reproducible); a
# developer's runs draw new ones, which is how the two pinned @example cases were found.
settings.register_profile("ci", derandomize=True, print_blob=True)
if IN_CI:
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Run the SQLite pass on a database file, as ``evsynth serve`` does.

    Django's default SQLite test database is a shared in-memory one, whose table locks ignore
    the busy timeout: a background job's thread writing while the test reads can then fail with
    "database table is locked" (seen once as a stuck job in the jobs test under load). A file
    has the server's WAL journal and busy timeout.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        folder: Path = tmp_path_factory.mktemp("database")
        database.setdefault("TEST", {})["NAME"] = str(folder / "evsynth-test.sqlite3")
