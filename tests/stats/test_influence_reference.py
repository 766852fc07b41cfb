"""leave1out, influence and cumul against metafor 3.8.1 (reference/metafor/rma_influence.R).

dat.bcg log risk ratios; REML, PM and FE with z tests, DL with Knapp-Hartung; intercept-only
models and a meta-regression on absolute latitude (influence only, as in metafor).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from evsynth.errors import InputError
from evsynth.stats.influence import cumul, influence, leave1out
from evsynth.stats.models import rma, rma_mh, rma_peto
from helpers import REFERENCE

REF: dict[str, Any] = json.loads((REFERENCE / "metafor" / "rma_influence.json").read_text())
YI, VI = np.array(REF["yi"]), np.array(REF["vi"])
CASES = REF["cases"]


def _rtol(method: str) -> float:
    # closed forms (FE, DL) are metafor's arithmetic: 1e-8; REML/PM refits are iterative: 1e-5.
    return 1e-8 if method in ("FE", "DL") else 1e-5


def _fit(case: dict[str, Any]) -> Any:
    mods = {"ablat": REF["ablat"]} if case["mods"] else None
    return rma(YI, VI, mods=mods, method=case["method"], test=case["test"], slab=REF["slab"])


def _vec(x: Any) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in x], dtype=float)


IDS = [f"{c['method']}-{c['test']}{'-mods' if c['mods'] else ''}" for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_influence_matches_metafor(case: dict[str, Any]) -> None:
    inf = influence(_fit(case))
    rtol = _rtol(case["method"])
    for ours, theirs in (
        (inf.rstudent, "rstudent"),
        (inf.dffits, "dffits"),
        (inf.cooks_d, "cook_d"),
        (inf.cov_r, "cov_r"),
        (inf.tau2_del, "tau2_del"),
        (inf.QE_del, "QE_del"),
        (inf.hat, "hat"),
        (inf.weight, "weight"),
    ):
        np.testing.assert_allclose(ours, _vec(case[theirs]), rtol=rtol, atol=1e-12, err_msg=theirs)
    dfbetas = np.column_stack([_vec(col) for col in case["dfbetas"]])
    np.testing.assert_allclose(inf.dfbetas, dfbetas, rtol=rtol, atol=1e-12)
    assert list(inf.influential) == case["inf"]
    assert len(inf.to_frame()) == len(YI)


SEQ = [("estimate", "estimate"), ("se", "se"), ("statistic", "zval"), ("p_value", "pval")]
SEQ += [("ci_lower", "ci_lb"), ("ci_upper", "ci_ub"), ("Q", "Q"), ("Q_p", "Qp")]
SEQ += [("tau2", "tau2"), ("I2", "I2"), ("H2", "H2")]
NOMODS = [c for c in CASES if not c["mods"]]


@pytest.mark.parametrize("case", NOMODS, ids=[f"{c['method']}-{c['test']}" for c in NOMODS])
def test_leave1out_matches_metafor(case: dict[str, Any]) -> None:
    l1o = leave1out(_fit(case))
    rtol = _rtol(case["method"])
    for ours, theirs in SEQ:
        np.testing.assert_allclose(
            getattr(l1o, ours), _vec(case["l1o"][theirs]), rtol=rtol, atol=1e-12, err_msg=ours
        )
    assert l1o.slab == tuple(REF["slab"])


@pytest.mark.parametrize("case", NOMODS, ids=[f"{c['method']}-{c['test']}" for c in NOMODS])
def test_cumul_matches_metafor(case: dict[str, Any]) -> None:
    cu = cumul(_fit(case), order=REF["year"])
    rtol = _rtol(case["method"])
    # metafor labels studies 1..k by default; ours are "Study i"
    assert [s.removeprefix("Study ") for s in cu.slab] == case["cumul"]["slab"]
    for ours, theirs in SEQ:
        np.testing.assert_allclose(
            getattr(cu, ours), _vec(case["cumul"][theirs]), rtol=rtol, atol=1e-12, err_msg=ours
        )


def test_leave1out_refuses_meta_regression() -> None:
    res = rma(YI, VI, mods={"ablat": REF["ablat"]})
    with pytest.raises(InputError, match="without moderators"):
        leave1out(res)


def test_diagnostics_refuse_mantel_haenszel() -> None:
    res = rma_mh([4, 6, 3], [119, 300, 228], [11, 29, 11], [128, 274, 209])
    with pytest.raises(InputError, match="not defined for Mantel-Haenszel"):
        influence(res)


BINARY = REF["binary"]
SEQ_BINARY = [s for s in SEQ if s[0] != "tau2"]


@pytest.mark.parametrize("case", BINARY, ids=[f"{c['dataset']}-{c['measure']}" for c in BINARY])
def test_binary_leave1out_and_cumul_match_metafor(case: dict[str, Any]) -> None:
    cells = [np.array(case[n], dtype=float) for n in ("ai", "bi", "ci", "di")]
    peto = case["measure"] == "PETO"
    res = rma_peto(*cells) if peto else rma_mh(*cells, measure=case["measure"])
    l1o = leave1out(res)
    cu = cumul(res, order=case["year"])
    # Mantel-Haenszel and Peto are closed forms: 1e-8 relative
    for fits, ref in ((l1o, case["l1o"]), (cu, case["cumul"])):
        for ours, theirs in SEQ_BINARY:
            np.testing.assert_allclose(
                getattr(fits, ours), _vec(ref[theirs]), rtol=1e-8, atol=1e-12, err_msg=ours
            )
        assert np.all(fits.tau2 == 0.0)
    assert [s.removeprefix("Study ") for s in cu.slab] == case["cumul"]["slab"]
