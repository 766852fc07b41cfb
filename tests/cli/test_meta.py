"""``evsynth meta``: the JSON contract, the text report, plots, and every kind of bad input.

Numbers are checked against metafor 3.8.1 (reference/metafor/seed_figs.json: the seed review's
Fig. 3A; bias_cases.json: dat.bcg). Tolerance 1e-5 relative for REML (metafor's iteration stops
at a change of 1e-5 in tau^2) and 1e-8 for closed forms.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from evsynth.cli import cli
from helpers import REFERENCE, ROOT

SEED = json.loads((REFERENCE / "metafor" / "seed_figs.json").read_text())["figs"]
BIAS = {
    c["name"]: c
    for c in json.loads((REFERENCE / "metafor" / "bias_cases.json").read_text())["cases"]
}
DESIGN_FIELDS = [
    *("k", "estimate", "se", "ci_lower", "ci_upper", "statistic", "p_value", "tau2", "tau"),
    *("I2", "H2", "Q", "Q_df", "Q_p", "pi_lower", "pi_upper", "measure", "method", "test"),
]


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["meta", *args])


def _csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _fig3a(tmp_path: Path) -> Path:
    f = SEED["3A"]
    rows = [f"{s},{y},{e}" for s, y, e in zip(f["study"], f["yi"], f["sei"], strict=True)]
    return _csv(tmp_path / "fig3a.csv", "study,yi,sei", rows)


def _bcg(tmp_path: Path) -> Path:
    c = BIAS["bcg"]
    rows = [
        f"Trial {i + 1},{y!r},{v!r}" for i, (y, v) in enumerate(zip(c["yi"], c["vi"], strict=True))
    ]
    return _csv(tmp_path / "bcg.csv", "study,yi,vi", rows)


def _json(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def test_json_has_the_design_fields_and_metafor_values(tmp_path: Path) -> None:
    out = _json(_run(str(_fig3a(tmp_path)), "--measure", "MD", "--format", "json"))
    for name in [*DESIGN_FIELDS, "studies", "warnings"]:
        assert name in out
    ref = SEED["3A"]["REML"]
    assert out["k"] == 5 and out["method"] == "REML" and out["test"] == "z"
    assert out["measure"] == "MD"
    assert out["estimate"] == pytest.approx(ref["estimate"], rel=1e-5)
    assert out["se"] == pytest.approx(ref["se"], rel=1e-5)
    assert out["ci_lower"] == pytest.approx(ref["ci_lb"], rel=1e-5)
    assert out["tau2"] == pytest.approx(ref["tau2"], rel=1e-5)
    assert out["I2"] == pytest.approx(ref["I2"], rel=1e-5)  # percent, as metafor
    assert out["Q"] == pytest.approx(ref["QE"], rel=1e-10)
    assert out["Q_df"] == 4
    assert out["pi_lower"] == pytest.approx(ref["pi_lb"], rel=1e-5)
    assert [s["study"] for s in out["studies"]] == SEED["3A"]["study"]
    for study, w in zip(out["studies"], ref["weights"], strict=True):
        assert set(study) >= {"yi", "vi", "weight"}
        assert study["weight"] == pytest.approx(w, rel=1e-5)
    assert out["egger"] is None  # k = 5 < 10
    assert any("Publication bias was not assessed" in w for w in out["warnings"])


def test_fixed_effect_and_knapp_hartung(tmp_path: Path) -> None:
    data = str(_fig3a(tmp_path))
    fe = _json(_run(data, "--method", "FE", "--format", "json"))
    assert fe["estimate"] == pytest.approx(SEED["3A"]["FE"]["estimate"], rel=1e-10)
    assert any("fixed-effect model was chosen" in w for w in fe["warnings"])
    kh = _json(_run(data, "--method", "DL", "--test", "knha", "--format", "json"))
    ref = SEED["3A"]["DL_knha"]
    assert kh["test"] == "knha"
    assert kh["ci_upper"] == pytest.approx(ref["ci_ub"], rel=1e-8)
    assert kh["p_value"] == pytest.approx(ref["pval"], rel=1e-8)


def test_egger_reported_from_ten_studies(tmp_path: Path) -> None:
    out = _json(_run(str(_bcg(tmp_path)), "--measure", "RR", "--format", "json"))
    ref = next(r for r in BIAS["bcg"]["regtest"] if r["method"] == "REML" and r["test"] == "z")
    assert out["egger"]["statistic"] == pytest.approx(ref["zval"], rel=1e-5)
    assert out["egger"]["p_value"] == pytest.approx(ref["pval"], rel=1e-5)
    # ratio measures also carry back-transformed values (exp of the log risk ratio)
    assert out["back_transformed"]["estimate"] == pytest.approx(
        2.718281828459045 ** out["estimate"], rel=1e-12
    )
    text = " ".join(_run(str(_bcg(tmp_path)), "--measure", "RR").stdout.split())
    assert "Egger's regression test for funnel-plot asymmetry: z = " in text


def test_text_reads_like_methods_and_results(tmp_path: Path) -> None:
    result = _run(str(_fig3a(tmp_path)), "--measure", "MD", "--format", "text")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert text.startswith("Methods. 5 studies were analysed (MD, mean difference) with a")
    assert "restricted maximum-likelihood (REML) estimator" in text
    assert (
        "Results. Pooled mean difference: 2.630 (95% CI 1.505 to 3.755; z = 4.58, p < 0.001)"
        in (text)
    )
    assert "95% prediction interval for the effect in a new study: -0.0992 to 5.359" in text
    assert "I² = 98.8% (CI " in text and "tau² = 1.609 (CI " in text
    assert "Moon 2017 4.600 [4.210, 4.990] 20.0%" in text
    assert "Warnings: - Publication bias was not assessed" in text


def test_plots_are_written(tmp_path: Path) -> None:
    forest, funnel = tmp_path / "forest.svg", tmp_path / "funnel.png"
    result = _run(str(_bcg(tmp_path)), "--forest", str(forest), "--funnel", str(funnel))
    assert result.exit_code == 0, result.output
    svg = forest.read_text(encoding="utf-8")
    assert "Trial 13" in svg and "Random effects (REML)" in svg
    assert funnel.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


BAD_INPUTS = [
    (
        "missing-column",
        "study,yi\nA,1\nB,2\n",
        [],
        "bad.csv, row 1, column 'vi': measure GEN needs this column",
    ),
    (
        "negative-sd",
        "study,m1i,sd1i,n1i,m2i,sd2i,n2i\nA,1,2,10,0,2,10\nB,1,-2,10,0,2,10\n",
        [],
        "bad.csv, row 3, column 'sd1i': negative standard deviation",
    ),
    (
        "negative-variance",
        "study,yi,vi\nA,1,0.1\nB,1,-0.1\n",
        [],
        "bad.csv, row 3, column 'vi': negative variance",
    ),
    (
        "events-above-n",
        "study,ai,n1i,ci,n2i\nA,3,10,2,10\nB,12,10,2,10\n",
        ["--measure", "RR"],
        "bad.csv, row 3, column 'ai': events exceed the group size n1i",
    ),
    (
        "n-below-2",
        "study,m1i,sd1i,n1i,m2i,sd2i,n2i\nA,1,2,10,0,2,10\nB,1,2,1,0,2,10\n",
        [],
        "bad.csv, row 3, column 'n1i': sample size below 2",
    ),
    (
        "text-in-number-column",
        "study,yi,vi\nA,1,0.1\nB,abc,0.1\n",
        [],
        "bad.csv, row 3, column 'yi': expected a number, found 'abc'",
    ),
    ("empty-file", "", [], "bad.csv: the file is empty"),
]


@pytest.mark.parametrize(
    ("content", "options", "message"),
    [pytest.param(c, o, m, id=name) for name, c, o, m in BAD_INPUTS],
)
def test_bad_input_exits_2_with_one_located_message_and_no_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, options: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.csv").write_text(content, encoding="utf-8")
    result = _run("bad.csv", *options, "--forest", "forest.svg", "--format", "json")
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: {message}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_non_utf8_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.csv").write_bytes(b"study,yi,vi\nA\xe9,1,0.1\n")
    result = _run("bad.csv", "--forest", "forest.svg")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "Error: bad.csv, row 2: the file is not UTF-8 text (byte 0xe9); save it as CSV UTF-8"
    ]
    assert not (tmp_path / "forest.svg").exists()


def test_bad_options_exit_2(tmp_path: Path) -> None:
    data = str(_fig3a(tmp_path))
    result = _run(data, "--method", "REMLL")
    assert result.exit_code == 2
    assert "Invalid method 'REMLL'; expected one of" in result.stderr
    result = _run(data, "--forest", str(tmp_path / "forest.gif"))
    assert result.exit_code == 2
    assert "unsupported figure format '.gif'" in result.stderr
    result = _run(str(tmp_path / "nowhere.csv"))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {tmp_path / 'nowhere.csv'}: no such file"
    same = str(tmp_path / "plot.svg")
    result = _run(data, "--forest", same, "--funnel", same)
    assert result.exit_code == 2 and "--forest and --funnel name the same file" in result.stderr
    assert _run(data, "--level", "150").exit_code == 2
    assert _run(data, "--test", "t").exit_code == 2


def test_start_up_imports_no_plotting_library(tmp_path: Path) -> None:
    """Without a plot, neither matplotlib nor the web stack is imported (start-up time)."""
    data = _fig3a(tmp_path)
    code = (
        "import sys\n"
        "from evsynth.cli import cli\n"
        f"cli(['meta', {str(data)!r}, '--format', 'json'], standalone_mode=False)\n"
        "heavy = ('matplotlib', 'django', 'sklearn')\n"
        "print('LOADED', sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert "LOADED []" in out.stdout


def _hackshaw(tmp_path: Path) -> Path:
    c = BIAS["hackshaw1998"]
    pairs = zip(c["yi"], c["vi"], strict=True)
    rows = [f"Study {i + 1},{y!r},{v!r}" for i, (y, v) in enumerate(pairs)]
    return _csv(tmp_path / "hackshaw.csv", "study,yi,vi", rows)


def test_bias_option_adds_begg_and_trimfill(tmp_path: Path) -> None:
    """dat.hackshaw1998 (k = 37), REML: metafor's ranktest and trimfill (7 missing, left)."""
    funnel = tmp_path / "funnel.svg"
    data = str(_hackshaw(tmp_path))
    out = _json(
        _run(data, "--measure", "OR", "--bias", "--format", "json", "--funnel", str(funnel))
    )
    case = BIAS["hackshaw1998"]
    assert out["begg"]["tau"] == pytest.approx(case["ranktest"]["tau"], rel=1e-8)
    assert out["begg"]["p_value"] == pytest.approx(case["ranktest"]["pval"], rel=1e-8)
    ref = next(
        t
        for t in case["trimfill"]
        if (t["method"], t["estimator"], t["side_arg"]) == ("REML", "L0", "auto")
    )
    assert out["trimfill"]["k0"] == ref["k0"] and out["trimfill"]["side"] == ref["side"]
    assert out["trimfill"]["estimate"] == pytest.approx(ref["estimate"], rel=1e-5)
    assert len(out["trimfill"]["filled"]) == ref["k0"]
    assert any("Trim-and-fill imputes mirror-image studies" in w for w in out["warnings"])
    svg = funnel.read_text(encoding="utf-8")
    assert 'id="filled-studies"' in svg and 'id="contour-95"' in svg
    text = " ".join(_run(data, "--measure", "OR", "--bias").stdout.split())
    assert f"Trim-and-fill (L0) estimated {ref['k0']} missing studies on the left side" in text
    assert "Begg's rank correlation test: Kendall's tau = " in text


def test_bias_option_with_few_studies_warns_instead_of_failing(tmp_path: Path) -> None:
    out = _json(_run(str(_fig3a(tmp_path)), "--bias", "--format", "json"))
    assert out["egger"] is not None and out["begg"]["k"] == 5
    low_power = [w for w in out["warnings"] if "fewer than 10 studies (k = 5): low power" in w]
    assert len(low_power) == 2  # Egger's and Begg's
    two = _csv(tmp_path / "two.csv", "study,yi,sei", ["A,1.0,0.2", "B,2.0,0.3"])
    out = _json(_run(str(two), "--bias", "--method", "FE", "--format", "json"))
    assert out["egger"] is None and "begg" not in out
    assert any(w.startswith("Egger's test was not run: ") for w in out["warnings"])
    assert any(w.startswith("Begg's test was not run: ") for w in out["warnings"])


MH = json.loads((REFERENCE / "metafor" / "bias_mh.json").read_text())


@pytest.mark.parametrize(
    "case", MH["cases"], ids=[f"{c['method']}-{c['measure']}" for c in MH["cases"]]
)
def test_mantel_haenszel_and_peto_with_egger(tmp_path: Path, case: dict[str, Any]) -> None:
    """dat.bcg 2x2 tables: rma.mh / rma.peto and regtest on them (closed forms, 1e-8)."""
    d = MH["data"]
    rows = [
        f"{s},{a},{b},{c},{dd}"
        for s, a, b, c, dd in zip(d["study"], d["ai"], d["bi"], d["ci"], d["di"], strict=True)
    ]
    data = _csv(tmp_path / "bcg2x2.csv", "study,ai,bi,ci,di", rows)
    out = _json(
        _run(
            str(data), "--measure", case["measure"], "--method", case["method"], "--format", "json"
        )
    )
    assert out["method"] == case["method"]
    assert out["estimate"] == pytest.approx(case["estimate"], rel=1e-8)
    assert out["egger"]["method"] == "FE"
    assert out["egger"]["statistic"] == pytest.approx(case["zval"], rel=1e-8)
    assert out["egger"]["p_value"] == pytest.approx(case["pval"], rel=1e-8)
    assert out["egger"]["limit_estimate"] == pytest.approx(case["est"], rel=1e-8)


DISPLAY = json.loads((REFERENCE / "metafor" / "bias_display_transforms.json").read_text())


@pytest.mark.parametrize("measure", ["PFT", "PLO"])
def test_transformed_proportions_are_reported_as_proportions(tmp_path: Path, measure: str) -> None:
    """Pooled values as metafor's predict(transf=transf.ipft.hm / transf.ilogit); each study
    back-transformed with its own n (transf.ipft), which gives back xi / ni."""
    pairs = zip(DISPLAY["xi"], DISPLAY["ni"], strict=True)
    rows = [f"S{i + 1},{x},{n}" for i, (x, n) in enumerate(pairs)]
    data = _csv(tmp_path / "prop.csv", "study,xi,ni", rows)
    ref = DISPLAY[measure]
    forest = tmp_path / "forest.svg"
    result = _run(str(data), "--measure", measure, "--forest", str(forest))
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    scale = "Freeman-Tukey double-arcsine" if measure == "PFT" else "logit"
    assert f"analysed on the {scale} scale ({measure}, proportion)" in text
    pooled = (
        f"Pooled proportion: {ref['pred']:.3f} (95% CI {ref['ci_lb']:.3f} to {ref['ci_ub']:.3f})"
    )
    assert pooled in text
    assert f"new study: {ref['pi_lb']:.3f} to {ref['pi_ub']:.3f}" in text
    for i, p in enumerate(ref["study"]):
        assert f"S{i + 1} {p:.3f} [" in text
    svg = forest.read_text(encoding="utf-8")
    first = f"{ref['study'][0]:.2f} [{ref['study_lb'][0]:.2f}, {ref['study_ub'][0]:.2f}]"
    assert first in svg
    assert f"{ref['pred']:.2f} [{ref['ci_lb']:.2f}, {ref['ci_ub']:.2f}]" in svg
    assert "Proportion [95% CI]" in svg
    assert "Test for overall effect" not in svg  # a test of p = 0 would mean nothing here


def test_subgroups_from_a_column(tmp_path: Path) -> None:
    """Each subgroup pooled on its own (as rma on the subset) and RevMan's Q between them."""
    from evsynth.stats.models import rma

    c = BIAS["bcg"]
    groups = ["early"] * 6 + ["late"] * 7
    rows = [
        f"Trial {i + 1},{y!r},{v!r},{g}"
        for i, (y, v, g) in enumerate(zip(c["yi"], c["vi"], groups, strict=True))
    ]
    data = _csv(tmp_path / "bcg_groups.csv", "study,yi,vi,era", rows)
    forest = tmp_path / "forest.svg"
    out = _json(
        _run(str(data), "--measure", "RR", "--subgroup", "Era", "--format", "json",
             "--forest", str(forest))
    )  # fmt: skip
    sg = out["subgroups"]
    assert sg["column"] == "Era" and [g["name"] for g in sg["groups"]] == ["early", "late"]
    early = rma(c["yi"][:6], c["vi"][:6])
    late = rma(c["yi"][6:], c["vi"][6:])
    assert sg["groups"][0]["estimate"] == pytest.approx(early.estimate, rel=1e-12)
    assert sg["groups"][1]["ci_upper"] == pytest.approx(late.ci_upper, rel=1e-12)
    between = rma([early.estimate, late.estimate], sei=[early.se, late.se], method="FE")
    assert sg["Q_between"] == pytest.approx(between.Q, rel=1e-10)
    assert sg["Q_between_df"] == 1
    svg = forest.read_text(encoding="utf-8")
    assert "early" in svg and "Subtotal (REML)" in svg and "Test for subgroup differences" in svg
    text = " ".join(_run(str(data), "--measure", "RR", "--subgroup", "era").stdout.split())
    assert "Subgroups by era: early (k = 6): " in text
    assert "Test for subgroup differences: Q = " in text


def test_subgroup_errors_name_the_column_and_row(tmp_path: Path) -> None:
    data = _csv(tmp_path / "g.csv", "study,yi,vi,era", ["A,1,0.1,x", "B,2,0.2,", "C,1,0.3,y"])
    result = _run(str(data), "--subgroup", "era")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {data}, row 3, column 'era': the subgroup is missing"
    result = _run(str(data), "--subgroup", "region")
    assert result.exit_code == 2
    assert f"Error: {data}, row 1, column 'region': no subgroup column 'region'" in result.stderr
