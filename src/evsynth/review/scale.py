"""Analysis scale to reporting scale (log risk ratio to risk ratio, and so on)."""

from __future__ import annotations

from collections.abc import Sequence

# metafor's ratio measures are analysed on the log scale and reported exponentiated.
RATIO_MEASURES = frozenset({"RR", "OR", "HR", "IRR", "ROM", "CVR", "VR", "PETO"})


def reporting_scale(measure: str, values: Sequence[float | None]) -> tuple[float | None, ...]:
    """Map analysis-scale values to the scale a reader sees, as metafor's ``transf`` would.

    Uses :func:`evsynth.stats.escalc.back_transform`; ``None`` stays ``None``.
    """
    from evsynth.stats.escalc import MEASURES, back_transform

    # Peto's method pools log odds ratios; some results carry "PETO" as their measure.
    measure = "OR" if measure.upper() == "PETO" else measure
    if measure not in MEASURES or measure == "PFT":  # PFT needs the n of each study
        return tuple(None if v is None else float(v) for v in values)
    return tuple(None if v is None else float(back_transform(measure, float(v))) for v in values)
