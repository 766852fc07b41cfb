"""A fixed-effect meta-regression with as many coefficients as studies (saturated).

Reference, metafor 3.8.1:
    rma(c(0.1, 0.5), c(0.01, 0.02), mods = ~ c(1, 2), method = "FE")
    intrcpt -0.3000 (se 0.2449), slope 0.4000 (se 0.1732); QM(df = 1) = 5.3333, p = 0.0209;
    QE(df = 0) = 0, p = 1; R^2 NA.
The printed values are rounded to 4 decimals, so they are compared to that rounding; the
closed forms below are exact: beta solves the two equations, var(slope) = v1 + v2 = 0.03.
"""

from __future__ import annotations

import math

import pytest

from evsynth.stats.models import rma


def test_saturated_fixed_effect_regression_fits_as_metafor() -> None:
    res = rma([0.1, 0.5], [0.01, 0.02], mods=[[1.0], [2.0]], method="FE")
    assert res.coefficients[0] == pytest.approx(-0.3, rel=1e-12)
    assert res.coefficients[1] == pytest.approx(0.4, rel=1e-12)
    assert res.coef_se[1] == pytest.approx(math.sqrt(0.03), rel=1e-12)
    assert res.coef_se[0] == pytest.approx(0.2449, abs=5e-5)
    qm, qe = res.QM, res.Q
    assert qm == pytest.approx(0.4**2 / 0.03, rel=1e-12)  # 5.3333
    assert qe == pytest.approx(0.0, abs=1e-12)
    assert res.Q_df == 0
    assert math.isnan(res.R2)
