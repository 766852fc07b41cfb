"""The second bundled example (two-arm Gerdesmeyer data) runs: risk ratios and mean differences.

References: seed 000 Table 2 (responders 26/45 vs 7/42 at 3 months, 31/42 vs 4/37 at 6, 28/31
vs 9/26 at 12) and seed 001 (ODI and VAS means at 1 and 10 years); the risk ratio of one 2x2
table is (a/n1)/(c/n2) with SE sqrt(1/a - 1/n1 + 1/c - 1/n2) (metafor's escalc "RR").
"""

from __future__ import annotations

import math
from typing import Any

import pytest


def test_risk_ratios_of_responders(two_arm_run: Any) -> None:
    table = {"rr-3m": (26, 45, 7, 42), "rr-6m": (31, 42, 4, 37), "rr-12m": (28, 31, 9, 26)}
    for aid, (a, n1, c, n2) in table.items():
        res = two_arm_run.analysis(aid).fixed
        assert res.measure == "RR"
        assert math.exp(res.estimate) == pytest.approx((a / n1) / (c / n2), rel=1e-12)
        assert res.se == pytest.approx(math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2), rel=1e-12)


def test_mean_differences_at_1_and_10_years(two_arm_run: Any) -> None:
    # Lysis minus placebo (seed 001): ODI 9.6 - 30.7 at 1 year, 11.7 - 24.8 at 10 years;
    # VAS 1.2 - 2.8 and 1.5 - 2.9.
    expected = {"odi-1y": -21.1, "odi-10y": -13.1, "vas-1y": -1.6, "vas-10y": -1.4}
    for aid, md in expected.items():
        res = two_arm_run.analysis(aid).fixed
        assert res.measure == "MD"
        assert res.estimate == pytest.approx(md, abs=1e-12)


def test_responder_rows_for_the_patient_summary(two_arm_run: Any) -> None:
    rows = {r.timepoint_months: r for r in two_arm_run.responders}
    assert (rows[3.0].per100_a, rows[3.0].per100_b) == (58, 17)
    assert (rows[12.0].per100_a, rows[12.0].per100_b) == (90, 35)
