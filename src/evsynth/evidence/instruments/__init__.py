"""Appraisal instruments defined as data: one YAML file per instrument.

Two kinds of instrument are described by the same schema:

- ``scoring: sum``: items with answer options worth points (Cochrane Back Review Group criteria,
  IPM-QRB, Newcastle-Ottawa); the score is the sum of points, and ordered ``classes`` turn a score
  (or per-domain scores) into a quality class.
- ``scoring: judgement``: one judgement per domain (RoB 2, ROBINS-I) and an overall rule.

The shipped files live beside this module; a team adds its own by placing a file in the
project's ``instruments/`` folder (same schema; a file with the id of a shipped one replaces it,
which is how a team supplies the item points that the public record does not confirm).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from evsynth.errors import InputError
from evsynth.evidence.yamlsource import read_yaml, validate_yaml

BUILTIN_DIR = Path(__file__).resolve().parent
QualityClass = Literal["high", "moderate", "low"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AnswerOption(_Frozen):
    """An answer a rater may give, and the points it earns."""

    value: str
    points: float = 0.0


class Domain(_Frozen):
    """A group of items (or, for judgement instruments, one judged domain)."""

    id: str
    name: str
    max_points: float | None = None


class Item(_Frozen):
    """One item: its text, domain, and (when they differ from the instrument's) answer options."""

    id: str = Field(pattern=r"^[A-Za-z0-9_\-\.]+$")
    text: str
    domain: str | None = None
    guidance: str = ""
    answers: tuple[AnswerOption, ...] | None = None
    max_points: float | None = Field(default=None, gt=0)


class ScoreClass(_Frozen):
    """A quality class: reached when the total is at least ``min`` and every domain score is at
    least its ``domain_min``. Classes are tried in order; the first that matches applies."""

    label: str
    min: float | None = None
    domain_min: dict[str, float] = {}


class OverallRule(_Frozen):
    """How domain judgements combine into the overall judgement."""

    rule: Literal["worst", "rob2"] = "worst"
    some_concerns_for_high: int | None = Field(default=None, ge=2)


class Instrument(_Frozen):
    """An appraisal instrument (see the module docstring for the two scoring kinds)."""

    id: str = Field(pattern=r"^[a-z0-9_\-]+$")
    name: str
    version: str = ""
    applies_to: tuple[Literal["rct", "nonrandomized"], ...] = ("rct", "nonrandomized")
    reference: str = ""
    scoring: Literal["sum", "judgement"]
    confirmed: bool = True
    unconfirmed: str = ""
    accepts_total: bool = False
    answers: tuple[AnswerOption, ...] | Literal["numeric"] = ()
    domains: tuple[Domain, ...] = ()
    items: tuple[Item, ...] = ()
    max_score: float | None = None
    classes: tuple[ScoreClass, ...] = ()
    quality_of_class: dict[str, QualityClass] = {}
    judgements: tuple[str, ...] = ()
    overall: OverallRule = OverallRule()
    quality_of_judgement: dict[str, QualityClass] = {}

    @model_validator(mode="after")
    def _coherent(self) -> Instrument:
        domain_ids = {d.id for d in self.domains}
        item_ids = [i.id for i in self.items]
        if len(set(item_ids)) != len(item_ids):
            raise ValueError("item ids must be unique")
        if "total" in item_ids or "overall" in item_ids:
            raise ValueError("'total' and 'overall' are reserved item ids")
        for item in self.items:
            if item.domain is not None and item.domain not in domain_ids:
                raise ValueError(f"item {item.id!r} names unknown domain {item.domain!r}")
        for c in self.classes:
            for d in c.domain_min:
                if d not in domain_ids:
                    raise ValueError(f"class {c.label!r} names unknown domain {d!r}")
        if self.scoring == "judgement":
            if not self.judgements or not self.domains:
                raise ValueError("a judgement instrument needs judgements and domains")
            if self.overall.rule == "rob2" and self.judgements != ("low", "some_concerns", "high"):
                raise ValueError("the rob2 rule needs judgements [low, some_concerns, high]")
            unknown = set(self.quality_of_judgement) - set(self.judgements)
            if unknown:
                raise ValueError(f"quality_of_judgement names unknown judgements {sorted(unknown)}")
        else:
            if not self.classes:
                raise ValueError("a sum instrument needs classes (score thresholds)")
            if not self.items and not self.accepts_total:
                raise ValueError("an instrument without items must set accepts_total: true")
            if self.answers == () and any(i.answers is None for i in self.items):
                raise ValueError("give answers: (options with points) or answers: numeric")
            maxima = [i.max_points for i in self.items]
            if self.items and self.max_score is not None and all(m is not None for m in maxima):
                total = sum(m for m in maxima if m is not None)
                if total != self.max_score:
                    raise ValueError(
                        f"item max_points add up to {total:g}, not max_score {self.max_score:g}"
                    )
        return self

    def item(self, item_id: str) -> Item:
        for i in self.items:
            if i.id == item_id:
                return i
        raise KeyError(item_id)

    def options(self, item: Item) -> tuple[AnswerOption, ...] | None:
        """The answer options of ``item``; None when the answer is a number of points."""
        if item.answers is not None:
            return item.answers
        return None if self.answers == "numeric" else tuple(self.answers)

    def classify(self, total: float, domain_scores: dict[str, float] | None = None) -> str:
        """The quality class of a score (first class in order whose thresholds are met)."""
        for c in self.classes:
            if c.min is not None and total < c.min:
                continue
            if c.domain_min:
                if domain_scores is None:
                    continue
                if any(domain_scores.get(d, 0.0) < v for d, v in c.domain_min.items()):
                    continue
            return c.label
        raise InputError(f"score {total} matches no class of instrument {self.id}")

    def quality(self, label: str) -> QualityClass | None:
        """The high/moderate/low quality class used for grading, for a class or judgement."""
        mapping = (
            self.quality_of_judgement if self.scoring == "judgement" else self.quality_of_class
        )
        if label in mapping:
            return mapping[label]
        if label in ("high", "moderate", "low"):
            return label  # type: ignore[return-value]
        return None


def load_instrument_file(path: str | Path) -> Instrument:
    """Read and validate one instrument file (errors name the file, line and field)."""
    p = Path(path)
    data, node = read_yaml(p)
    instrument = validate_yaml(Instrument, data, node, p)
    if instrument.id != p.stem:
        raise InputError(f"instrument id {instrument.id!r} must match the file name", file=p, row=1)
    return instrument


def load_instruments(extra_dir: str | Path | None = None) -> dict[str, Instrument]:
    """The shipped instruments, plus (overriding by id) those in ``extra_dir``."""
    found: dict[str, Instrument] = {}
    dirs = [BUILTIN_DIR] + ([Path(extra_dir)] if extra_dir is not None else [])
    for d in dirs:
        for f in sorted(d.glob("*.yaml")):
            inst = load_instrument_file(f)
            found[inst.id] = inst
    return found


def builtin_instrument(instrument_id: str) -> Instrument:
    """One shipped instrument by id (``cochrane-back-2015``, ``ipm-qrb``, ``rob2`` ...)."""
    path = BUILTIN_DIR / f"{instrument_id}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml")))
        raise InputError(f"unknown instrument {instrument_id!r}; shipped instruments: {known}")
    return load_instrument_file(path)
