"""The result of a pooling model: an immutable record with text, table, JSON and plots.

Every number is computed once when the model is fitted (in :mod:`evsynth.stats.models`); this
module only holds and presents them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from evsynth.stats import _dist
from evsynth.stats._linalg import FloatArray

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from evsynth.stats._tau2_optimum import Tau2Check

METHOD_NAMES = {
    "FE": "fixed-effect (inverse-variance)",
    "EE": "equal-effects (inverse-variance)",
    "CE": "common-effect (inverse-variance)",
    "MH": "fixed-effect Mantel-Haenszel",
    "PETO": "fixed-effect Peto",
    "DL": "DerSimonian-Laird",
    "HE": "Hedges",
    "HS": "Hunter-Schmidt",
    "SJ": "Sidik-Jonkman",
    "ML": "maximum-likelihood",
    "REML": "restricted maximum-likelihood",
    "EB": "empirical Bayes",
    "PM": "Paule-Mandel",
}
FIXED = ("FE", "EE", "CE", "MH", "PETO")

# the fields of `evsynth meta`'s JSON (../shared/DESIGN.md), in order
JSON_FIELDS = [
    "k",
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "statistic",
    "p_value",
    "tau2",
    "tau",
    "I2",
    "H2",
    "Q",
    "Q_df",
    "Q_p",
    "pi_lower",
    "pi_upper",
    "measure",
    "method",
    "test",
    "level",
]

# Measures reported on another scale than they are analysed on (metafor's usual transf).
_TRANSFORMED = {"RR", "OR", "ROM", "PLN", "PLO", "PAS", "ZCOR", "PFT"}
# Pooled-only measures that escalc does not know: Peto's and incidence rate ratios are logs.
_EXP_ONLY = {"PETO", "IRR"}


def back_transform(measure: str, x: float, ni: FloatArray | None = None) -> float | None:
    """The reporting-scale value of ``x``, or None when ``measure`` is reported as analysed.

    Delegates to :func:`evsynth.stats.escalc.back_transform`; PFT needs the sample sizes ``ni``
    (metafor's inverse at their harmonic mean) and gives None without them.
    """
    m = measure.upper()
    if m in _EXP_ONLY:
        return math.exp(x) if x < 709.0 else math.inf  # exp overflows beyond ~709.78
    if m not in _TRANSFORMED or (m == "PFT" and ni is None):
        return None
    if math.isnan(x):
        return math.nan
    from evsynth.stats.escalc import back_transform as escalc_back_transform

    with np.errstate(over="ignore"):  # a huge log ratio is reported as infinite (null in JSON)
        return float(escalc_back_transform(m, x, ni))


def _clean(x: Any) -> Any:
    """JSON-safe value: NaN and infinities become None, numpy scalars become Python ones."""
    if isinstance(x, (float, np.floating)):
        v = float(x)
        return v if math.isfinite(v) else None
    if isinstance(x, np.integer):
        return int(x)
    return x


@dataclass(frozen=True)
class Interval:
    """A point estimate with its confidence interval (e.g. tau^2 with its Q-profile CI)."""

    estimate: float
    ci_lower: float
    ci_upper: float


@dataclass(frozen=True)
class NamedTest:
    """A further test reported with a model (e.g. Cochran-Mantel-Haenszel, Tarone)."""

    name: str
    statistic: float
    df: int
    p_value: float


@dataclass(frozen=True)
class FitStatistics:
    """Log-likelihood, deviance and information criteria (metafor's ``fit.stats`` column)."""

    loglik: float
    deviance: float
    AIC: float
    BIC: float
    AICc: float


# eq=False: results hold arrays, so field-wise == would be ambiguous and hashing fail;
# two results are the same object or different ones.
@dataclass(frozen=True, eq=False)
class RMAResult:
    """A fitted meta-analytic model (metafor's ``rma.uni``, ``rma.mh`` or ``rma.peto``).

    The scalar fields describe the pooled effect (for meta-regression: the first coefficient);
    ``coefficients`` and its companions hold the whole coefficient table.

    Attributes
    ----------
    k : int
        Number of studies.
    estimate, se, ci_lower, ci_upper : float
        Pooled effect on the analysis scale (log scale for ratio measures), its standard error
        and confidence interval.
    statistic, p_value : float
        z (or t under Knapp-Hartung) statistic for the pooled effect and its two-sided p-value.
    tau2, tau : float
        Between-study variance and its square root (0 for fixed-effect models).
    I2, H2 : float
        I^2 (percent) and H^2 as metafor defines them.
    Q, Q_df, Q_p : float, int, float
        Cochran's Q (QE with moderators), its degrees of freedom and p-value.
    pi_lower, pi_upper : float
        Prediction interval for the effect in a new study (equal to the CI for fixed effect).
    measure, method, test : str
        Effect measure code, estimator (FE, DL, REML, ..., MH, PETO) and test (z or knha).
    level : float
        Confidence level in percent.
    yi, vi, weights : ndarray
        Per-study outcomes, sampling variances and weights in percent.
    slab : tuple of str
        Study labels.
    warnings : tuple of str
        Methodological guardrails in plain sentences.
    """

    k: int
    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    statistic: float
    p_value: float
    tau2: float
    tau: float
    I2: float
    H2: float
    Q: float
    Q_df: int
    Q_p: float
    pi_lower: float
    pi_upper: float
    measure: str
    method: str
    test: str
    level: float
    yi: FloatArray
    vi: FloatArray
    weights: FloatArray
    slab: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    ni: FloatArray | None = None  # sample sizes, for back-transforming PFT
    # the coefficient table (length p); for intercept-only models p = 1
    coef_names: tuple[str, ...] = ("intrcpt",)
    coefficients: FloatArray = field(default_factory=lambda: np.zeros(0))
    coef_se: FloatArray = field(default_factory=lambda: np.zeros(0))
    coef_statistic: FloatArray = field(default_factory=lambda: np.zeros(0))
    coef_p: FloatArray = field(default_factory=lambda: np.zeros(0))
    coef_ci_lower: FloatArray = field(default_factory=lambda: np.zeros(0))
    coef_ci_upper: FloatArray = field(default_factory=lambda: np.zeros(0))
    vcov: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    X: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    # omnibus test of moderators (chi2 with QM_df, or F with (QM_df, df) under knha)
    QM: float = math.nan
    QM_df: int = 0
    QM_p: float = math.nan
    R2: float = math.nan
    df: float = math.nan  # t / F denominator degrees of freedom under Knapp-Hartung
    s2w: float = 1.0  # Knapp-Hartung scale factor
    tau2_se: float = math.nan
    vt: float = math.nan  # the typical within-study variance behind I2 and H2
    tau2_ci: Interval | None = None
    tau_ci: Interval | None = None
    I2_ci: Interval | None = None
    H2_ci: Interval | None = None
    converged: bool = True
    iterations: int = 0
    fit_notes: tuple[str, ...] = ()
    # metafor's fit.stats under the ML and the REML likelihood (None for MH and Peto fits)
    fit_ml: FitStatistics | None = None
    fit_reml: FitStatistics | None = None
    parms: int = 1  # number of estimated parameters: coefficients plus tau^2 if estimated
    extra_tests: tuple[NamedTest, ...] = ()
    # the 2x2 tables (ai, bi, ci, di) behind a Mantel-Haenszel or Peto fit, for refits
    tables: tuple[FloatArray, FloatArray, FloatArray, FloatArray] | None = None
    # the check of an ML/REML/EB/PM tau^2 against its defining equation (None when not run)
    tau2_check: Tau2Check | None = None
    # True when tau^2 is the exact optimum instead of metafor's (rma's control strict_optimum)
    strict_optimum: bool = False

    # ------------------------------------------------------------------ derived views
    @property
    def p(self) -> int:
        """Number of model coefficients."""
        return len(self.coef_names)

    @property
    def fit_statistics(self) -> FitStatistics | None:
        """The fit statistics of the likelihood the model was fitted with (REML or ML)."""
        return self.fit_reml if self.method == "REML" else self.fit_ml

    @property
    def is_fixed(self) -> bool:
        """True for fixed-effect (FE/EE/CE, MH, Peto) models."""
        return self.method in FIXED

    def back_transformed(self) -> dict[str, float] | None:
        """Estimate, CI and PI on the reporting scale, or None when there is no transform."""
        if back_transform(self.measure, 0.0, self.ni) is None:
            return None
        out: dict[str, float] = {}
        for name in ("estimate", "ci_lower", "ci_upper", "pi_lower", "pi_upper"):
            value = back_transform(self.measure, float(getattr(self, name)), self.ni)
            out[name] = math.nan if value is None else value
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``evsynth meta`` (NaN written as null)."""
        out: dict[str, Any] = {}
        for name in JSON_FIELDS:
            out[name] = _clean(getattr(self, name))
        bt = self.back_transformed()
        if bt is not None:
            out["back_transformed"] = {key: _clean(v) for key, v in bt.items()}
        for name in ("tau2_ci", "tau_ci", "I2_ci", "H2_ci"):
            iv = getattr(self, name)
            if iv is not None:
                out[name] = [_clean(iv.ci_lower), _clean(iv.ci_upper)]
        if self.p > 1:
            out["coefficients"] = [
                {
                    "name": self.coef_names[j],
                    "estimate": _clean(self.coefficients[j]),
                    "se": _clean(self.coef_se[j]),
                    "statistic": _clean(self.coef_statistic[j]),
                    "p_value": _clean(self.coef_p[j]),
                    "ci_lower": _clean(self.coef_ci_lower[j]),
                    "ci_upper": _clean(self.coef_ci_upper[j]),
                }
                for j in range(self.p)
            ]
            out["QM"] = _clean(self.QM)
            out["QM_df"] = self.QM_df
            out["QM_p"] = _clean(self.QM_p)
            out["R2"] = _clean(self.R2)
        if self.extra_tests:
            out["tests"] = [
                {
                    "name": t.name,
                    "statistic": _clean(t.statistic),
                    "df": t.df,
                    "p_value": _clean(t.p_value),
                }
                for t in self.extra_tests
            ]
        out["converged"] = self.converged
        out["warnings"] = list(self.warnings)
        out["studies"] = [
            {
                "study": self.slab[i],
                "yi": _clean(self.yi[i]),
                "vi": _clean(self.vi[i]),
                "weight": _clean(self.weights[i]),
            }
            for i in range(self.k)
        ]
        return out

    def to_frame(self) -> pd.DataFrame:
        """The per-study table: label, yi, vi, sei, CI and weight (percent)."""

        crit = float(_dist.norm_ppf(1 - (1 - self.level / 100) / 2))
        sei = np.sqrt(self.vi)
        import pandas as pd

        return pd.DataFrame(
            {
                "study": list(self.slab),
                "yi": self.yi,
                "vi": self.vi,
                "sei": sei,
                "ci_lower": self.yi - crit * sei,
                "ci_upper": self.yi + crit * sei,
                "weight": self.weights,
            }
        )

    def coef_frame(self) -> pd.DataFrame:
        """The coefficient table (metafor's ``coef(summary(res))``)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "estimate": self.coefficients,
                "se": self.coef_se,
                "statistic": self.coef_statistic,
                "p_value": self.coef_p,
                "ci_lower": self.coef_ci_lower,
                "ci_upper": self.coef_ci_upper,
            },
            index=list(self.coef_names),
        )

    def methods_sentence(self) -> str:
        """One sentence for a methods section describing this analysis."""
        name = METHOD_NAMES.get(self.method, self.method)
        if self.p > 1:
            moderators = ", ".join(
                self.coef_names[1:] if self.coef_names[0] == "intrcpt" else self.coef_names
            )
            if self.is_fixed:
                model = f"a {name} meta-regression on {moderators}"
            else:
                model = (
                    f"a mixed-effects meta-regression on {moderators} with the {name} "
                    "estimator of residual tau^2"
                )
        elif self.is_fixed:
            model = f"a {name} model"
        else:
            model = f"a random-effects model with the {name} estimator of tau^2"
        test = (
            f"Knapp-Hartung adjusted t-tests with {self.df:g} degrees of freedom"
            if self.test == "knha"
            else "Wald-type z-tests"
        )
        return (
            f"The {self.k} studies were pooled on the {self.measure} scale with {model}, "
            f"{test} and {self.level:g}% confidence intervals."
        )

    def summary(self) -> str:
        """A text report in the spirit of metafor's print method, plus a methods sentence."""
        lines: list[str] = []
        mods = self.p > 1
        if self.is_fixed:
            kind = "Fixed-Effects with Moderators" if mods else "Fixed-Effects"
        else:
            kind = "Mixed-Effects" if mods else "Random-Effects"
        lines.append(f"{kind} Model (k = {self.k}; method: {self.method}; measure: {self.measure})")
        lines.append("")
        # metafor's wording: "total" without moderators, "residual" with them
        amount, share, var = (
            ("residual", "residual heterogeneity / unaccounted variability", "unaccounted")
            if mods
            else ("total", "total heterogeneity / total variability", "total")
        )
        if not self.is_fixed:
            se = "" if math.isnan(self.tau2_se) else f" (SE = {self.tau2_se:.4f})"
            lines.append(f"tau^2 (estimated amount of {amount} heterogeneity): {self.tau2:.4f}{se}")
            lines.append(f"tau (square root of estimated tau^2 value): {self.tau:.4f}")
        lines.append(f"I^2 ({share}): {self.I2:.2f}%")
        lines.append(f"H^2 ({var} variability / sampling variability): {self.H2:.2f}")
        if self.tau2_ci is not None and self.I2_ci is not None:
            lines.append(
                f"Q-profile {self.level:g}% CI: tau^2 [{self.tau2_ci.ci_lower:.4f}, "
                f"{self.tau2_ci.ci_upper:.4f}], I^2 [{self.I2_ci.ci_lower:.2f}%, "
                f"{self.I2_ci.ci_upper:.2f}%]"
            )
        lines.append("")
        label, q = ("Residual Heterogeneity", "QE") if mods else ("Heterogeneity", "Q")
        lines.append(
            f"Test for {label}: {q}(df = {self.Q_df}) = {self.Q:.4f}, p-val = {_fmt_p(self.Q_p)}"
        )
        for t in self.extra_tests:
            lines.append(f"{t.name}: {t.statistic:.4f} (df = {t.df}), p-val = {_fmt_p(t.p_value)}")
        if self.p > 1:
            if self.test == "knha":
                lines.append(
                    f"Test of Moderators: F(df1 = {self.QM_df}, df2 = {self.df:g}) = "
                    f"{self.QM:.4f}, p-val = {_fmt_p(self.QM_p)}"
                )
            else:
                lines.append(
                    f"Test of Moderators: QM(df = {self.QM_df}) = {self.QM:.4f}, "
                    f"p-val = {_fmt_p(self.QM_p)}"
                )
            if not math.isnan(self.R2):
                lines.append(f"R^2 (amount of heterogeneity accounted for): {self.R2:.2f}%")
        lines.append("")
        stat = "tval" if self.test == "knha" else "zval"
        lines.append("Model Results:")
        lines.append("")
        header = (
            f"{'':>12} {'estimate':>9} {'se':>8} {stat:>8} {'pval':>8} {'ci.lb':>8} {'ci.ub':>8}"
        )
        lines.append(header)
        for j in range(self.p):
            lines.append(
                f"{self.coef_names[j]:>12} {self.coefficients[j]:9.4f} {self.coef_se[j]:8.4f} "
                f"{self.coef_statistic[j]:8.4f} {_fmt_p(self.coef_p[j]):>8} "
                f"{self.coef_ci_lower[j]:8.4f} {self.coef_ci_upper[j]:8.4f}"
            )
        if self.p == 1:
            lines.append("")
            lines.append(
                f"Prediction interval ({self.level:g}%): [{self.pi_lower:.4f}, {self.pi_upper:.4f}]"
            )
            bt = self.back_transformed()
            if bt is not None:
                lines.append(
                    f"Back-transformed: {bt['estimate']:.4f} "
                    f"[{bt['ci_lower']:.4f}, {bt['ci_upper']:.4f}], "
                    f"prediction interval [{bt['pi_lower']:.4f}, {bt['pi_upper']:.4f}]"
                )
        lines.append("")
        lines.append(self.methods_sentence())
        for w in self.warnings:
            lines.append(f"Warning: {w}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    # ------------------------------------------------------------------ plots
    def plot_forest(self, ax: Axes | None = None, **kw: Any) -> Figure:
        """Forest plot (delegates to :func:`evsynth.report.figures.forest.forest_plot`)."""
        fig: Figure = _figure_function("forest", "forest_plot")(self, ax=ax, **kw)
        return fig

    def plot_funnel(self, ax: Axes | None = None, **kw: Any) -> Figure:
        """Funnel plot (delegates to :func:`evsynth.report.figures.funnel.funnel_plot`)."""
        fig: Figure = _figure_function("funnel", "funnel_plot")(self, ax=ax, **kw)
        return fig


def _figure_function(module: str, name: str) -> Any:
    """The plotting function of the report layer, imported only when a plot is asked for."""
    import importlib

    return getattr(importlib.import_module(f"evsynth.report.figures.{module}"), name)


def _fmt_p(p: float) -> str:
    if math.isnan(p):
        return "NA"
    return "<.0001" if p < 1e-4 else f"{p:.4f}"
