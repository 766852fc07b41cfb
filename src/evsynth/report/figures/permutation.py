"""The permutation distribution of a test statistic, as metafor's ``plot.permutest`` draws it.

A histogram of the statistic over all permutations, the density the model-based test assumes
(standard normal for z, t with k - p df under Knapp-Hartung; chi-squared or F for the omnibus
test of moderators) and the observed value as a dashed line (both signs for a two-sided z/t).

References
----------
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. Journal of
Statistical Software 36(3):1-48.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from evsynth.errors import InputError
from evsynth.report.figures import _style

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from evsynth.stats.resampling.permutation import PermutationResult


def permutation_plot(
    result: PermutationResult, *, coefficient: str | None = None, bins: int | None = None
) -> Figure:
    """Draw the permutation distribution.

    Parameters
    ----------
    result : PermutationResult
        From :func:`evsynth.stats.resampling.permutation.permutation_test`.
    coefficient : str, optional
        A coefficient name, or ``"QM"`` for the omnibus test. Default: the pooled effect
        without moderators, the omnibus test with them.
    bins : int, optional
        Histogram bins (default: about the square root of the permutations, 20 to 100).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure
    from scipy import stats

    name = coefficient or ("QM" if result.has_moderators else result.coef_names[0])
    df = result.k - len(result.coef_names)
    knha = result.test == "knha"
    if name == "QM":
        values = result.QM_perm
        observed = [result.QM]
        m = result.QM_df
        label = "F" if knha else "QM"

        def density(x: np.ndarray) -> np.ndarray:
            d: np.ndarray = stats.f.pdf(x, m, df) if knha else stats.chi2.pdf(x, m)
            return d

        p = result.QM_p
    else:
        if name not in result.coef_names:
            raise InputError(
                f"Unknown coefficient '{name}'; expected one of "
                f"{', '.join((*result.coef_names, 'QM'))}"
            )
        j = result.coef_names.index(name)
        values = result.statistic_perm[:, j]
        observed = [float(result.statistic[j]), -float(result.statistic[j])]
        label = "t" if knha else "z"

        def density(x: np.ndarray) -> np.ndarray:
            d: np.ndarray = stats.t.pdf(x, df) if knha else stats.norm.pdf(x)
            return d

        p = float(result.coef_p_values[j])
    vals = values[np.isfinite(values)]
    fig = Figure(figsize=(5.5, 4.0))
    ax = fig.add_subplot()
    nb = bins or int(np.clip(np.sqrt(vals.size), 20, 100))
    ax.hist(
        vals,
        bins=nb,
        density=True,
        color="#c6d3e6",
        edgecolor="#3b5b92",
        linewidth=0.5,
        label="permutation distribution",
    )
    lo, hi = min(vals.min(), *observed), max(vals.max(), *observed)
    if name == "QM":
        lo = max(lo, 1e-6)
    grid = np.linspace(lo, hi, 400)
    ax.plot(
        grid,
        density(grid),
        color=_style.INK,
        linewidth=1.0,
        label=f"theoretical ({label} distribution)",
    )
    for k_, obs in enumerate(observed):
        ax.axvline(
            obs,
            color=_style.PI_COLOUR,
            linestyle="--",
            linewidth=1.0,
            label="observed" if k_ == 0 else None,
        )
    kind = "exact" if result.exact else "random"
    ax.set_xlabel(f"{label} statistic ({name})" if name != "QM" else f"{label} statistic")
    ax.set_ylabel("Density")
    ax.set_title(
        f"Permutation test ({kind}, {result.permutations:,} permutations): {_style.format_p(p)}",
        fontsize=_style.FONT_SIZE,
    )
    ax.legend(fontsize=_style.SMALL_FONT_SIZE, frameon=False)
    return fig
