"""The seed review's four pooled analyses, reproduced from its per-study values.

Source: Korean J Pain 2021;34(3):346-368, Figs. 2A, 2B, 3A and 3B (Comprehensive Meta-Analysis
3.0), as laid out in ../shared/reference/seed-review-facts.md. Each figure prints, per study, the
change from baseline ("difference in means") with its standard error, both rounded to three
decimals, and a pooled row that is an inverse-variance fixed-effect result.

What is checked:

- Fixed effect, against the printed pooled rows. The inputs were rounded to 0.001, so the
  recomputed values can differ from the printed ones by the effect of that rounding; the
  tolerance of every printed number is its own half unit in the last place (0.0005) plus the
  first-order propagation of +/-0.0005 in every input (|d value / d input| x 0.0005, summed over
  inputs, by finite differences). Nothing looser is needed: all printed numbers but one fall
  inside that envelope.
- The exception, recorded rather than hidden: Fig. 2A prints Q = 3.906 (df 4) with p = 0.433.
  The rounded inputs give Q = 3.800, whose envelope is about +/-0.05, so 3.906 is outside it, while
  p = 0.433 is the p-value of Q = 3.80 (the p-value of 3.906 would be 0.419). The printed Q
  disagrees with its own p-value; the p-value agrees with the data.
- The printed tau^2 (and tau) are the DerSimonian-Laird (method-of-moments) values that CMA
  reports beside a fixed-effect analysis, and the printed I^2 is (Q - df) / Q.
- Random effects beside them (REML and DL, z and Knapp-Hartung), against metafor 3.8.1
  (reference/metafor/seed_figs.R): 1e-8 relative for DL (closed form), 1e-5 for REML (metafor
  stops iterating when tau^2 changes by less than 1e-5), and for the Q-profile intervals of
  tau^2 and I^2 (root finding to metafor's tolerance of 1e-5 on the same scale).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy import stats

from evsynth.stats.models import rma
from helpers import REFERENCE

FIGS: dict[str, Any] = json.loads(
    (REFERENCE / "metafor" / "seed_figs.json").read_text(encoding="utf-8")
)["figs"]

# The pooled rows and heterogeneity lines as printed in the paper.
PRINTED: dict[str, dict[str, float]] = {
    "2A": {"estimate": 2.678, "se": 0.049, "ci_lower": 2.583, "ci_upper": 2.773,
           "statistic": 55.071, "I2": 0.0, "tau2": 0.0},
    "2B": {"estimate": 9.977, "se": 0.731, "ci_lower": 8.544, "ci_upper": 11.410,
           "statistic": 13.646, "Q": 13.343, "I2": 92.506, "tau2": 17.211, "tau": 4.149},
    "3A": {"estimate": 2.013, "se": 0.054, "ci_lower": 1.907, "ci_upper": 2.120,
           "statistic": 37.013, "Q": 291.116, "I2": 98.626, "tau2": 1.402, "tau": 1.184},
    "3B": {"estimate": 10.268, "se": 0.699, "ci_lower": 8.898, "ci_upper": 11.638,
           "statistic": 14.692, "Q": 24.981, "I2": 95.997, "tau2": 33.868, "tau": 5.820},
}  # fmt: skip
HALF_UNIT = 0.0005  # every printed number and every input has three decimals


def _as_printed(yi: np.ndarray, sei: np.ndarray) -> dict[str, float]:
    """The numbers the paper prints, recomputed: FE pooled row, Q and I^2; DL tau^2 and tau."""
    fe = rma(yi, sei=sei, method="FE")
    dl = rma(yi, sei=sei, method="DL")
    return {
        "estimate": fe.estimate,
        "se": fe.se,
        "ci_lower": fe.ci_lower,
        "ci_upper": fe.ci_upper,
        "statistic": fe.statistic,
        "Q": fe.Q,
        "I2": fe.I2,
        "tau2": dl.tau2,
        "tau": dl.tau,
    }


def _rounding_envelope(
    f: Callable[[np.ndarray, np.ndarray], dict[str, float]], yi: np.ndarray, sei: np.ndarray
) -> dict[str, float]:
    """First-order effect of +/-0.0005 in every input on every output (finite differences)."""
    base = f(yi, sei)
    out = dict.fromkeys(base, 0.0)
    h = 1e-7
    for arr in (yi, sei):
        for i in range(arr.size):
            bumped = arr.copy()
            bumped[i] += h
            moved = f(bumped, sei) if arr is yi else f(yi, bumped)
            for key in out:
                out[key] += abs((moved[key] - base[key]) / h) * HALF_UNIT
    return out


def _inputs(fig: str) -> tuple[np.ndarray, np.ndarray]:
    return np.array(FIGS[fig]["yi"], dtype=float), np.array(FIGS[fig]["sei"], dtype=float)


@pytest.mark.parametrize("fig", ["2A", "2B", "3A", "3B"])
def test_fixed_effect_reproduces_the_printed_pooled_row(fig: str) -> None:
    yi, sei = _inputs(fig)
    got = _as_printed(yi, sei)
    envelope = _rounding_envelope(_as_printed, yi, sei)
    for key, printed in PRINTED[fig].items():
        allowed = envelope[key] + HALF_UNIT
        assert abs(got[key] - printed) <= allowed, (fig, key, got[key], printed, allowed)


def test_fig2b_is_reproduced_to_the_third_decimal() -> None:
    """With two studies the rounding barely matters: 9.977 and I^2 92.506 come out exactly."""
    got = _as_printed(*_inputs("2B"))
    assert round(got["estimate"], 3) == 9.977
    assert round(got["I2"], 3) == 92.506
    assert round(got["Q"], 3) == 13.343
    assert round(got["tau2"], 3) == 17.211


def test_fig2a_printed_q_disagrees_with_its_own_p_value() -> None:
    yi, sei = _inputs("2A")
    got = _as_printed(yi, sei)
    q_envelope = _rounding_envelope(_as_printed, yi, sei)["Q"] + HALF_UNIT
    assert got["Q"] == pytest.approx(3.800, abs=HALF_UNIT)
    assert abs(got["Q"] - 3.906) > q_envelope  # the printed Q is not what the data give
    # the printed p = 0.433 belongs to Q = 3.80 (df 4), not to the printed 3.906
    assert round(float(stats.chi2.sf(3.80, 4)), 3) in (0.433, 0.434)
    assert round(float(stats.chi2.sf(3.906, 4)), 3) == 0.419
    p_lo = float(stats.chi2.sf(got["Q"] + q_envelope, 4))
    p_hi = float(stats.chi2.sf(got["Q"] - q_envelope, 4))
    assert p_lo <= 0.433 <= p_hi
    assert not p_lo <= float(stats.chi2.sf(3.906, 4)) <= p_hi
    # and I^2 = 0 / tau^2 = 0 as printed: Q is below its degrees of freedom either way
    assert got["I2"] == 0.0 and got["tau2"] == 0.0


FIT_KEYS = {
    "estimate": "estimate",
    "se": "se",
    "ci_lower": "ci_lb",
    "ci_upper": "ci_ub",
    "statistic": "zval",
    "p_value": "pval",
    "tau2": "tau2",
    "I2": "I2",
    "H2": "H2",
    "Q": "QE",
    "Q_p": "QEp",
    "pi_lower": "pi_lb",
    "pi_upper": "pi_ub",
}
MODELS = {
    "FE": ("FE", "z"),
    "REML": ("REML", "z"),
    "DL": ("DL", "z"),
    "REML_knha": ("REML", "knha"),
    "DL_knha": ("DL", "knha"),
}


@pytest.mark.reference
@pytest.mark.parametrize("fig", ["2A", "2B", "3A", "3B"])
@pytest.mark.parametrize("model", list(MODELS))
def test_fixed_and_random_effects_match_metafor(fig: str, model: str) -> None:
    yi, sei = _inputs(fig)
    method, test = MODELS[model]
    res = rma(yi, sei=sei, method=method, test=test, measure="MD", slab=FIGS[fig]["study"])
    ref = FIGS[fig][model]
    rtol = 1e-5 if method == "REML" else 1e-8
    for ours, theirs in FIT_KEYS.items():
        if method == "FE" and ours.startswith("pi_"):
            # metafor's predict() gives no prediction interval for a fixed-effect model;
            # evsynth reports the confidence interval there (tau^2 = 0)
            assert getattr(res, ours) == getattr(res, ours.replace("pi_", "ci_"))
            continue
        # tau^2 at its boundary 0 (2A): compare absolutely
        assert getattr(res, ours) == pytest.approx(ref[theirs], rel=rtol, abs=1e-9), ours
    np.testing.assert_allclose(res.weights, ref["weights"], rtol=rtol)
    if "tau2_ci" in ref:
        assert res.tau2_ci is not None and res.I2_ci is not None
        # Q-profile bounds are roots found to metafor's tolerance (1e-5 on tau^2)
        np.testing.assert_allclose(
            [res.tau2_ci.ci_lower, res.tau2_ci.ci_upper], ref["tau2_ci"], rtol=1e-5, atol=1e-6
        )
        np.testing.assert_allclose(
            [res.I2_ci.ci_lower, res.I2_ci.ci_upper], ref["I2_ci"], rtol=1e-5, atol=1e-5
        )


def test_random_effects_differ_markedly_where_heterogeneity_is_high() -> None:
    """3A: I^2 near 99 %; the REML mean is about 2.63 against the printed fixed-effect 2.01, and
    evsynth says that the fixed-effect choice needs a warning."""
    yi, sei = _inputs("3A")
    fe = rma(yi, sei=sei, method="FE")
    reml = rma(yi, sei=sei, method="REML")
    assert reml.estimate == pytest.approx(2.630, abs=HALF_UNIT)
    assert fe.estimate == pytest.approx(2.010, abs=HALF_UNIT)
    assert any("fixed-effect model was chosen" in w for w in fe.warnings)
    # the prediction interval spans from no change to a change of more than 5 points
    assert reml.pi_lower < 0 < 5 < reml.pi_upper
