"""Dual independent screening, agreement, priority ranking and its simulation.

The public API, for the command line and the web application alike:

- :class:`~evsynth.records.screening.decisions.ScreeningLog`: the append-only decision log of a
  review project (``screening/decisions.csv``, ``resolutions.csv``, ``fulltext.csv``), with
  blinding, conflicts and resolutions.
- :func:`~evsynth.records.screening.agreement.kappa`: Cohen's kappa per stage.
- :func:`~evsynth.records.screening.priority.rank`: records ordered by predicted relevance.
- :func:`~evsynth.records.screening.simulate.simulate`: priority screening replayed on labelled
  records (WSS@95, RRF@10, recall curve).
"""

from __future__ import annotations

from evsynth.records.screening.decisions import (
    DECISIONS,
    STAGES,
    Conflict,
    Resolution,
    Retrieval,
    ScreeningDecision,
    ScreeningLog,
    StageOutcome,
)

__all__ = [
    "DECISIONS",
    "STAGES",
    "Conflict",
    "Resolution",
    "Retrieval",
    "ScreeningDecision",
    "ScreeningLog",
    "StageOutcome",
]
