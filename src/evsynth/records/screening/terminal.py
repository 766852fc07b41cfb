"""Screening in the terminal with single keys.

Keys: ``i`` include, ``e`` exclude (then a digit picks the exclusion reason; required at full
text, optional at title/abstract), ``m`` maybe, ``n`` next (skip for now), ``u`` undo the last
decision of this session, ``q`` quit. Each record shows its title, authors, journal, year,
abstract and keywords, with the protocol's keywords highlighted (``screening.highlight`` in
``review.yaml``: a list, or ``include:``/``exclude:`` lists shown in green/red) and the progress
of the stage.

Screening is blind: other reviewers' decisions are never shown here. Every key press that
decides is written to ``screening/decisions.csv`` at once, so quitting (or a crash) loses
nothing. The key reader is a parameter, so the session can be driven by a test.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from evsynth.errors import InputError
from evsynth.records.screening.decisions import ScreeningLog
from evsynth.records.screening.priority import feature_matrix, rank, record_text

HELP = "[i] include  [e] exclude  [m] maybe  [n] next  [u] undo  [q] quit"
KEYS = {"i": "include", "e": "exclude", "m": "maybe"}


@dataclass(frozen=True)
class Highlight:
    """Keywords to highlight: ``neutral`` in yellow, ``include`` green, ``exclude`` red."""

    neutral: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @classmethod
    def from_setting(cls, value: Any) -> Highlight:
        """From ``screening.highlight``: a list of words, or a mapping with include/exclude."""
        if value is None:
            return cls()
        if isinstance(value, str):
            return cls(neutral=(value,))
        if isinstance(value, list):
            return cls(neutral=tuple(str(v) for v in value if str(v).strip()))
        if isinstance(value, Mapping):
            unknown = set(value) - {"include", "exclude", "neutral"}
            if unknown:
                raise InputError(
                    f"unknown key(s) {', '.join(sorted(map(str, unknown)))} in "
                    "'screening.highlight'; expected include, exclude or neutral"
                )

            def words(key: str) -> tuple[str, ...]:
                items = value.get(key) or []
                items = [items] if isinstance(items, str) else items
                return tuple(str(v) for v in items if str(v).strip())

            return cls(words("neutral"), words("include"), words("exclude"))
        raise InputError("'screening.highlight' must be a list of words or a mapping")


def render_record(record: Mapping[str, Any], highlight: Highlight = Highlight()) -> Text:
    """Title (bold), the citation (authors, journal, year), abstract and keywords of a record,
    with the keywords highlighted: what the web application's screening page shows."""
    title = str(record.get("title") or "(no title)")
    abstract = str(record.get("abstract") or "(no abstract)")
    citation = " · ".join(
        part
        for part in (
            "; ".join(str(a) for a in record.get("authors") or ()),
            str(record.get("journal") or ""),
            str(record.get("year") or ""),
        )
        if part
    )
    text = Text()
    text.append(title, style="bold")
    if citation:
        text.append("\n")
        text.append(citation, style="dim")
    text.append("\n\n")
    text.append(abstract)
    donor = (record.get("extra") or {}).get("abstract_from")
    if donor:
        text.append(f"\n(abstract from {donor}, a duplicate of this record)", style="dim")
    keywords = "; ".join(str(k) for k in record.get("keywords") or ())
    if keywords:
        text.append("\n\n")
        text.append(f"Keywords: {keywords}", style="dim")
    if record.get("fulltext"):
        text.append("\n\n")
        text.append(f"Full text: {record['fulltext']}", style="bold")
    for words, style in (
        (highlight.neutral, "black on yellow"),
        (highlight.include, "bold green"),
        (highlight.exclude, "bold red"),
    ):
        if words:
            text.highlight_words(words, style=style, case_sensitive=False)
    return text


@dataclass(frozen=True)
class SessionSummary:
    """What a terminal session did."""

    decided: int
    skipped: int
    undone: int
    remaining: int


def read_key() -> str:
    """One key press from the terminal, without waiting for Enter (POSIX terminals)."""
    if not sys.stdin.isatty():
        return sys.stdin.read(1)
    import termios
    import tty

    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        return sys.stdin.read(1)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


def screen_in_terminal(
    records: Sequence[Mapping[str, Any]],
    log: ScreeningLog,
    *,
    stage: str,
    reviewer: str,
    keys: Callable[[], str] = read_key,
    console: Console | None = None,
    highlight: Highlight = Highlight(),
    prioritise: bool = True,
    rerank_every: int = 10,
) -> SessionSummary:
    """Screen ``records`` (those at ``stage``) as ``reviewer`` until done or ``q``.

    Records are shown most likely relevant first (:func:`rank`, retrained every
    ``rerank_every`` decisions) when ``prioritise`` is true, else in their own order.
    """
    out = console or Console()
    by_id = {str(r["id"]): r for r in records}
    stage_total = len(by_id)

    # The text features do not change during a session: computed once, not at every re-ranking.
    features = feature_matrix([record_text(r) for r in records]) if prioritise and records else None

    def queue() -> list[str]:
        if prioritise:
            return list(
                rank(
                    records,
                    log,
                    stage,
                    reviewer=reviewer,
                    features=features,
                    prefer=highlight.neutral + highlight.include,
                    avoid=highlight.exclude,
                )
            )
        return [rid for rid in by_id if reviewer not in log.current(rid, stage)]

    pending = queue()
    skipped: set[str] = set()
    history: list[str] = []
    decided = undone = 0
    since_rank = 0
    while True:
        pending = [rid for rid in pending if rid not in skipped]
        if not pending:
            out.print("No more records to screen at this stage.")
            break
        rid = pending[0]
        done = sum(1 for r in by_id if reviewer in log.current(r, stage))
        out.rule(f"{stage.replace('_', '/')} · {reviewer} · {done} of {stage_total} screened")
        out.print(Panel(render_record(by_id[rid], highlight), title=rid, title_align="left"))
        out.print(HELP, markup=False, highlight=False)
        key = keys().lower()
        if key in ("q", "\x03", "\x04", ""):  # q, Ctrl-C and Ctrl-D in raw mode, end of input
            break
        if key == "n":
            skipped.add(rid)
            continue
        if key == "u":
            if not history:
                out.print("Nothing to undo in this session.")
                continue
            last = history.pop()
            log.undo(last, stage, reviewer)
            undone += 1
            decided -= 1
            pending.insert(0, last)
            skipped.discard(last)
            out.print(f"Undid the decision on {last}.")
            continue
        if key not in KEYS:
            out.print(f"Unknown key {key!r}. {HELP}", markup=False)
            continue
        reason = None
        if KEYS[key] == "exclude" and log.exclusion_reasons:
            reason = _ask_reason(log, stage, keys, out)
            if reason == "":
                continue  # cancelled: show the record again
        try:
            log.decide(rid, stage, reviewer, KEYS[key], reason=reason)
        except InputError as exc:
            out.print(f"[red]{exc}[/red]")
            continue
        history.append(rid)
        decided += 1
        pending.pop(0)
        since_rank += 1
        if prioritise and since_rank >= rerank_every:
            pending = queue()
            since_rank = 0
    remaining = sum(1 for r in by_id if reviewer not in log.current(r, stage))
    summary = SessionSummary(decided, len(skipped), undone, remaining)
    out.print(
        f"Decided {summary.decided}, skipped {summary.skipped}, undone {summary.undone}; "
        f"{summary.remaining} left at this stage."
    )
    return summary


def _ask_reason(log: ScreeningLog, stage: str, keys: Callable[[], str], out: Console) -> str | None:
    """A reason picked by digit; None for no reason (title/abstract), "" to cancel."""
    reasons = log.exclusion_reasons[:9]
    for i, reason in enumerate(reasons, start=1):
        out.print(f"  [{i}] {reason}", markup=False)
    optional = stage == "title_abstract"
    out.print("Reason: press its number" + (", Enter for none" if optional else "") + ", c cancels")
    while True:
        key = keys()
        if key.isdigit() and 1 <= int(key) <= len(reasons):
            return reasons[int(key) - 1]
        if key.lower() in ("c", "\x03", "\x04", ""):
            return ""
        if optional and key in ("\r", "\n", " "):
            return None
        out.print("Press a reason's number" + (" or Enter" if optional else "") + ".")
