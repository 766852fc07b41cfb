"""Round trip of the project tables for arbitrary text and numbers: save, load, equal.

Cells are stripped on reading (spreadsheet exports pad them), so the generated text has no
leading or trailing whitespace; everything else (commas, quotes, newlines, non-ASCII) survives.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from evsynth.evidence.project import load_example, load_project, save_project
from evsynth.evidence.study import OutcomeValue, Study

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00")
    | st.sampled_from([",", '"', "\n", ";", "é", "≥"]),
    max_size=30,
).filter(lambda s: s == s.strip())
FLOATS = st.floats(allow_nan=False, allow_infinity=False, width=64, min_value=-1e12, max_value=1e12)


@settings(max_examples=25, deadline=None)
@given(notes=TEXT, intervention=TEXT, yi=FLOATS, sei=st.floats(min_value=1e-9, max_value=1e6))
def test_tables_round_trip(notes: str, intervention: str, yi: float, sei: float) -> None:
    seed = load_example()
    s0 = seed.studies[0]
    studies = (Study(**{**s0.model_dump(), "notes": notes, "intervention": intervention}),
               *seed.studies[1:])  # fmt: skip
    v0 = seed.outcomes[0]
    outcomes = (OutcomeValue(**{**v0.model_dump(), "yi": yi, "sei": sei, "note": notes}),
                *seed.outcomes[1:])  # fmt: skip
    project = replace(seed, studies=studies, outcomes=outcomes)
    with tempfile.TemporaryDirectory() as tmp:
        save_project(project, Path(tmp))
        again = load_project(Path(tmp))
    assert again.studies == project.studies
    assert again.outcomes == project.outcomes
