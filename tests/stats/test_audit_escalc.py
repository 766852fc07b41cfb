"""Audit of escalc against metafor 3.8.1 on random inputs (reference/metafor/audit_escalc.R).

180 random study sets, 10 per measure (MD, SMD, SMDH, ROM, MC, SMCC, SMCR, RR, OR, RD, PR, PLN,
PLO, PAS, PFT, COR, ZCOR, GEN), k from 1 to 30, with zero cells, double zeros, all-events tables,
arms from 1 to 10^6, SDs differing by orders of magnitude, correlations of exactly +-1 and random
options (add, to, drop00, vtype); then 7 invalid inputs that metafor refuses (events above the
group size, negative counts, SDs and group sizes, correlations outside [-1, 1]). The generator and
its seed are in audit_generators.R.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from evsynth.errors import InputError
from evsynth.stats.escalc import escalc
from helpers import REFERENCE

DATA = json.loads((REFERENCE / "metafor" / "audit_escalc.json").read_text())
CASES: list[dict[str, Any]] = DATA["cases"]

# escalc is closed-form arithmetic, the same operations as metafor's: 1e-8 relative (measured
# worst: 4e-12, in yi = m1 - m2 of nearly equal means, where both sides lose digits alike).
RTOL = 1e-8


def _vector(x: Any) -> np.ndarray:
    # jsonlite writes a vector of length one as a scalar and NA as null
    return np.atleast_1d(np.array(x, dtype=np.float64))


def _run(case: dict[str, Any]) -> Any:
    args = {name: _vector(v) for name, v in case["args"].items()}
    return escalc(case["measure"], **args, **(case["options"] or {}))


def test_generator_covers_every_measure_and_the_edges() -> None:
    measures = {c["measure"] for c in CASES}
    assert len(measures) == 18
    sizes = [len(_vector(c["yi"])) for c in CASES]
    assert min(sizes) == 1 and max(sizes) == 30
    zero_cells = sum(
        1
        for c in CASES
        if c["measure"] in ("RR", "OR", "RD") and np.any(_vector(c["args"]["ai"]) == 0)
    )
    assert zero_cells >= 10


@pytest.mark.parametrize("measure", sorted({c["measure"] for c in CASES}))
def test_escalc_matches_metafor_on_random_inputs(measure: str) -> None:
    worst = 0.0
    for case in (c for c in CASES if c["measure"] == measure):
        if case["error"] is not None:
            # metafor refused the input: so must evsynth, with a message naming the argument
            with pytest.raises(InputError) as info:
                _run(case)
            assert info.value.column in case["args"], (case["error"], str(info.value))
            continue
        es = _run(case)
        for name in ("yi", "vi"):
            expected = _vector(case[name])
            actual = np.asarray(getattr(es, name))
            # metafor's NA (not computable, e.g. a log of zero events with to="none") is NaN here
            np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected), err_msg=name)
            ok = ~np.isnan(expected)
            np.testing.assert_allclose(actual[ok], expected[ok], rtol=RTOL, atol=0, err_msg=name)
            if ok.any():
                rel = np.abs(actual[ok] - expected[ok]) / np.maximum(np.abs(expected[ok]), 1e-300)
                worst = max(worst, float(rel.max()))
    assert worst < RTOL


def test_escalc_warns_where_metafor_recodes_infinities() -> None:
    """metafor recodes +-Inf (e.g. ZCOR of r = 1) to NA with a warning; evsynth gives NaN."""
    flagged = [c for c in CASES if any("Inf" in w for w in c["warnings"])]
    assert flagged, "the random set should contain infinite effect sizes"
    for case in flagged:
        es = _run(case)
        assert np.isnan(es.yi).any() or np.isnan(es.vi).any()
