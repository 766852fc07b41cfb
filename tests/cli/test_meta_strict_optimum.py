"""`evsynth meta --strict-optimum`: the true ML optimum where metafor's stopping rule misses it.

Case escalc089_ZCOR of the audit (reference/metafor/audit_ml_optimum.json, made by
audit_ml_optimum.R): metafor 3.8.1's ML stops at tau2 = 6.26e-06 (log-likelihood -205.15); the
likelihood is maximised at tau2 = 0.0705 (checked in R with tight stopping rules).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from evsynth.cli import cli
from helpers import REFERENCE

Case = tuple[Path, dict[str, float]]


@pytest.fixture
def audit_case(tmp_path: Path) -> Case:
    sets = json.loads((REFERENCE / "metafor" / "audit_ml_optimum.json").read_text())["sets"]
    case = next(s for s in sets if s["name"] == "escalc089_ZCOR")
    path = tmp_path / "zcor.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["study", "yi", "vi"])
        for i, (y, v) in enumerate(zip(case["yi"], case["vi"], strict=True), start=1):
            writer.writerow([f"s{i}", repr(y), repr(v)])
    return path, case


def _run(path: Path, *extra: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        cli, ["meta", str(path), "--method", "ML", "--format", "json", *extra]
    )
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def test_default_is_metafors_number_with_a_warning(
    audit_case: tuple[Path, dict[str, float]],
) -> None:
    path, case = audit_case
    out = _run(path)
    # metafor's own stopping point, reproduced to its 1e-5 iterative tolerance.
    assert out["tau2"] == pytest.approx(case["metafor_tau2"], rel=1e-5)
    assert any("not the maximum" in w for w in out["warnings"])


def test_strict_optimum_reports_the_maximum(audit_case: Case) -> None:
    path, case = audit_case
    out = _run(path, "--strict-optimum")
    assert out["tau2"] == pytest.approx(case["max_tau2"], rel=1e-5)
