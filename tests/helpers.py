"""Shared test helpers (importable as `helpers`: tests/ is on pytest's pythonpath).

With CI=true every suite must run: a missing PostgreSQL server or browser is a failure there,
never a silent skip. Outside CI the same tests skip with a reason, so a developer without a
server can still run the rest.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REFERENCE = ROOT / "reference"
CHROMIUM = "/usr/bin/chromium"
POSTGRES_URL = os.environ.get(
    "EVSYNTH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def require(condition: bool, reason: str) -> None:
    """Skip (locally) or fail (in CI) when a test's prerequisite is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI but missing: {reason}", pytrace=False)
    pytest.skip(reason)


def postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which("chromium") is not None


def shared_dir() -> Path:
    """The ``shared/`` folder beside the checkout (benchmarks and seed documents)."""
    require(SHARED.is_dir(), f"the shared folder {SHARED} is beside the checkout")
    return SHARED


def dedup_decision(a: Any, b: Any) -> str:
    """What deduplication makes of two records: duplicate, uncertain, same_study or distinct."""
    from evsynth.records.dedup import find_duplicates

    result = find_duplicates([a, b])
    if result.duplicate_groups:
        return "duplicate"
    if result.uncertain_pairs:
        return "uncertain"
    if result.same_study_groups:
        return "same_study"
    return "distinct"


def three_exports_project(folder: Path) -> Any:
    """A project folder holding the records fixtures' Embase, PubMed and Scopus exports (7
    records, three of them duplicates of others), saved and returned as a RecordSet."""
    from evsynth.records.importers import import_file
    from evsynth.records.model import RecordSet

    records = RecordSet()
    for name in ("embase.ris", "pubmed.nbib", "scopus.csv"):
        result = import_file(ROOT / "tests" / "records" / "fixtures" / name)
        records = records.with_import(result.records, result.source)
    records.save(folder)
    return records
