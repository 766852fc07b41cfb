"""Agreement to the printed rounding: a printed value agrees when evsynth's value rounds to it.

Reference: the rounding rule itself (half a unit in the last printed decimal), on the seed
review's printed values (2.678 printed for 2.67768; 2.013 printed for 2.01028).
"""

from __future__ import annotations

from evsynth.review.published import _agrees_to, _decimals


def test_decimals_of_the_printed_text() -> None:
    assert _decimals("2.678") == 3
    assert _decimals("11.41") == 2
    assert _decimals("4") == 0


def test_agreement_to_the_printed_rounding() -> None:
    assert _agrees_to(2.677683, 2.678, 3) == 3  # Fig. 2A estimate
    assert _agrees_to(2.010275, 2.013, 3) == 2  # Fig. 3A: 2.01 either way
    assert _agrees_to(37.0475, 37.013, 3) == 1  # 37.0 either way
    assert _agrees_to(291.7134, 291.116, 3) is None  # not even to a whole number
    assert _agrees_to(4.0, 4.0, 0) == 0


def test_half_unit_boundary_is_inclusive() -> None:
    # 2.6785 rounds half away to 2.679 on paper but binary storage may fall just below; a value
    # exactly half a unit away still counts as agreeing, as either rounding could print it.
    assert _agrees_to(2.6785, 2.678, 3) == 3
    assert _agrees_to(2.6786, 2.678, 3) == 2
