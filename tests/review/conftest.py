"""Shared fixtures: the bundled seed review, loaded and run once per test session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "src" / "evsynth" / "data" / "examples" / "adhesiolysis-disc-herniation"
TWO_ARM = ROOT / "src" / "evsynth" / "data" / "examples" / "gerdesmeyer-two-arm"


@pytest.fixture(scope="session")
def seed_run() -> Any:
    from evsynth.evidence.project import load_project
    from evsynth.review.run import build_run

    return build_run(load_project(SEED))


@pytest.fixture(scope="session")
def seed_results(seed_run: Any) -> dict[str, Any]:
    from evsynth.review.results import results_dict

    return results_dict(seed_run)


@pytest.fixture(scope="session")
def two_arm_run() -> Any:
    from evsynth.evidence.project import load_project
    from evsynth.review.run import build_run

    return build_run(load_project(TWO_ARM))
