"""``evsynth gosh``, ``permutation-test`` and ``bootstrap`` from the command line.

Numbers are checked against metafor 3.8.1 (resample_gosh.json, resample_permutest.json); bad
input must give exit status 2, one line on stderr and no output file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from evsynth.cli import cli
from helpers import REFERENCE

GOSH = json.loads((REFERENCE / "metafor" / "resample_gosh.json").read_text())["cases"]
PERM = json.loads((REFERENCE / "metafor" / "resample_permutest.json").read_text())


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--no-progress"])


def _bcg(tmp_path: Path, rows: list[int] | None = None) -> Path:
    idx = rows if rows is not None else list(range(len(PERM["yi"])))
    lines = ["study,yi,vi,ablat,year,alloc"]
    for i in idx:
        lines.append(
            f"Trial {i + 1},{PERM['yi'][i]!r},{PERM['vi'][i]!r},{PERM['ablat'][i]},"
            f"{PERM['year'][i]},{PERM['alloc'][i]}"
        )
    path = tmp_path / "bcg.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _json(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def _bad(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output
    for f in fragments:
        assert f in result.stderr


@pytest.mark.parametrize("method", ["DL", "REML"])
def test_gosh_csv_rows_equal_metafor(tmp_path: Path, method: str) -> None:
    case = next(c for c in GOSH if c["method"] == method and c["k"] == 8)
    out, plot = tmp_path / "gosh.csv", tmp_path / "gosh.png"
    result = _run(
        "gosh",
        str(_bcg(tmp_path, list(range(8)))),
        "--method",
        method,
        "--out",
        str(out),
        "--plot",
        str(plot),
        "--format",
        "json",
    )
    payload = _json(result)
    assert payload["subsets"] == 255 and payload["exact"] is True and payload["seed"] is None
    assert payload["not_converged"] == 0
    frame = pd.read_csv(out)
    labels = [f"Trial {i + 1}" for i in range(8)]
    assert list(frame.columns) == ["estimate", "Q", "I2", "H2", "tau2", *labels]
    for name in ("estimate", "Q", "I2", "H2", "tau2"):
        # the CSV keeps full precision (shortest round-trip repr); same tolerance as the API
        np.testing.assert_allclose(frame[name], case[name], rtol=1e-9, atol=1e-9)
    first_in = [labels[s] if isinstance(s, int) else labels[s[0]] for s in case["incl"][:8]]
    assert [labels[int(np.flatnonzero(r)[0])] for r in frame[labels].to_numpy()[:8]] == first_in
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_gosh_random_subsets_are_reproducible_and_worker_independent(tmp_path: Path) -> None:
    data = _bcg(tmp_path)
    files = []
    for name, extra in (("a", []), ("b", []), ("c", ["--workers", "2"])):
        out = tmp_path / f"{name}.csv"
        args = ["gosh", str(data), "--method", "REML", "--max-subsets", "3000", "--seed", "7"]
        result = _run(*args, "--out", str(out), *extra)
        assert result.exit_code == 0, result.output
        files.append(out.read_bytes())
    assert files[0] == files[1] == files[2]
    frame = pd.read_csv(tmp_path / "a.csv")
    assert len(frame) == 3000
    sizes = frame.iloc[:, 5:].sum(axis=1).to_numpy()
    assert sizes.min() >= 1 and np.all(np.diff(sizes) >= 0)  # sorted by size, as metafor


def test_gosh_outliers_in_json(tmp_path: Path) -> None:
    out = tmp_path / "g.csv"
    payload = _json(
        _run(
            "gosh",
            str(_bcg(tmp_path, list(range(8)))),
            "--method",
            "DL",
            "--out",
            str(out),
            "--outliers",
            "--format",
            "json",
        )
    )
    assert set(payload["outliers"]["algorithms"]) == {"kmeans", "dbscan", "gmm"}


def test_gosh_bad_input_leaves_no_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("study,yi,vi\nA,0.1,0.02\nB,x,0.03\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    _bad(_run("gosh", str(bad), "--out", str(out)), "bad.csv", "row 3", "yi")
    assert not out.exists()
    data = _bcg(tmp_path)
    _bad(_run("gosh", str(data), "--out", str(out), "--plot", str(tmp_path / "p.gif")), ".gif")
    _bad(_run("gosh", str(data), "--out", str(out), "--method", "MH"), "MH")
    _bad(_run("gosh", str(data), "--out", str(out), "--method", "REMLL"), "REMLL")
    _bad(
        _run("gosh", str(data), "--out", str(out), "--workers", "2", "--scheduler", "tcp://x:1"),
        "--workers or --scheduler",
    )
    assert not out.exists() and not (tmp_path / "p.gif").exists()
    one = tmp_path / "one.csv"
    one.write_text("study,yi,vi\nA,0.1,0.02\n", encoding="utf-8")
    _bad(_run("gosh", str(one), "--out", str(out)), "one.csv", "at least two studies")
    _bad(_run("bootstrap", str(one), "--seed", "1"), "one.csv", "at least two studies")
    assert not out.exists()


@pytest.mark.parametrize(
    "label", ["bcg10 REML z exact", "bcg10 PM knha exact", "bcg7 ablat REML z exact"]
)
def test_permutation_test_json_equals_metafor(tmp_path: Path, label: str) -> None:
    case = next(c for c in PERM["cases"] if c["label"] == label)
    args = [
        "permutation-test",
        str(_bcg(tmp_path, case["rows"])),
        "--method",
        case["method"],
        "--test",
        case["test"],
        "--exact",
        "--format",
        "json",
    ]
    if case.get("mods"):
        args += ["--mods", "ablat"]
    plot = tmp_path / "perm.svg"
    payload = _json(_run(*args, "--plot", str(plot)))
    assert payload["permutations"] == case["exact_iter"] and payload["exact"] is True
    pvals = np.atleast_1d(case["pval"])
    # counts over the same permutations: exact up to the division
    expected = case["QMp"] if case.get("mods") else pvals[0]
    assert payload["p_value"] == pytest.approx(expected, abs=1e-9)
    got = [c["p_value"] for c in payload["coefficients"]]
    np.testing.assert_allclose(got, pvals, atol=1e-9)
    assert payload["statistic"] == pytest.approx(case["QM"] if case.get("mods") else case["zval"])
    assert b"<svg" in plot.read_bytes()[:400]


def test_permutation_test_random_is_reproducible(tmp_path: Path) -> None:
    data = str(_bcg(tmp_path))
    args = ["permutation-test", data, "--iterations", "300", "--seed", "4", "--format", "json"]
    a, b = _json(_run(*args)), _json(_run(*args))
    assert a == b and a["exact"] is False and a["permutations"] == 300 and a["seed"] == 4
    assert a["exact_count"] == 8192


def test_permutation_test_bad_moderator(tmp_path: Path) -> None:
    data = str(_bcg(tmp_path))
    _bad(_run("permutation-test", data, "--mods", "latitude"), "latitude", "row 1")
    blank = tmp_path / "blank.csv"
    blank.write_text("study,yi,vi,x\nA,0.1,0.02,1\nB,0.3,0.03,\nC,0.2,0.01,3\n", encoding="utf-8")
    _bad(_run("permutation-test", str(blank), "--mods", "x"), "row 3", "x")
    _bad(_run("permutation-test", data, "--iterations", "1"), "iterations")


def test_bootstrap_json(tmp_path: Path) -> None:
    data = str(_bcg(tmp_path))
    args = ["bootstrap", data, "--method", "DL", "--replicates", "200", "--seed", "9"]
    a = _json(_run(*args, "--format", "json"))
    assert a == _json(_run(*args, "--format", "json"))
    assert a["replicates"] == 200 and a["seed"] == 9 and a["kind"] == "nonparametric"
    iv = a["estimate"]["intervals"]
    assert set(iv) == {"normal", "percentile", "bca"}
    assert iv["percentile"]["ci_lower"] < a["estimate"]["observed"] < iv["percentile"]["ci_upper"]
    p = _json(_run(*args, "--kind", "parametric", "--format", "json"))
    assert set(p["tau2"]["intervals"]) == {"normal", "percentile"}
    text = _run(*args)
    assert text.exit_code == 0 and "Nonparametric bootstrap (DL" in text.stdout
    _bad(_run(*args, "--level", "120"), "level")


def test_fast_csv_writer_equals_pandas(tmp_path: Path) -> None:
    import io

    from evsynth.cli.resample import write_gosh_csv
    from evsynth.stats.resampling.gosh import GoshResult

    rng = np.random.default_rng(1)
    n, k = 250, 6
    stats = rng.normal(size=(n, 5)) * 10.0 ** rng.integers(-12, 12, (n, 5))
    stats[3, 1] = np.nan
    stats[4, 0] = 0.0
    result = GoshResult(
        slab=tuple(f"S {j}" for j in range(k)),
        method="REML",
        measure="GEN",
        exact=False,
        seed=1,
        incl=rng.random((n, k)) < 0.5,
        estimate=stats[:, 0],
        Q=stats[:, 1],
        I2=stats[:, 2],
        H2=stats[:, 3],
        tau2=stats[:, 4],
    )
    frame = result.to_frame()
    ours = io.StringIO()
    write_gosh_csv(result, frame.columns, ours)
    assert ours.getvalue() == frame.to_csv(index=False, lineterminator="\n")


@pytest.mark.parametrize("name", ["gosh", "permutation-test", "bootstrap"])
def test_every_option_is_documented(name: str) -> None:
    """docs/resampling.md names each command and each of its options."""
    from evsynth.cli import resample

    docs = (REFERENCE.parent / "docs" / "resampling.md").read_text(encoding="utf-8")
    command = {
        "gosh": resample.gosh,
        "permutation-test": resample.permutation_test,
        "bootstrap": resample.bootstrap,
    }[name]
    assert f"evsynth {name}" in docs
    for param in command.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--"):
                assert opt in docs, f"{name} {opt} is not documented"


def test_progress_bar_runs(tmp_path: Path) -> None:
    out = tmp_path / "g.csv"
    data = str(_bcg(tmp_path, list(range(6))))
    result = CliRunner().invoke(cli, ["gosh", data, "--method", "DL", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out)) == 63


def test_gosh_with_moderators_writes_coefficient_columns(tmp_path: Path) -> None:
    out = tmp_path / "g.csv"
    data = str(_bcg(tmp_path, list(range(8))))
    result = _run("gosh", data, "--method", "REML", "--mods", "ablat", "--out", str(out))
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert list(frame.columns[:6]) == ["intrcpt", "ablat", "Q", "I2", "H2", "tau2"]
    assert len(frame) == 247 and frame["intrcpt"].isna().sum() == 28  # pairs: no tau2 df


def test_gosh_plot_with_outliers_is_coloured_by_cluster(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from evsynth.cli.resample import _gosh_figure
    from evsynth.stats.models import rma
    from evsynth.stats.resampling.gosh import gosh
    from evsynth.stats.resampling.outliers import gosh_outliers

    res = rma(PERM["yi"][:8], PERM["vi"][:8], method="DL")
    g = gosh(res)
    found = gosh_outliers(g, algorithms=("kmeans",))
    fig = _gosh_figure(g, found.findings[0].labels, found.rows)
    texts = {t.get_text() for t in fig.axes[0].get_legend().get_texts()}
    assert texts == {"cluster 1", "cluster 2"}
    sample = gosh_outliers(g, algorithms=("kmeans",), max_points=100)
    small = _gosh_figure(g, sample.findings[0].labels, sample.rows)
    drawn = sum(len(c.get_offsets()) for c in small.axes[0].collections)
    assert drawn == 100  # only the clustered sample is drawn
    assert "a sample of 100 of 255 subsets of 8 studies" in small.axes[1].get_title()
    assert fig.axes[0].get_xlabel() == "Estimate (GEN)"


def test_moderators_by_comma_and_in_the_bootstrap(tmp_path: Path) -> None:
    data = str(_bcg(tmp_path))
    case = next(c for c in PERM["cases"] if c["label"] == "bcg13 ablat+year REML z random")
    a = _json(
        _run(
            "permutation-test",
            data,
            "--mods",
            "ablat,year",
            "--iterations",
            "50",
            "--seed",
            "1",
            "--format",
            "json",
        )
    )
    b = _json(
        _run(
            "permutation-test",
            data,
            "--mods",
            "ablat",
            "--mods",
            "year",
            "--iterations",
            "50",
            "--seed",
            "1",
            "--format",
            "json",
        )
    )
    assert a == b
    assert [c["name"] for c in a["coefficients"]] == ["intrcpt", "ablat", "year"]
    assert a["QM"] == pytest.approx(case["QM"], rel=1e-9)
    boot = _json(
        _run(
            "bootstrap",
            data,
            "--mods",
            "ablat",
            "--replicates",
            "100",
            "--seed",
            "2",
            "--format",
            "json",
        )
    )
    from evsynth.stats.models import rma

    fit = rma(PERM["yi"], PERM["vi"], mods={"ablat": PERM["ablat"]}, method="REML")
    assert boot["replicates"] == 100
    assert boot["estimate"]["observed"] == pytest.approx(fit.coefficients[0], rel=1e-12)
    assert boot["tau2"]["observed"] == pytest.approx(fit.tau2, rel=1e-12)
