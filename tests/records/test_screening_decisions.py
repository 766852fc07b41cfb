"""The screening log: dual independent screening, blinding, conflicts, resolutions, reasons.

The rules tested here are the ones stated in evsynth.records.screening.decisions (Cochrane
Handbook ch. 4.6 conventions): two independent decisions settle a record only when they agree,
maybe never counts as yes or no, full-text exclusions need one shared reason, and the log is
append-only.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evsynth.errors import InputError
from evsynth.records.screening import ScreeningLog

REASONS = ("wrong population", "wrong design", "fewer than 50 participants")


def _clock() -> ScreeningLog:
    ticks = itertools.count(1)
    return ScreeningLog(
        exclusion_reasons=REASONS, clock=lambda: f"2026-01-01T00:00:{next(ticks):02d}Z"
    )


def _project(tmp_path: Path) -> Path:
    (tmp_path / "review.yaml").write_text(
        "title: t\nscreening:\n  exclusion_reasons:\n" + "".join(f"    - {r}\n" for r in REASONS),
        encoding="utf-8",
    )
    return tmp_path


def test_two_includes_move_a_record_to_full_text() -> None:
    log = _clock()
    log.decide("r1", "title_abstract", "ann", "include")
    assert log.outcome("r1", "title_abstract").outcome == "pending"
    log.decide("r1", "title_abstract", "bob", "include")
    assert log.outcome("r1", "title_abstract").outcome == "include"
    assert log.eligible_for_full_text() == ("r1",)


def test_full_text_decision_needs_title_abstract_inclusion() -> None:
    log = _clock()
    log.decide("r1", "title_abstract", "ann", "include")
    with pytest.raises(InputError, match="has not passed title/abstract"):
        log.decide("r1", "full_text", "ann", "include")


def test_blinding_hides_the_other_decision_until_both_decided() -> None:
    log = _clock()
    log.decide("r1", "title_abstract", "ann", "exclude")
    assert log.visible_decisions("r1", "title_abstract", "bob") == ()
    assert [d.reviewer for d in log.visible_decisions("r1", "title_abstract", "ann")] == ["ann"]
    # A lead may unblind explicitly.
    assert len(log.visible_decisions("r1", "title_abstract", "lead", unblind=True)) == 1
    log.decide("r1", "title_abstract", "bob", "include")
    assert {d.reviewer for d in log.visible_decisions("r1", "title_abstract", "bob")} == {
        "ann",
        "bob",
    }


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        ("include", "exclude", "disagreement"),
        ("include", "maybe", "uncertain"),
        ("exclude", "maybe", "uncertain"),
        ("maybe", "maybe", "uncertain"),
    ],
)
def test_conflicts_include_every_maybe(a: str, b: str, kind: str) -> None:
    log = _clock()
    log.decide("r1", "title_abstract", "ann", a)
    log.decide("r1", "title_abstract", "bob", b)
    (conflict,) = log.conflicts("title_abstract")
    assert (conflict.record_id, conflict.kind) == ("r1", kind)
    assert log.outcome("r1", "title_abstract").outcome == "conflict"


def test_resolution_by_a_third_person_settles_the_conflict() -> None:
    log = _clock()
    log.decide("r1", "title_abstract", "ann", "include")
    log.decide("r1", "title_abstract", "bob", "exclude")
    with pytest.raises(InputError, match="third person"):
        log.resolve("r1", "title_abstract", "ann", "include")
    log.resolve("r1", "title_abstract", "carol", "include")
    assert log.conflicts("title_abstract") == ()
    assert log.outcome("r1", "title_abstract").resolved
    assert log.eligible_for_full_text() == ("r1",)
    with pytest.raises(InputError, match="no conflict"):
        log.resolve("r2", "title_abstract", "carol", "include")


def test_full_text_exclusion_needs_a_shared_reason() -> None:
    log = _clock()
    for reviewer in ("ann", "bob"):
        log.decide("r1", "title_abstract", reviewer, "include")
    with pytest.raises(InputError, match="needs a reason"):
        log.decide("r1", "full_text", "ann", "exclude")
    with pytest.raises(InputError, match="unknown exclusion reason"):
        log.decide("r1", "full_text", "ann", "exclude", reason="too old")
    log.decide("r1", "full_text", "ann", "exclude", reason="wrong design")
    log.decide("r1", "full_text", "bob", "exclude", reason="wrong population")
    (conflict,) = log.conflicts("full_text")
    assert conflict.kind == "reason"
    log.resolve("r1", "full_text", "carol", "exclude", reason="wrong design")
    outcome = log.outcome("r1", "full_text")
    assert (outcome.outcome, outcome.reason) == ("exclude", "wrong design")


def test_reason_optional_at_title_abstract() -> None:
    log = _clock()
    log.decide("r1", "title_abstract", "ann", "exclude")
    log.decide("r1", "title_abstract", "bob", "exclude", reason="wrong design")
    assert log.outcome("r1", "title_abstract").outcome == "exclude"


def test_changed_decision_is_a_new_row_and_undo_restores(tmp_path: Path) -> None:
    project = _project(tmp_path)
    log = ScreeningLog.load(project, clock=lambda: "2026-01-01T00:00:00Z")
    log.decide("r1", "title_abstract", "ann", "exclude", note="animal study")
    log.decide("r1", "title_abstract", "ann", "include")
    assert [d.decision for d in log.history("r1")] == ["exclude", "include"]
    log.undo("r1", "title_abstract", "ann")
    assert log.current("r1", "title_abstract")["ann"].decision == "exclude"
    log.undo("r1", "title_abstract", "ann")
    assert log.current("r1", "title_abstract") == {}
    # Everything is on disk, in order, and reads back the same.
    lines = (project / "screening" / "decisions.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "record_id,stage,reviewer,decision,reason,note,decided_at"
    assert len(lines) == 5
    again = ScreeningLog.load(project)
    assert again.decisions == log.decisions
    assert again.current("r1", "title_abstract") == {}


def test_bad_rows_are_reported_with_file_row_and_column(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "screening").mkdir()
    (project / "screening" / "decisions.csv").write_text(
        "record_id,stage,reviewer,decision,reason,note,decided_at\n"
        "r1,title_abstract,ann,include,,,\n"
        "r1,title_abstract,bob,yes,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        ScreeningLog.load(project)
    assert err.value.row == 3
    assert err.value.column == "decision"
    assert str(err.value.file).endswith("decisions.csv")


def test_retrieval_and_resolution_files_round_trip(tmp_path: Path) -> None:
    project = _project(tmp_path)
    log = ScreeningLog.load(project)
    log.decide("r1", "title_abstract", "ann", "include")
    log.decide("r1", "title_abstract", "bob", "maybe")
    log.resolve("r1", "title_abstract", "carol", "include")
    log.record_retrieval("r1", sought=True, retrieved=False)
    again = ScreeningLog.load(project)
    assert again.resolution("r1", "title_abstract") == log.resolution("r1", "title_abstract")
    retrieval = again.retrieval("r1")
    assert retrieval is not None
    assert (retrieval.sought, retrieval.retrieved) == (True, False)


def test_history_stays_readable_after_a_reason_is_renamed(tmp_path: Path) -> None:
    project = _project(tmp_path)
    log = ScreeningLog.load(project)
    log.decide("r1", "title_abstract", "ann", "exclude", reason="wrong design")
    (project / "review.yaml").write_text(
        "title: t\nscreening:\n  exclusion_reasons: [not a trial]\n", encoding="utf-8"
    )
    again = ScreeningLog.load(project)
    assert again.current("r1", "title_abstract")["ann"].reason == "wrong design"
    with pytest.raises(InputError, match="unknown exclusion reason"):
        again.decide("r1", "title_abstract", "bob", "exclude", reason="wrong design")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    note=st.text(min_size=0, max_size=40),
    reviewer=st.text(min_size=1, max_size=12).filter(lambda s: s.strip() != ""),
)
def test_notes_and_names_round_trip_through_the_csv(
    tmp_path: Path, note: str, reviewer: str
) -> None:
    # Commas, quotes, newlines and non-ASCII text in a note or a name survive the file.
    project = tmp_path / "p"
    project.mkdir(exist_ok=True)
    (project / "screening" / "decisions.csv").unlink(missing_ok=True)
    log = ScreeningLog.load(project)
    entry = log.decide("r1", "title_abstract", reviewer, "maybe", note=note)
    again = ScreeningLog.load(project)
    assert again.decisions == [entry]
