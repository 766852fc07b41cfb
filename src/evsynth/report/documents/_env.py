"""The Jinja2 environment shared by the three documents, with the number formats they use.

One place formats numbers, so the report, the brief and the summary print the same value the
same way (and the same way as ``results.json`` rounds nothing: the JSON keeps full precision).
"""

from __future__ import annotations

import math
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


def fmt_num(value: Any, digits: int = 2) -> str:
    """A number with ``digits`` decimals; a dash for a missing or non-finite value."""
    if value is None:
        return "–"
    x = float(value)
    if not math.isfinite(x):
        return "–"
    text = f"{x:.{digits}f}"
    # A negative value that rounds to zero prints as 0.00, not -0.00.
    return text[1:] if text.startswith("-") and float(text) == 0 else text.replace("-", "−")


def fmt_p(value: Any) -> str:
    """A p-value as journals print it: three decimals, '< 0.001' below that."""
    if value is None:
        return "–"
    p = float(value)
    if not math.isfinite(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def fmt_pct(value: Any, digits: int = 1) -> str:
    """A percentage (the value is already in percent)."""
    return "–" if value is None else f"{fmt_num(value, digits)} %"


def fmt_ci(lower: Any, upper: Any, digits: int = 2) -> str:
    """A confidence or prediction interval as 'lower to upper' (no hyphen next to a minus sign)."""
    if lower is None or upper is None:
        return "–"
    return f"{fmt_num(lower, digits)} to {fmt_num(upper, digits)}"


def fmt_months(value: Any) -> str:
    """A time point: '6 months', '120 months (10 years)'."""
    m = float(value)
    text = f"{m:g} month{'' if m == 1 else 's'}"
    if m >= 24 and m % 12 == 0:
        text += f" ({m / 12:g} years)"
    return text


def environment() -> Environment:
    """The template environment (autoescaped HTML, undefined names are errors)."""
    env = Environment(
        loader=PackageLoader("evsynth.report", "templates"),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = fmt_num
    env.filters["p"] = fmt_p
    env.filters["pct"] = fmt_pct
    env.filters["months"] = fmt_months
    env.globals["ci"] = fmt_ci
    return env
