"""The user docs cover what exists: every shipped instrument and every protocol field."""

from __future__ import annotations

from evsynth.evidence.instruments import load_instruments
from evsynth.evidence.protocol import OutcomeDefinition, Protocol
from evsynth.evidence.study import APPRAISAL_COLUMNS, OUTCOME_COLUMNS, STUDY_COLUMNS
from helpers import ROOT


def test_every_instrument_is_documented() -> None:
    text = (ROOT / "docs" / "appraisal-and-grading.md").read_text()
    for inst_id in load_instruments():
        assert f"`{inst_id}`" in text, inst_id


def test_every_protocol_field_and_column_is_documented() -> None:
    text = (ROOT / "docs" / "project-format.md").read_text()
    for name in [*Protocol.model_fields, *OutcomeDefinition.model_fields]:
        assert name in text, name
    for column in [*STUDY_COLUMNS, *OUTCOME_COLUMNS, *APPRAISAL_COLUMNS]:
        assert column in text, column
