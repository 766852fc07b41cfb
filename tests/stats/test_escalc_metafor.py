"""escalc against metafor 3.8.1: every measure over data sets and constructed edge cases.

The cases and metafor's values come from reference/metafor/escalc_cases.R (the exact call is
stored with each case).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from evsynth.stats.escalc import MEASURES, escalc
from helpers import REFERENCE

CASES: list[dict[str, Any]] = json.loads(
    (REFERENCE / "metafor" / "escalc_cases.json").read_text(encoding="utf-8")
)["cases"]

# Closed forms: the only differences are floating-point rounding and the 15 significant digits
# that jsonlite writes, so 1e-8 relative is generous; absolute 1e-12 covers values at zero.
RTOL = 1e-8
ATOL = 1e-12


def _values(v: Any) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(v, dtype=object))
    return np.array([np.nan if x is None else x for x in arr], dtype=float)


@pytest.mark.reference
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_escalc_matches_metafor(case: dict[str, Any]) -> None:
    options = case["options"] if isinstance(case["options"], dict) else {}
    res = escalc(case["measure"], **case["args"], **options)
    want_yi, want_vi = _values(case["yi"]), _values(case["vi"])
    # Missing in metafor (NA) exactly where evsynth gives NaN.
    np.testing.assert_array_equal(np.isnan(res.yi), np.isnan(want_yi), err_msg="yi NA pattern")
    np.testing.assert_array_equal(np.isnan(res.vi), np.isnan(want_vi), err_msg="vi NA pattern")
    np.testing.assert_allclose(res.yi, want_yi, rtol=RTOL, atol=ATOL, equal_nan=True)
    np.testing.assert_allclose(res.vi, want_vi, rtol=RTOL, atol=ATOL, equal_nan=True)


def test_every_measure_has_reference_cases() -> None:
    covered = {c["measure"] for c in CASES}
    assert covered == set(MEASURES)
