"""Agreement between independent screeners: Cohen's kappa and percent agreement per stage.

Each record screened by two or more reviewers gives one pair of ratings: the first two standing
decisions in the order they were recorded ("first screener" against "second screener"), so that
every record counts once whoever screened it. The same statistics are also given for each pair
of reviewers over the records both screened. Categories are the decisions as recorded
(include, exclude, maybe); ``maybe`` is not merged into either side.

References
----------
.. [1] Cohen J. A coefficient of agreement for nominal scales. Educational and Psychological
   Measurement 1960;20(1):37-46.
.. [2] Landis JR, Koch GG. The measurement of observer agreement for categorical data.
   Biometrics 1977;33(1):159-174 (the verbal labels).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from scipy import stats

from evsynth.errors import InputError
from evsynth.records.screening.decisions import DECISIONS, STAGES, ScreeningLog


@dataclass(frozen=True)
class Agreement:
    """Cohen's kappa between two sets of ratings of the same records.

    ``kappa`` is NaN when chance agreement is 1 (both raters used one category only), where the
    coefficient is undefined. ``ci_lower``/``ci_upper`` use Cohen's (1960) large-sample standard
    error ``sqrt(po (1 - po) / (n (1 - pe)^2))``.
    """

    n: int
    observed: float
    expected: float
    kappa: float
    se: float
    ci_lower: float
    ci_upper: float
    level: float
    table: tuple[tuple[int, ...], ...]
    categories: tuple[str, ...]

    @property
    def percent_agreement(self) -> float:
        return 100.0 * self.observed

    @property
    def label(self) -> str:
        """Landis and Koch's (1977) wording for the strength of agreement."""
        k = self.kappa
        if math.isnan(k):
            return "undefined"
        if k < 0:
            return "poor"
        for bound, word in (
            (0.2, "slight"),
            (0.4, "fair"),
            (0.6, "moderate"),
            (0.8, "substantial"),
        ):
            if k <= bound:
                return word
        return "almost perfect"

    def to_dict(self) -> dict[str, object]:
        def num(x: float) -> float | None:
            return None if math.isnan(x) else x

        return {
            "n": self.n,
            "kappa": num(self.kappa),
            "se": num(self.se),
            "ci_lower": num(self.ci_lower),
            "ci_upper": num(self.ci_upper),
            "level": self.level,
            "percent_agreement": num(self.percent_agreement),
            "expected_agreement": num(self.expected),
            "label": self.label,
            "categories": list(self.categories),
            "table": [list(r) for r in self.table],
        }


def cohen_kappa(
    first: Sequence[str],
    second: Sequence[str],
    *,
    categories: Sequence[str] = DECISIONS,
    level: float = 95.0,
) -> Agreement:
    """Cohen's kappa for two raters who rated the same items.

    Parameters
    ----------
    first, second
        The two raters' ratings, item by item.
    categories
        The possible ratings (rows and columns of the agreement table).
    level
        Confidence level of the interval, in percent.
    """
    if len(first) != len(second):
        raise InputError(f"the raters rated {len(first)} and {len(second)} items; expected equal")
    index = {c: i for i, c in enumerate(categories)}
    for rating in (*first, *second):
        if rating not in index:
            raise InputError(f"unknown rating {rating!r}; expected one of {', '.join(categories)}")
    m = len(categories)
    table = [[0] * m for _ in range(m)]
    for a, b in zip(first, second, strict=True):
        table[index[a]][index[b]] += 1
    n = len(first)
    nan = float("nan")
    frozen = tuple(tuple(r) for r in table)
    if n == 0:
        return Agreement(0, nan, nan, nan, nan, nan, nan, level, frozen, tuple(categories))
    po = sum(table[i][i] for i in range(m)) / n
    rows = [sum(table[i]) / n for i in range(m)]
    cols = [sum(table[i][j] for i in range(m)) / n for j in range(m)]
    pe = sum(r * c for r, c in zip(rows, cols, strict=True))
    if pe >= 1.0:
        return Agreement(n, po, pe, nan, nan, nan, nan, level, frozen, tuple(categories))
    kappa = (po - pe) / (1.0 - pe)
    se = math.sqrt(po * (1.0 - po) / (n * (1.0 - pe) ** 2))
    z = float(stats.norm.ppf(0.5 + level / 200.0))
    return Agreement(
        n, po, pe, kappa, se, kappa - z * se, kappa + z * se, level, frozen, tuple(categories)
    )


@dataclass(frozen=True)
class StageAgreement:
    """Agreement at one screening stage: overall (first vs second screener) and per pair."""

    stage: str
    overall: Agreement
    pairs: tuple[tuple[str, str, Agreement], ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "stage": self.stage,
            **self.overall.to_dict(),
            "pairs": [
                {"reviewers": [a, b], **agreement.to_dict()} for a, b, agreement in self.pairs
            ],
        }

    def summary(self) -> str:
        o = self.overall
        lines = [
            f"Agreement at {self.stage}: {o.n} records screened twice",
            f"  Cohen's kappa {o.kappa:.3f} ({o.level:g}% CI {o.ci_lower:.3f} to "
            f"{o.ci_upper:.3f}), {o.label}; agreement {o.percent_agreement:.1f}%",
        ]
        for a, b, agreement in self.pairs:
            lines.append(
                f"  {a} / {b}: n={agreement.n}, kappa {agreement.kappa:.3f}, "
                f"agreement {agreement.percent_agreement:.1f}%"
            )
        return "\n".join(lines)


def kappa(log: ScreeningLog, stage: str, *, level: float = 95.0) -> StageAgreement:
    """Cohen's kappa and percent agreement between screeners at one stage of a project."""
    if stage not in STAGES:
        raise InputError(f"invalid stage {stage!r}; expected one of {', '.join(STAGES)}")
    first: list[str] = []
    second: list[str] = []
    by_pair: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for record_id in log.record_ids(stage):
        standing = list(log.current(record_id, stage).values())
        # current() keeps each reviewer's latest row; order by when each reviewer first decided.
        order = {d.reviewer: i for i, d in reversed(list(enumerate(log.history(record_id, stage))))}
        standing.sort(key=lambda d: order[d.reviewer])
        if len(standing) < 2:
            continue
        first.append(standing[0].decision)
        second.append(standing[1].decision)
        for a, b in combinations(sorted(standing, key=lambda d: d.reviewer), 2):
            ratings = by_pair.setdefault((a.reviewer, b.reviewer), ([], []))
            ratings[0].append(a.decision)
            ratings[1].append(b.decision)
    pairs = tuple(
        (a, b, cohen_kappa(x, y, level=level)) for (a, b), (x, y) in sorted(by_pair.items())
    )
    return StageAgreement(stage, cohen_kappa(first, second, level=level), pairs)
