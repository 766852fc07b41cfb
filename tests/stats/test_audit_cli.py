"""Audit of the ``evsynth meta`` JSON against metafor 3.8.1 on random data files.

Random study sets of audit_escalc.R (one per measure where metafor computed every study with the
default escalc options) are written as CSV files with metafor's column names; ``evsynth meta``
must then report what metafor's ``rma`` reported on the same effect sizes (audit_rma.json), for
a rotating choice of method, test and level.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from evsynth.cli import cli
from helpers import REFERENCE

ESCALC = json.loads((REFERENCE / "metafor" / "audit_escalc.json").read_text())["cases"]
RMA = {
    d["name"]: d
    for d in json.loads((REFERENCE / "metafor" / "audit_rma.json").read_text())["datasets"]
}
CLOSED = {"FE", "DL", "HE", "HS", "SJ"}
FIELDS = (
    "estimate", "se", "ci_lower", "ci_upper", "statistic", "p_value", "tau2", "I2", "H2", "Q",
    "pi_lower", "pi_upper",
)  # fmt: skip


def _vector(x: Any) -> np.ndarray:
    return np.atleast_1d(np.array(x, dtype=np.float64))


def _pick() -> list[tuple[int, dict[str, Any]]]:
    """One complete random set per measure: k >= 2, default options, every study computed."""
    chosen: dict[str, tuple[int, dict[str, Any]]] = {}
    for i, case in enumerate(ESCALC):
        yi, vi = _vector(case["yi"]), _vector(case["vi"])
        complete = np.all(np.isfinite(yi)) and np.all(np.isfinite(vi) & (vi > 0))
        if case["options"] or yi.size < 2 or not complete or case["measure"] in chosen:
            continue
        if f"escalc{i + 1:03d}_{case['measure']}" in RMA:
            chosen[case["measure"]] = (i, case)
    return list(chosen.values())


CASES = _pick()


def _write_csv(path: Path, args: dict[str, Any]) -> Path:
    cols = {name: _vector(v) for name, v in args.items()}
    k = len(next(iter(cols.values())))
    lines = [",".join(cols)]
    # repr of a float is the shortest string that reads back as the same double
    lines += [",".join(repr(float(cols[c][i])) for c in cols) for i in range(k)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_files_cover_many_measures() -> None:
    assert len(CASES) >= 12


@pytest.mark.parametrize("index,case", CASES, ids=[c["measure"] for _, c in CASES])
def test_meta_cli_json_matches_metafor(index: int, case: dict[str, Any], tmp_path: Path) -> None:
    ds = RMA[f"escalc{index + 1:03d}_{case['measure']}"]
    path = _write_csv(tmp_path / "data.csv", case["args"])
    fits = [f for f in ds["fits"] if f["error"] is None]
    for f in (fits[index % len(fits)], fits[(index * 7 + 3) % len(fits)]):
        result = CliRunner().invoke(
            cli,
            [
                "meta", str(path), "--measure", case["measure"], "--method", f["method"],
                "--test", f["test"], "--level", str(f["level"]), "--format", "json",
            ],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        out = json.loads(result.output)
        what = f"{case['measure']} {f['method']}/{f['test']}/{f['level']}"
        assert out["k"] == f["k"] and out["method"] == f["method"], what
        # 1e-8 for closed forms, 1e-5 for the iterative estimators (Fisher scoring's 1e-5
        # stopping rule in metafor); the file's values are the JSON's, so the effect sizes
        # agree with metafor's to 15 digits before pooling
        rtol = 1e-8 if f["method"] in CLOSED else 1e-5
        se = float(f["se"])
        for name in FIELDS:
            expected = f[name]
            if expected is None:
                assert out[name] is None or not math.isfinite(out[name]), what
                continue
            # locations to rtol of their SE, others in their own unit (I2 in percent points)
            unit = (
                se
                if name in ("estimate", "ci_lower", "ci_upper", "pi_lower", "pi_upper")
                else (1e-3 * float(np.min(_vector(ds["vi"]))) if name == "tau2" else 1e-3)
            )
            if name == "p_value":
                unit, rtol_p = 1e-300, rtol * max(1.0, float(f["statistic"]) ** 2)
            else:
                rtol_p = rtol
            assert abs(out[name] - expected) <= rtol_p * max(abs(expected), unit), (
                what, name, out[name], expected,
            )  # fmt: skip
        weights = [s["weight"] for s in out["studies"]]
        if f["weights"] is not None:
            np.testing.assert_allclose(weights, _vector(f["weights"]), rtol=rtol, atol=1e-9)


BINARY = json.loads((REFERENCE / "metafor" / "audit_binary.json").read_text())["datasets"]
# random 2x2 sets with several tables and at least one event and one non-event in each arm
# overall, so that every Mantel-Haenszel and Peto estimate exists
TABLES = [
    d for d in BINARY if len(_vector(d["ai"])) >= 3 and all(f["error"] is None for f in d["fits"])
][:4]


@pytest.mark.parametrize("ds", TABLES, ids=[d["name"] for d in TABLES])
def test_meta_cli_mh_and_peto_match_metafor(ds: dict[str, Any], tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "tables.csv", {k: ds[k] for k in ("ai", "bi", "ci", "di")})
    for f in ds["fits"]:
        if not f["correct"] or f["level"] != 95:
            continue  # the CLI uses metafor's defaults: CMH with continuity correction
        result = CliRunner().invoke(
            cli,
            [
                "meta", str(path), "--measure", f["measure"] if f["method"] == "MH" else "OR",
                "--method", f["method"], "--format", "json",
            ],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        out = json.loads(result.output)
        what = f"{ds['name']} {f['method']} {f['measure']}"
        assert out["k"] == f["k"], what
        for name in ("estimate", "se", "ci_lower", "ci_upper", "statistic", "Q"):
            expected = f[name]
            if expected is None:
                assert out[name] is None, what
                continue
            # closed forms: 1e-8 of the value, or of the SE for locations near 0
            unit = float(f["se"]) if name != "Q" else 1.0
            assert abs(out[name] - expected) <= 1e-8 * max(abs(expected), unit), (what, name)


DIAG = json.loads((REFERENCE / "metafor" / "audit_diagnostics.json").read_text())["bias"]
BIAS_FILES = DIAG[::8]  # five random sets of different measures and sizes


@pytest.mark.parametrize("ds", BIAS_FILES, ids=[d["name"] for d in BIAS_FILES])
def test_meta_cli_bias_matches_metafor(ds: dict[str, Any], tmp_path: Path) -> None:
    """``evsynth meta --bias``: Egger (regtest on the fitted model), Begg (ranktest) and
    trim-and-fill (L0) as metafor computes them on the same file."""
    path = _write_csv(tmp_path / "data.csv", {"yi": ds["yi"], "vi": ds["vi"]})
    for method in ("FE", "DL"):  # closed forms: 1e-8
        result = CliRunner().invoke(
            cli, ["meta", str(path), "--method", method, "--bias", "--format", "json"]
        )
        assert result.exit_code == 0, result.output
        out = json.loads(result.output)
        egger = next(e for e in ds["regtest"] if e["method"] == method and e["test"] == "z")
        unit = abs(egger["limit_ci_upper"] - egger["limit_ci_lower"]) / 4  # about one SE
        assert out["egger"]["statistic"] == pytest.approx(egger["statistic"], rel=1e-8, abs=1e-8)
        assert out["egger"]["limit_estimate"] == pytest.approx(
            egger["limit_estimate"], rel=1e-8, abs=1e-8 * unit
        )
        assert out["begg"]["tau"] == pytest.approx(ds["ranktest"]["tau"], rel=1e-8, abs=1e-11)
        assert out["begg"]["p_value"] == pytest.approx(ds["ranktest"]["p_value"], rel=1e-8)
        tf = next(t for t in ds["trimfill"] if t["method"] == method and t["estimator"] == "L0")
        assert (out["trimfill"]["k0"], out["trimfill"]["side"]) == (tf["k0"], tf["side"])
        assert out["trimfill"]["estimate"] == pytest.approx(
            tf["estimate"], rel=1e-8, abs=1e-8 * tf["se"]
        )
        assert out["trimfill"]["se"] == pytest.approx(tf["se"], rel=1e-8)
