"""Single-key screening in the terminal, driven by a scripted key reader."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

from rich.console import Console

from evsynth.records.screening import ScreeningLog
from evsynth.records.screening.terminal import Highlight, render_record, screen_in_terminal

RECORDS = [
    {"id": f"r{i}", "title": f"Epidural adhesiolysis trial {i}", "abstract": "Lumbar pain."}
    for i in range(5)
]


def _keys(sequence: str) -> Callable[[], str]:
    it: Iterator[str] = iter(sequence)
    return lambda: next(it)


def _console() -> Console:
    return Console(file=io.StringIO(), width=100, color_system=None)


def test_keys_decide_skip_undo_and_quit() -> None:
    log = ScreeningLog(exclusion_reasons=("wrong design", "wrong population"))
    # r0 include, r1 exclude without reason (Enter), r2 maybe, undo (r2 back), r2 exclude with
    # reason 2, r3 skipped, r4 include, then the queue is empty.
    summary = screen_in_terminal(
        RECORDS,
        log,
        stage="title_abstract",
        reviewer="ann",
        keys=_keys("ie\rmue2ni"),
        console=_console(),
        prioritise=False,
    )
    assert (summary.decided, summary.skipped, summary.undone, summary.remaining) == (4, 1, 1, 1)
    standing = {
        rid: d.decision
        for rid in log.record_ids()
        for d in [log.current(rid, "title_abstract").get("ann")]
        if d
    }
    assert standing == {"r0": "include", "r1": "exclude", "r2": "exclude", "r4": "include"}
    assert log.current("r2", "title_abstract")["ann"].reason == "wrong population"
    # The undo is in the log, not a deletion: r2 has maybe, its withdrawal, then exclude.
    assert [d.decision for d in log.history("r2")] == ["maybe", "", "exclude"]


def test_quit_keeps_decisions_made_so_far() -> None:
    log = ScreeningLog()
    summary = screen_in_terminal(
        RECORDS,
        log,
        stage="title_abstract",
        reviewer="bob",
        keys=_keys("iq"),
        console=_console(),
        prioritise=False,
    )
    assert (summary.decided, summary.remaining) == (1, 4)


def test_full_text_exclusion_asks_for_a_reason() -> None:
    log = ScreeningLog(exclusion_reasons=("wrong design",))
    for reviewer in ("ann", "bob"):
        log.decide("r0", "title_abstract", reviewer, "include")
    out = _console()
    # Enter is not accepted at full text; then reason 1.
    screen_in_terminal(
        RECORDS[:1],
        log,
        stage="full_text",
        reviewer="ann",
        keys=_keys("e\r1"),
        console=out,
        prioritise=False,
    )
    assert log.current("r0", "full_text")["ann"].reason == "wrong design"
    assert "Press a reason's number." in out.file.getvalue()  # type: ignore[attr-defined]


def test_keywords_are_highlighted_and_blinding_holds() -> None:
    text = render_record(
        {"title": "Percutaneous adhesiolysis", "abstract": "A randomized trial in rats."},
        Highlight.from_setting({"include": ["randomized", "adhesiolysis"], "exclude": ["rats"]}),
    )
    styled = {text.plain[s.start : s.end].lower(): str(s.style) for s in text.spans}
    assert styled["randomized"] == "bold green"
    assert styled["adhesiolysis"] == "bold green"
    assert styled["rats"] == "bold red"
    log = ScreeningLog()
    log.decide("r0", "title_abstract", "zoe", "exclude")
    out = _console()
    screen_in_terminal(
        RECORDS[:1],
        log,
        stage="title_abstract",
        reviewer="bob",
        keys=_keys("q"),
        console=out,
        prioritise=False,
    )
    shown = out.file.getvalue()  # type: ignore[attr-defined]
    assert "Epidural adhesiolysis trial 0" in shown
    assert "zoe" not in shown
    assert shown.count("exclude") == 1  # only in the key help line
    assert "[i] include" in shown


def test_priority_order_follows_the_decisions() -> None:
    topic_a = "epidural adhesiolysis for lumbar disc herniation"
    topic_b = "school meals and childhood obesity"
    records = [
        {"id": f"r{i}", "title": f"{topic} cohort {i}", "abstract": f"{topic} outcomes."}
        for i, topic in enumerate([topic_a, topic_b, topic_b, topic_b, topic_a, topic_b])
    ]
    log = ScreeningLog()
    # No decisions yet: own order (r0, r1). After include r0 / exclude r1 the ranking is
    # retrained (rerank_every=2) and the other adhesiolysis record, r4, comes next.
    screen_in_terminal(
        records,
        log,
        stage="title_abstract",
        reviewer="ann",
        keys=_keys("ieiq"),
        console=_console(),
        rerank_every=2,
    )
    assert log.current("r4", "title_abstract")["ann"].decision == "include"
    assert "r2" not in log.record_ids()


def test_record_shows_authors_journal_and_year_as_the_web_page_does() -> None:
    text = render_record(
        {
            "title": "Percutaneous adhesiolysis",
            "abstract": "A trial.",
            "authors": ["Gerdesmeyer, L.", "Wagenpfeil, S."],
            "year": 2013,
            "journal": "Pain Physician",
            "keywords": ["adhesiolysis", "low back pain"],
        }
    )
    lines = text.plain.splitlines()
    assert lines[0] == "Percutaneous adhesiolysis"
    assert lines[1] == "Gerdesmeyer, L.; Wagenpfeil, S. · Pain Physician · 2013"
    assert "Keywords: adhesiolysis; low back pain" in text.plain
    # Nothing to show: no empty separators.
    bare = render_record({"title": "T", "abstract": "A"})
    assert bare.plain == "T\n\nA"


def test_full_text_screening_names_the_attached_report() -> None:
    text = render_record({"title": "T", "abstract": "A", "fulltext": "p/fulltext/pm-1.pdf"})
    assert text.plain.endswith("Full text: p/fulltext/pm-1.pdf")


def test_an_abstract_borrowed_from_a_duplicate_says_so() -> None:
    text = render_record(
        {"title": "T", "abstract": "From PubMed.", "extra": {"abstract_from": "pubmed-00001"}}
    )
    assert "From PubMed.\n(abstract from pubmed-00001, a duplicate of this record)" in text.plain
