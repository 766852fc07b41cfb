"""escalc refuses impossible summary data with a message that names the argument and study."""

from __future__ import annotations

import numpy as np
import pytest

from evsynth.errors import InputError
from evsynth.stats.escalc import EffectSizes, escalc


def _error(**kwargs: object) -> InputError:
    with pytest.raises(InputError) as info:
        escalc(**kwargs)  # type: ignore[arg-type]
    return info.value


def test_unknown_measure() -> None:
    err = _error(measure="SMDX", yi=[1], vi=[1])
    assert err.message.startswith("Invalid measure 'SMDX'; expected one of MD, SMD, SMDH")
    assert err.column == "measure"


def test_vtype_not_defined_for_measure() -> None:
    err = _error(measure="MD", m1i=[1], sd1i=[1], n1i=[5], m2i=[1], sd2i=[1], n2i=[5], vtype="AV")
    assert err.message == "Invalid vtype 'AV' for measure MD; expected one of UB, LS, HO"


def test_negative_standard_deviation_names_argument_and_study() -> None:
    err = _error(
        measure="SMD", m1i=[1, 2], sd1i=[1, 1], n1i=[5, 5], m2i=[1, 1], sd2i=[1, -2], n2i=[5, 5]
    )
    assert (err.column, err.message) == ("sd2i", "standard deviation is negative (study 2: -2)")


def test_events_above_group_size() -> None:
    err = _error(measure="OR", ai=[3, 12], n1i=[10, 10], ci=[1, 1], n2i=[10, 10])
    assert (err.column, err.message) == (
        "ai",
        "events are more than the group size n1i (study 2: 12)",
    )
    err = _error(measure="PR", xi=[5], ni=[4])
    assert (err.column, err.message) == (
        "xi",
        "events are more than the sample size ni (study 1: 5)",
    )


def test_inconsistent_group_size() -> None:
    err = _error(measure="RR", ai=[3], bi=[7], n1i=[11], ci=[1], di=[9])
    assert (err.column, err.message) == ("n1i", "n1i is not equal to ai + bi (study 1: 11)")


def test_correlation_outside_unit_interval() -> None:
    err = _error(measure="ZCOR", ri=[0.2, -1.5], ni=[10, 10])
    assert (err.column, err.message) == ("ri", "correlation is outside [-1, 1] (study 2: -1.5)")
    err = _error(measure="MC", m1i=[1], sd1i=[1], m2i=[1], sd2i=[1], ni=[9], ri=[1.01])
    assert err.column == "ri"


def test_missing_argument_and_lengths() -> None:
    err = _error(measure="MD", m1i=[1], sd1i=[1], n1i=[5], m2i=[1], sd2i=[1])
    assert (err.column, err.message) == ("n2i", "Measure MD needs the argument(s) n2i")
    err = _error(measure="ZCOR", ri=[0.1, 0.2], ni=[10])
    assert err.message == "Arguments are not all of the same length (ri=2, ni=1)"
    err = _error(yi=[0.1])
    assert (err.column, err.message) == ("vi", "Precomputed yi needs vi or sei")


def test_non_positive_sample_size() -> None:
    err = _error(measure="COR", ri=[0.1], ni=[0])
    assert (err.column, err.message) == ("ni", "sample size is not positive (study 1: 0)")


def test_gen_is_the_default_with_yi_and_sei_squares() -> None:
    es = escalc(yi=[2.64, 2.4], sei=[0.084, 0.184], slab=["Choi 2017", "Gerdesmeyer 2013"])
    assert es.measure == "GEN"
    np.testing.assert_allclose(es.vi, [0.084**2, 0.184**2], rtol=1e-15)
    np.testing.assert_allclose(es.sei, [0.084, 0.184], rtol=1e-15)
    assert es.labels() == ("Choi 2017", "Gerdesmeyer 2013")


def test_result_is_immutable_and_tabular() -> None:
    es = escalc("OR", ai=[1, 0], bi=[9, 10], ci=[2, 3], di=[8, 7], slab=["A", "A"])
    assert es.slab == ("A.1", "A.2")  # duplicate labels made unique as metafor does
    with pytest.raises(ValueError):
        es.yi[0] = 1.0
    with pytest.raises(AttributeError):
        es.measure = "RR"  # type: ignore[misc]
    frame = es.to_frame()
    assert list(frame.columns) == ["study", "yi", "vi", "sei", "ai", "bi", "ci", "di", "ni"]
    # the stored counts are the ones given, before the continuity correction
    assert frame["ai"].tolist() == [1.0, 0.0]
    assert "OR (log odds ratio), k = 2" in es.summary()
    assert isinstance(es, EffectSizes) and len(es) == 2
