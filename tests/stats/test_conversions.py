"""Conversions to SD and to mean/SD, against the Cochrane Handbook's worked example, published
t and expected-range tables, and the formulas of Wan et al. (2014) and Luo et al. (2018).

metafor 3.8.1 has no conv.fivenum / conv.delta (they arrived in metafor 4.0), so the references
are the papers and the Handbook.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from evsynth.errors import InputError
from evsynth.stats.conversions import (
    MeanSD,
    iqr_divisor,
    mean_sd_from_quantiles,
    range_divisor,
    sd_from_ci,
    sd_from_ci_difference,
    sd_from_p_difference,
    sd_from_se,
    sd_from_t_difference,
    se_from_ci,
    se_from_p,
)


def test_se_to_sd_handbook_6_5_2_2() -> None:
    # SD = SE * sqrt(N)
    assert sd_from_se(2.0, 25) == pytest.approx(10.0, rel=1e-15)
    np.testing.assert_allclose(sd_from_se([1.0, 0.5], [4, 100]), [2.0, 5.0], rtol=1e-15)


def test_ci_to_sd_of_a_mean_normal_uses_3_92() -> None:
    # Handbook: SD = sqrt(N) * (upper - lower) / 3.92 for a 95% CI; 1.959964 vs the Handbook's
    # rounded 1.96 differs by 2e-5 relative.
    got = sd_from_ci(10.0, 14.0, 100)
    assert got == pytest.approx(10 * 4 / 3.92, rel=5e-5)
    # 90% and 99% intervals: the Handbook's 3.29 and 5.15 (rounded to 2 decimals: 1e-3).
    assert sd_from_ci(10.0, 14.0, 100, level=90) == pytest.approx(10 * 4 / 3.29, rel=1e-3)
    assert sd_from_ci(10.0, 14.0, 100, level=99) == pytest.approx(10 * 4 / 5.15, rel=1e-3)


def test_ci_to_sd_of_a_mean_t_for_small_samples() -> None:
    # t(0.975, 24) = 2.0639 from the published t table (4 decimals: 5e-5 relative).
    got = sd_from_ci(10.0, 14.0, 25, dist="t")
    assert got == pytest.approx(5 * 4 / (2 * 2.0639), rel=5e-5)


def test_p_value_to_sd_handbook_worked_example() -> None:
    # Handbook 6.5.2.3: MD 3.8, p = 0.008, N 25 and 22 -> t = 2.78 (45 df), SE = 1.37,
    # SD = 1.37 / sqrt(1/25 + 1/22) = 4.69. The Handbook rounds t and SE to 2 decimals, which
    # moves the SD by up to 0.01; we compute without that rounding (4.683).
    assert sd_from_p_difference(3.8, 0.008, 25, 22) == pytest.approx(4.69, abs=0.01)
    assert sd_from_t_difference(3.8, 2.78, 25, 22) == pytest.approx(4.69, abs=0.015)
    assert sd_from_t_difference(-3.8, -2.78, 25, 22) == sd_from_t_difference(3.8, 2.78, 25, 22)


def test_ci_of_difference_to_sd_t_45_df() -> None:
    # t(0.975, 45) = 2.0141 (t table). An interval MD +- 2.0141 * SE gives back SE, and
    # SD = SE / sqrt(1/25 + 1/22).
    se = 1.37
    got = sd_from_ci_difference(3.8 - 2.0141 * se, 3.8 + 2.0141 * se, 25, 22)
    assert got == pytest.approx(se / math.sqrt(1 / 25 + 1 / 22), rel=5e-5)


def test_se_from_ci_and_p() -> None:
    # log OR 95% CI (ln 1.2, ln 3.0): SE = (ln 3 - ln 1.2) / 3.92 (Handbook 6.3.2, ratio measures)
    assert se_from_ci(math.log(1.2), math.log(3.0)) == pytest.approx(
        (math.log(3.0) - math.log(1.2)) / 3.919928, rel=1e-6
    )
    # p = 0.05 two-sided, normal: the statistic is 1.959964, so SE = estimate / 1.959964.
    assert se_from_p(0.5, 0.05) == pytest.approx(0.5 / 1.959964, rel=1e-6)


# Wan et al. (2014), Table 1: the exact expected range of a standard normal sample, xi(n).
WAN_TABLE_1 = {10: 3.078, 16: 3.532, 20: 3.735, 30: 4.086, 40: 4.322, 50: 4.498}


@pytest.mark.parametrize(("n", "exact"), sorted(WAN_TABLE_1.items()))
def test_range_divisor_approximates_wan_table_1(n: int, exact: float) -> None:
    # xi(n) = 2 Phi^-1((n - 0.375)/(n + 0.25)) is Blom's approximation to the exact values of
    # Table 1; for n >= 10 it is within 0.6 % of them.
    assert range_divisor(n) == pytest.approx(exact, rel=6e-3)


def test_iqr_divisor_tends_to_1_35() -> None:
    # The expected IQR of a normal sample tends to 2 * 0.6745 = 1.349 SD (the Handbook's
    # "IQR / 1.35" rule for large samples).
    assert iqr_divisor(100000) == pytest.approx(1.349, abs=1e-3)


def test_luo_min_median_max_hand_computed() -> None:
    # n = 16: n^0.75 = 8, w = 4 / (4 + 8) = 1/3; mean = (1/3) * (4 + 22)/2 + (2/3) * 10 = 11.
    res = mean_sd_from_quantiles(16, 10, minimum=4, maximum=22)
    assert res.scenario == "min-median-max"
    assert res.mean == pytest.approx(11.0, rel=1e-12)
    # SD = (b - a) / xi(16); against Table 1's exact 3.532 within the Blom error (0.2 %).
    assert res.sd == pytest.approx(18 / 3.532, rel=2e-3)


def test_luo_five_numbers_hand_computed() -> None:
    # n = 16: w1 = 2.2 / 10.2; 16^0.55 = 2^2.2 = 4.594794, w2 = 0.7 - 0.72 / 4.594794.
    w1 = 2.2 / 10.2
    w2 = 0.7 - 0.72 / 2**2.2
    res = mean_sd_from_quantiles(16, 10, minimum=4, q1=7, q3=14, maximum=22)
    assert res.scenario == "min-q1-median-q3-max"
    assert res.mean == pytest.approx(w1 * 13 + w2 * 10.5 + (1 - w1 - w2) * 10, rel=1e-12)
    wan = mean_sd_from_quantiles(16, 10, minimum=4, q1=7, q3=14, maximum=22, mean_method="wan2014")
    assert wan.mean == pytest.approx((4 + 14 + 20 + 28 + 22) / 8, rel=1e-12)


def test_luo_quartiles_hand_computed() -> None:
    # n = 39: w = 0.7 + 0.39/39 = 0.71; mean = 0.71 * (2 + 10)/2 + 0.29 * 5 = 5.71.
    res = mean_sd_from_quantiles(39, 5, q1=2, q3=10)
    assert res.mean == pytest.approx(5.71, rel=1e-12)
    wan = mean_sd_from_quantiles(39, 5, q1=2, q3=10, mean_method="wan2014")
    assert wan.mean == pytest.approx(17 / 3, rel=1e-12)
    assert "Luo et al. (2018)" in res.summary()


def test_wan_min_median_max_mean() -> None:
    res = mean_sd_from_quantiles(30, 5, minimum=1, maximum=13, mean_method="wan2014")
    assert res.mean == pytest.approx((1 + 10 + 13) / 4, rel=1e-12)


@pytest.mark.parametrize("n", [51, 201, 1001])
def test_normal_samples_recover_mean_and_sd_on_average(n: int) -> None:
    # Wan (2014) and Luo (2018) show their estimators nearly unbiased for normal data. Over 400
    # simulated normal samples (fixed seed) the average relative error of the SD stays within
    # 3 % (observed: at most 1.5 %) and the mean is off by less than 0.1 SD on average (observed:
    # at most 0.065 SD at n = 51). A wrong constant or weight breaks either bound.
    rng = np.random.default_rng(n)
    x = rng.normal(50.0, 10.0, (400, n))
    a, q1, m, q3, b = np.quantile(x, [0, 0.25, 0.5, 0.75, 1], axis=1)
    sd, mean = x.std(axis=1, ddof=1), x.mean(axis=1)
    sizes = np.full(400, n)
    for kwargs in (
        {"minimum": a, "maximum": b},
        {"q1": q1, "q3": q3},
        {"minimum": a, "q1": q1, "q3": q3, "maximum": b},
    ):
        res = mean_sd_from_quantiles(sizes, m, **kwargs)
        assert abs(np.mean((res.sd - sd) / sd)) < 0.03, res.scenario
        assert np.mean(np.abs(res.mean - mean)) < 0.1 * 10.0, res.scenario


def test_vectorised_over_studies() -> None:
    res = mean_sd_from_quantiles([16, 39], [10, 5], q1=[7, 2], q3=[14, 10])
    assert isinstance(res, MeanSD)
    assert res.to_frame().shape == (2, 2)
    assert res.mean[1] == pytest.approx(mean_sd_from_quantiles(39, 5, q1=2, q3=10).mean)


def test_bad_inputs_are_named() -> None:
    with pytest.raises(InputError, match=r"q1 is below minimum \(study 1: 1\)"):
        mean_sd_from_quantiles(20, 5, minimum=2, q1=1, q3=8, maximum=9)
    with pytest.raises(InputError, match="Give both the minimum and the maximum"):
        mean_sd_from_quantiles(20, 5, minimum=2)
    with pytest.raises(InputError, match="p-value must be between 0 and 1"):
        sd_from_p_difference(1.0, 0.0, 10, 10)
    with pytest.raises(InputError, match="upper confidence limit is below the lower limit"):
        sd_from_ci(5.0, 4.0, 10)
    with pytest.raises(InputError, match="standard error is negative"):
        sd_from_se(-1.0, 10)
    with pytest.raises(InputError, match="Invalid dist 'z'"):
        sd_from_ci(4.0, 5.0, 10, dist="z")  # type: ignore[arg-type]
