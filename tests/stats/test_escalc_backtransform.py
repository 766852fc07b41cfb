"""back_transform against metafor's transf functions (reference/metafor/escalc_backtransform.R)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from evsynth.errors import InputError
from evsynth.stats.escalc import back_transform, escalc, is_ratio
from helpers import REFERENCE

REF = json.loads((REFERENCE / "metafor" / "escalc_backtransform.json").read_text("utf-8"))

# Closed forms evaluated in double precision on both sides; jsonlite keeps 15 significant digits.
RTOL = 1e-8


@pytest.mark.reference
@pytest.mark.parametrize("measure", ["RR", "OR", "ROM", "PLN", "PLO", "PAS", "ZCOR"])
def test_back_transform_matches_metafor(measure: str) -> None:
    got = back_transform(measure, np.array(REF["x"]))
    np.testing.assert_allclose(got, REF[measure], rtol=RTOL, atol=1e-14)


@pytest.mark.reference
def test_pft_uses_harmonic_mean_sample_size_as_metafor() -> None:
    got = back_transform("PFT", np.array(REF["pft_x"]), ni=REF["pft_ni"])
    np.testing.assert_allclose(got, REF["PFT"], rtol=RTOL, atol=1e-14)


@pytest.mark.reference
def test_pft_round_trip_recovers_the_proportion() -> None:
    es = escalc("PFT", xi=REF["pft_roundtrip_xi"], ni=REF["pft_roundtrip_ni"])
    got = back_transform("PFT", es.yi, ni=es.ni)
    np.testing.assert_allclose(got, REF["pft_roundtrip"], rtol=RTOL, atol=1e-12)


def test_identity_scales_and_scalars() -> None:
    assert back_transform("MD", 1.25) == 1.25
    assert back_transform("SMD", -0.4) == -0.4
    assert isinstance(back_transform("OR", 0.0), float)
    assert back_transform("OR", 0.0) == 1.0
    assert is_ratio("RR") and is_ratio("OR") and is_ratio("ROM") and not is_ratio("RD")


def test_pft_without_sample_sizes_is_an_input_error() -> None:
    with pytest.raises(InputError, match="needs the sample sizes ni"):
        back_transform("PFT", 0.3)


def test_unknown_measure_is_named() -> None:
    with pytest.raises(InputError, match="Invalid measure 'XX'; expected one of MD, SMD"):
        back_transform("XX", 0.3)
