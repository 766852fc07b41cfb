"""Effect sizes and their sampling variances from summary data: metafor's ``escalc``.

``escalc(measure, ...)`` takes metafor's argument names and measure codes and returns the same
``yi`` and ``vi`` as metafor 3.8.1, including its continuity correction for zero cells
(``add=1/2, to="only0", drop00=False``; ``add=0`` for PAS and PFT), its bias-corrected
standardised mean differences and its default variance types. A value that cannot be computed
(a log of a negative ratio, a bias correction with one degree of freedom) is NaN, where metafor
gives ``NA``.

Measures: MD, SMD, SMDH, ROM (two groups, means); MC, SMCC, SMCR (one group before and after:
``m1i``/``sd1i`` after, ``m2i``/``sd2i`` before, ``ri`` their correlation, ``ni``); RR, OR, RD
(2x2 tables); PR, PLN, PLO, PAS, PFT (one proportion); COR, ZCOR (correlations); GEN (given
``yi`` with ``vi`` or ``sei``).

References
----------
Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package. Journal of
Statistical Software, 36(3), 1-48. https://doi.org/10.18637/jss.v036.i03
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from evsynth.errors import InputError
from evsynth.stats.escalc_common import FloatArray, as_array, require, same_length
from evsynth.stats.escalc_counts import proportion, two_by_two
from evsynth.stats.escalc_means import change_scores, correlation, two_groups

if TYPE_CHECKING:
    import pandas as pd

TWO_BY_TWO = ("RR", "OR", "RD")
TWO_GROUP_MEANS = ("MD", "SMD", "SMDH", "ROM")
CHANGE = ("MC", "SMCC", "SMCR")
PROPORTIONS = ("PR", "PLN", "PLO", "PAS", "PFT")
CORRELATIONS = ("COR", "ZCOR")
MEASURES: tuple[str, ...] = (
    *TWO_GROUP_MEANS,
    *CHANGE,
    *TWO_BY_TWO,
    *PROPORTIONS,
    *CORRELATIONS,
    "GEN",
)
#: What each measure is, for tables and reports.
MEASURE_LABELS: dict[str, str] = {
    "MD": "mean difference",
    "SMD": "standardised mean difference (Hedges' g)",
    "SMDH": "standardised mean difference, heteroscedastic groups",
    "ROM": "log ratio of means",
    "MC": "mean change",
    "SMCC": "standardised mean change (change-score standardisation)",
    "SMCR": "standardised mean change (raw-score standardisation)",
    "RR": "log risk ratio",
    "OR": "log odds ratio",
    "RD": "risk difference",
    "PR": "proportion",
    "PLN": "log proportion",
    "PLO": "logit proportion",
    "PAS": "arcsine square-root proportion",
    "PFT": "Freeman-Tukey double-arcsine proportion",
    "COR": "correlation",
    "ZCOR": "Fisher's z-transformed correlation",
    "GEN": "effect size as given",
}
VTYPES = ("UB", "LS", "LS2", "HO", "AV", "AVHO")


def _readonly(arr: NDArray[Any] | None) -> NDArray[Any] | None:
    if arr is not None:
        arr.flags.writeable = False
    return arr


@dataclass(frozen=True)
class EffectSizes:
    """Effect sizes ``yi`` and sampling variances ``vi`` of ``k`` studies, with their inputs.

    Attributes
    ----------
    measure : str
        metafor's measure code (``"GEN"`` for values given as they are).
    yi, vi : numpy.ndarray
        Effect sizes (on the analysis scale: log for RR/OR/ROM, logit for PLO, z for ZCOR...)
        and sampling variances; NaN where metafor gives ``NA``.
    slab : tuple of str or None
        Study labels.
    ai, bi, ci, di : numpy.ndarray or None
        The 2x2 counts as given (before any continuity correction), for RR/OR/RD; the pooling
        models of Mantel-Haenszel and Peto need them.
    ni : numpy.ndarray or None
        Total sample size of each study (metafor's ``ni`` attribute); PFT back-transformation
        uses its harmonic mean.
    """

    measure: str
    yi: FloatArray
    vi: FloatArray
    slab: tuple[str, ...] | None = None
    ai: FloatArray | None = None
    bi: FloatArray | None = None
    ci: FloatArray | None = None
    di: FloatArray | None = None
    ni: FloatArray | None = field(default=None)

    def __post_init__(self) -> None:
        for name in ("yi", "vi", "ai", "bi", "ci", "di", "ni"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _readonly(np.array(value, dtype=np.float64)))
        if len(self.yi) != len(self.vi):
            raise ValueError("yi and vi must have the same length")
        if self.slab is not None and len(self.slab) != len(self.yi):
            raise ValueError("slab must have one label per study")

    @property
    def k(self) -> int:
        """Number of studies (rows), including those whose effect size is missing."""
        return len(self.yi)

    def __len__(self) -> int:
        return self.k

    @property
    def sei(self) -> FloatArray:
        """Standard errors, ``sqrt(vi)``."""
        return np.sqrt(self.vi)

    def labels(self) -> tuple[str, ...]:
        """Study labels, ``Study 1`` ... when none were given (metafor's default)."""
        if self.slab is not None:
            return self.slab
        return tuple(f"Study {i + 1}" for i in range(self.k))

    def to_frame(self) -> pd.DataFrame:
        """One row per study: label, yi, vi, sei, and the counts/sample size where known."""
        import pandas as pd  # imported here: reading a table and fitting need no pandas

        frame = pd.DataFrame(
            {"study": list(self.labels()), "yi": self.yi, "vi": self.vi, "sei": self.sei}
        )
        for name in ("ai", "bi", "ci", "di", "ni"):
            value = getattr(self, name)
            if value is not None:
                frame[name] = value
        frame.attrs["measure"] = self.measure
        return frame

    def summary(self) -> str:
        """A short text table of the effect sizes."""
        label = MEASURE_LABELS.get(self.measure, self.measure)
        lines = [f"{self.measure} ({label}), k = {self.k}"]
        width = max([len(s) for s in self.labels()] + [5])
        lines.append(f"{'study':<{width}}  {'yi':>10}  {'vi':>10}")
        for name, y, v in zip(self.labels(), self.yi, self.vi, strict=True):
            lines.append(f"{name:<{width}}  {y:>10.4f}  {v:>10.4f}")
        return "\n".join(lines)


def _unique_labels(slab: Any, k: int) -> tuple[str, ...] | None:
    """Labels as strings; duplicates get ``.1``, ``.2`` ... appended as in metafor."""
    if slab is None:
        return None
    labels = [str(s) for s in slab]
    if len(labels) != k:
        raise InputError(f"slab has {len(labels)} labels for {k} studies", column="slab")
    if any(s is None or (isinstance(s, float) and np.isnan(s)) for s in slab):
        raise InputError("Missing study label", column="slab")
    if len(set(labels)) == len(labels):
        return tuple(labels)
    counts = Counter(labels)
    seen: dict[str, int] = {}
    out = []
    for s in labels:
        if counts[s] > 1:
            seen[s] = seen.get(s, 0) + 1
            out.append(f"{s}.{seen[s]}")
        else:
            out.append(s)
    return tuple(out)


def _finish(
    yi: FloatArray,
    vi: FloatArray,
    complete: NDArray[np.bool_],
    vi_undefined: NDArray[np.bool_] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Apply metafor's clean-up: infinite or NaN results become missing in both yi and vi.

    ``complete`` marks rows whose inputs were all present: only there does a NaN mean "not
    computable" (metafor's NaN) rather than "missing input" (metafor's NA, left one-sided).
    """
    yi = np.array(yi, dtype=np.float64)
    vi = np.array(vi, dtype=np.float64)
    if vi_undefined is not None:
        vi[vi_undefined] = np.nan
    else:
        vi_undefined = np.zeros(len(vi), dtype=bool)
    bad = np.isinf(yi) | np.isinf(vi)
    bad |= complete & (np.isnan(yi) | (np.isnan(vi) & ~vi_undefined))
    yi[bad] = np.nan
    vi[bad] = np.nan
    with np.errstate(invalid="ignore"):
        vi[vi < 0] = np.nan
    return yi, vi


def _complete(*arrays: FloatArray | None) -> NDArray[np.bool_]:
    given = [a for a in arrays if a is not None]
    mask = np.ones(len(given[0]), dtype=bool)
    for a in given:
        mask &= ~np.isnan(a)
    return mask


def escalc(
    measure: str | None = None,
    *,
    ai: Any = None,
    bi: Any = None,
    ci: Any = None,
    di: Any = None,
    n1i: Any = None,
    n2i: Any = None,
    m1i: Any = None,
    sd1i: Any = None,
    m2i: Any = None,
    sd2i: Any = None,
    xi: Any = None,
    mi: Any = None,
    ni: Any = None,
    ri: Any = None,
    yi: Any = None,
    vi: Any = None,
    sei: Any = None,
    add: float | None = None,
    to: str = "only0",
    drop00: bool = False,
    vtype: str = "LS",
    slab: Sequence[Any] | None = None,
) -> EffectSizes:
    """Compute effect sizes and sampling variances as metafor 3.8's ``escalc``.

    Parameters
    ----------
    measure : str, optional
        metafor's measure code (see :data:`MEASURES`); ``"GEN"`` when omitted and ``yi`` is given.
        With ``yi`` given, ``yi`` and ``vi``/``sei`` are taken as they are whatever the measure,
        which then only labels the scale (as in metafor).
    ai, bi, ci, di : array-like, optional
        2x2 table cells (events and non-events, group 1 then group 2). ``bi``/``di`` may be
        replaced by ``n1i``/``n2i``.
    n1i, n2i : array-like, optional
        Group sizes.
    m1i, sd1i, m2i, sd2i : array-like, optional
        Means and standard deviations (for MC/SMCC/SMCR: 1 = after, 2 = before).
    xi, mi, ni : array-like, optional
        Events, non-events and sample size (proportions); ``ni`` is also the sample size for
        MC/SMCC/SMCR and correlations.
    ri : array-like, optional
        Correlations (COR/ZCOR) or the pre-post correlation (MC/SMCC/SMCR).
    yi, vi, sei : array-like, optional
        Precomputed effect sizes with their variances or standard errors.
    add : float, optional
        Continuity correction; ``None`` means metafor's default, 1/2, or 0 for PAS and PFT.
    to : {"only0", "all", "if0all", "none"}
        Which tables (or proportions) receive ``add``.
    drop00 : bool
        Treat 2x2 tables with no events (or no non-events) in both groups as missing.
    vtype : str
        Variance type: ``"LS"`` (large-sample, the default) or as metafor allows per measure
        (``"UB"``, ``"LS2"``, ``"HO"``, ``"AV"``, ``"AVHO"``).
    slab : sequence, optional
        Study labels.

    Returns
    -------
    EffectSizes

    Raises
    ------
    evsynth.errors.InputError
        For an unknown measure or option, a missing argument, or an impossible value (negative
        count or SD, events above the group size, a correlation outside [-1, 1]); the error's
        ``column`` names the argument.

    References
    ----------
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package. Journal of
    Statistical Software, 36(3), 1-48.

    Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009). Introduction to
    meta-analysis. Wiley. (Chapters 4-6: the effect sizes and their variances.)
    """
    if measure is None:
        if yi is None:
            raise InputError("Specify an effect size measure or precomputed yi", column="measure")
        measure = "GEN"
    if measure not in MEASURES:
        raise InputError(
            f"Invalid measure '{measure}'; expected one of {', '.join(MEASURES)}",
            column="measure",
        )
    if vtype not in VTYPES:
        raise InputError(
            f"Invalid vtype '{vtype}'; expected one of {', '.join(VTYPES)}", column="vtype"
        )
    if add is None:
        add = 0.0 if measure in ("PAS", "PFT") else 0.5
    arrays = {
        name: as_array(value, name)
        for name, value in {
            "ai": ai, "bi": bi, "ci": ci, "di": di, "n1i": n1i, "n2i": n2i,
            "m1i": m1i, "sd1i": sd1i, "m2i": m2i, "sd2i": sd2i, "xi": xi, "mi": mi,
            "ni": ni, "ri": ri, "yi": yi, "vi": vi, "sei": sei,
        }.items()
    }  # fmt: skip
    a = arrays
    cells: tuple[FloatArray, ...] | None = None
    vi_undefined = None
    if a["yi"] is not None:
        if a["vi"] is None and a["sei"] is None:
            raise InputError("Precomputed yi needs vi or sei", column="vi")
        var = a["vi"] if a["vi"] is not None else a["sei"] ** 2  # type: ignore[operator]
        require(measure, yi=a["yi"], vi=var)
        same_length(a["yi"], a["ni"])
        # Given values are kept as they are; only infinities become missing (as in metafor).
        y_out, v_out = _finish(a["yi"], var, np.zeros(len(a["yi"]), dtype=bool))
        n_out = a["ni"]
    elif measure in TWO_BY_TWO:
        need = require(measure, ai=a["ai"], ci=a["ci"])
        same_length(a["ai"], a["bi"], a["ci"], a["di"], a["n1i"], a["n2i"])
        y_out, v_out, n_out, cells = two_by_two(
            measure, need["ai"], a["bi"], need["ci"], a["di"], a["n1i"], a["n2i"],
            add=add, to=to, drop00=drop00, vtype=vtype,
        )  # fmt: skip
        y_out, v_out = _finish(y_out, v_out, _complete(*cells))
    elif measure in TWO_GROUP_MEANS:
        g = require(
            measure, m1i=a["m1i"], sd1i=a["sd1i"], n1i=a["n1i"],
            m2i=a["m2i"], sd2i=a["sd2i"], n2i=a["n2i"],
        )  # fmt: skip
        y_out, v_out, n_out = two_groups(measure, **g, vtype=vtype)
        y_out, v_out = _finish(y_out, v_out, _complete(*g.values()))
    elif measure in CHANGE:
        if measure == "SMCR":
            g = require(measure, m1i=a["m1i"], sd1i=a["sd1i"], m2i=a["m2i"], ni=a["ni"], ri=a["ri"])
            same_length(g["ni"], a["sd2i"])
        else:
            g = require(
                measure, m1i=a["m1i"], sd1i=a["sd1i"], m2i=a["m2i"], sd2i=a["sd2i"],
                ni=a["ni"], ri=a["ri"],
            )  # fmt: skip
        y_out, v_out, n_out = change_scores(
            measure, g["m1i"], g["sd1i"], g["m2i"], a["sd2i"], g["ni"], g["ri"], vtype=vtype
        )
        y_out, v_out = _finish(y_out, v_out, _complete(*g.values()))
    elif measure in PROPORTIONS:
        need = require(measure, xi=a["xi"])
        same_length(a["xi"], a["mi"], a["ni"])
        y_out, v_out, n_out = proportion(
            measure, need["xi"], a["mi"], a["ni"], add=add, to=to, vtype=vtype
        )
        y_out, v_out = _finish(y_out, v_out, _complete(need["xi"], n_out))
    elif measure in CORRELATIONS:
        g = require(measure, ri=a["ri"], ni=a["ni"])
        y_out, v_out, n_out = correlation(measure, g["ri"], g["ni"], vtype=vtype)
        # metafor leaves the correlation itself but has no variance for ni <= 3.
        vi_undefined = g["ni"] <= 3
        y_out, v_out = _finish(y_out, v_out, _complete(*g.values()), vi_undefined)
    else:  # GEN without yi
        raise InputError("Measure GEN needs the argument(s) yi and vi (or sei)", column="yi")
    labels = _unique_labels(slab, len(y_out))
    return EffectSizes(
        measure=measure,
        yi=y_out,
        vi=v_out,
        slab=labels,
        ai=cells[0] if cells is not None else None,
        bi=cells[1] if cells is not None else None,
        ci=cells[2] if cells is not None else None,
        di=cells[3] if cells is not None else None,
        ni=n_out,
    )


def _ipft_hm(x: FloatArray, ni: Any) -> FloatArray:
    """Inverse Freeman-Tukey double arcsine at the harmonic mean sample size.

    References
    ----------
    Miller, J. J. (1978). The inverse of the Freeman-Tukey double arcsine transformation. The
    American Statistician, 32(4), 138.
    """
    n = np.asarray(ni, dtype=np.float64)
    n = n[~np.isnan(n)]
    if n.size == 0:
        raise InputError("Back-transforming PFT needs the sample sizes ni", column="ni")
    nhm = 1 / np.mean(1 / n)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.sin(2 * x)
        inner = 1 - (s + (s - 1 / s) / nhm) ** 2
        z = 0.5 * (1 - np.sign(np.cos(2 * x)) * np.sqrt(inner))

    def pft(p: float) -> float:
        xs = p * nhm
        return float(
            0.5 * (np.arcsin(np.sqrt(xs / (nhm + 1))) + np.arcsin(np.sqrt((xs + 1) / (nhm + 1))))
        )

    z = np.where(x > pft(1.0), 1.0, z)
    z = np.where(x < pft(0.0), 0.0, z)
    return np.asarray(z, dtype=np.float64)


def back_transform(measure: str, x: Any, ni: Any = None) -> Any:
    """Map values on the analysis scale to the reporting scale of ``measure``.

    exp for RR, OR, ROM and PLN; inverse logit for PLO; ``sin(x)^2`` (clipped to [0, 1]) for PAS;
    tanh for ZCOR; metafor's ``transf.ipft.hm`` for PFT (needs the studies' sample sizes ``ni``);
    identity otherwise. A scalar in gives a float out; an array in gives an array.

    References
    ----------
    Miller, J. J. (1978). The inverse of the Freeman-Tukey double arcsine transformation. The
    American Statistician, 32(4), 138.
    """
    scalar = np.ndim(x) == 0
    arr = np.atleast_1d(np.asarray(x, dtype=np.float64))
    if measure in ("RR", "OR", "ROM", "PLN"):
        out = np.exp(arr)
    elif measure == "PLO":
        out = 1 / (1 + np.exp(-arr))
    elif measure == "PAS":
        out = np.where(arr < 0, 0.0, np.where(arr > np.pi / 2, 1.0, np.sin(arr) ** 2))
    elif measure == "ZCOR":
        out = np.tanh(arr)
    elif measure == "PFT":
        out = _ipft_hm(arr, ni)
    elif measure in MEASURES:
        out = arr.copy()
    else:
        raise InputError(
            f"Invalid measure '{measure}'; expected one of {', '.join(MEASURES)}",
            column="measure",
        )
    return float(out[0]) if scalar else out


def is_ratio(measure: str) -> bool:
    """True for measures analysed on the log scale and reported as ratios."""
    return measure in ("RR", "OR", "ROM")
