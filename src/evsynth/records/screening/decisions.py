"""The screening decision log: dual independent screening, blinding, conflicts, resolutions.

Three append-only tables in a project's ``screening/`` folder hold everything:

- ``decisions.csv`` (``record_id stage reviewer decision reason note decided_at``): every
  reviewer's decision. A changed decision is a new row; the earlier row stays, so the history of
  every record can be read back. A row with an empty ``decision`` withdraws the reviewer's
  decision (the terminal's undo of a first decision); rows written by an undo carry a note
  starting ``undo:`` and restore the reviewer's previous decision.
- ``resolutions.csv`` (``record_id stage resolver decision reason decided_at``): a third person's
  decision on a conflict; the latest row for a record and stage stands.
- ``fulltext.csv`` (``record_id sought retrieved``): retrieval of full-text reports; the latest
  row for a record stands.

Rules (the conventions of Cochrane and of the common screening tools, written down here so that
every front end applies the same ones):

- A record's outcome at a stage is settled when the required number of reviewers (two by
  default) have decided and all chose ``include``, or all chose ``exclude`` (at full text also
  for the same reason), or when a resolution exists. Any other combination is a conflict for a
  third person: ``include`` against ``exclude`` (a disagreement), any ``maybe`` (uncertain;
  ``maybe`` is never silently turned into a yes or a no), or, at full text, exclusions for
  different reasons (PRISMA reports one reason per excluded report).
- A record reaches full-text screening when its title/abstract outcome is ``include``.
- Exclusion reasons come from ``review.yaml`` (``screening.exclusion_reasons``): required for an
  exclusion at full text, allowed at title/abstract.
- Blinding: a reviewer sees only their own decision on a record until they have decided it;
  a lead may unblind explicitly.

References
----------
.. [1] Higgins JPT, Thomas J, et al. (eds). Cochrane Handbook for Systematic Reviews of
   Interventions, version 6.4, chapter 4.6 (selecting studies), 2023.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from evsynth.errors import InputError
from evsynth.records.screening._io import (
    one_line_breaks,
    parse_bool,
    read_table,
    screening_settings,
    string_list,
    write_table,
)

STAGES = ("title_abstract", "full_text")
DECISIONS = ("include", "exclude", "maybe")
DECISION_COLUMNS = ("record_id", "stage", "reviewer", "decision", "reason", "note", "decided_at")
RESOLUTION_COLUMNS = ("record_id", "stage", "resolver", "decision", "reason", "decided_at")
FULLTEXT_COLUMNS = ("record_id", "sought", "retrieved")
# The note of a row written by undo(); such a row takes back the reviewer's previous row.
UNDO_NOTE = "undo:"

Outcome = Literal["include", "exclude", "conflict", "pending"]


@dataclass(frozen=True)
class ScreeningDecision:
    """One row of ``decisions.csv``; ``decision`` is empty for a withdrawal."""

    record_id: str
    stage: str
    reviewer: str
    decision: str
    reason: str = ""
    note: str = ""
    decided_at: str = ""

    def row(self) -> tuple[str, ...]:
        return (
            self.record_id,
            self.stage,
            self.reviewer,
            self.decision,
            self.reason,
            self.note,
            self.decided_at,
        )


@dataclass(frozen=True)
class Resolution:
    """A third person's decision on a conflict (one row of ``resolutions.csv``)."""

    record_id: str
    stage: str
    resolver: str
    decision: str
    reason: str = ""
    decided_at: str = ""

    def row(self) -> tuple[str, ...]:
        return (
            self.record_id,
            self.stage,
            self.resolver,
            self.decision,
            self.reason,
            self.decided_at,
        )


@dataclass(frozen=True)
class Retrieval:
    """Whether a full-text report was sought and retrieved (``None``: not known yet)."""

    record_id: str
    sought: bool | None
    retrieved: bool | None

    def row(self) -> tuple[str, ...]:
        def text(value: bool | None) -> str:
            return "" if value is None else ("yes" if value else "no")

        return (self.record_id, text(self.sought), text(self.retrieved))


@dataclass(frozen=True)
class StageOutcome:
    """Where a record stands at one stage.

    ``outcome`` is ``include``, ``exclude``, ``conflict`` or ``pending`` (fewer decisions than
    required); ``reason`` is the exclusion reason of a settled exclusion; ``resolved`` tells
    whether a resolution decided it.
    """

    record_id: str
    stage: str
    outcome: Outcome
    reason: str = ""
    resolved: bool = False
    decisions: tuple[ScreeningDecision, ...] = ()


@dataclass(frozen=True)
class Conflict:
    """A record whose reviewers did not agree, waiting for a third person.

    ``kind``: ``disagreement`` (include against exclude), ``uncertain`` (a ``maybe`` among the
    decisions) or ``reason`` (full-text exclusions for different reasons).
    """

    record_id: str
    stage: str
    kind: str
    decisions: tuple[ScreeningDecision, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "record_id": self.record_id,
            "stage": self.stage,
            "kind": self.kind,
            "decisions": [
                {"reviewer": d.reviewer, "decision": d.decision, "reason": d.reason, "note": d.note}
                for d in self.decisions
            ],
        }


def _text(value: str | None) -> str:
    """A value as it will read back from the CSV file (trimmed, ``\n`` line breaks)."""
    return one_line_breaks(str(value or "")).strip()


def _utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class ScreeningLog:
    """The decisions, resolutions and retrievals of one review project.

    Build it with :meth:`load`; every change (:meth:`decide`, :meth:`resolve`,
    :meth:`record_retrieval`, :meth:`undo`) is appended to the log and, when the log belongs to
    a project folder, written to its CSV file at once (atomically). Queries never change it.

    Parameters
    ----------
    exclusion_reasons
        The shared exclusion reasons (``screening.exclusion_reasons`` in ``review.yaml``). When
        empty, any non-empty reason is accepted.
    required_reviewers
        Independent decisions needed before a record's outcome is settled (default 2).
    project_dir
        The project folder the log writes to; ``None`` keeps it in memory.
    clock
        Returns the timestamp written with each row (injectable for reproducible tests).
    """

    exclusion_reasons: tuple[str, ...] = ()
    required_reviewers: int = 2
    project_dir: Path | None = None
    clock: Callable[[], str] = _utc_now
    decisions: list[ScreeningDecision] = field(default_factory=list)
    resolutions: list[Resolution] = field(default_factory=list)
    retrievals: list[Retrieval] = field(default_factory=list)
    # Indexes over the lists above, kept in step by _append (a project holds tens of thousands of
    # rows; the queries must not rescan them for every record).
    _rows: dict[tuple[str, str], list[ScreeningDecision]] = field(
        default_factory=dict, init=False, repr=False
    )
    _resolved: dict[tuple[str, str], Resolution] = field(
        default_factory=dict, init=False, repr=False
    )
    _retrieved: dict[str, Retrieval] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for d in self.decisions:
            self._rows.setdefault((d.record_id, d.stage), []).append(d)
        for r in self.resolutions:
            self._resolved[(r.record_id, r.stage)] = r
        for t in self.retrievals:
            self._retrieved[t.record_id] = t

    def _append(self, entry: ScreeningDecision | Resolution | Retrieval) -> None:
        if isinstance(entry, ScreeningDecision):
            self.decisions.append(entry)
            self._rows.setdefault((entry.record_id, entry.stage), []).append(entry)
        elif isinstance(entry, Resolution):
            self.resolutions.append(entry)
            self._resolved[(entry.record_id, entry.stage)] = entry
        else:
            self.retrievals.append(entry)
            self._retrieved[entry.record_id] = entry

    # ------------------------------------------------------------------ loading and saving
    @classmethod
    def load(
        cls, project_dir: str | Path, *, clock: Callable[[], str] | None = None
    ) -> ScreeningLog:
        """Read the screening tables and settings of a project folder (missing files: empty)."""
        project = Path(project_dir)
        settings = screening_settings(project)
        yaml_path = project / "review.yaml"
        reasons = string_list(
            settings.get("exclusion_reasons"), name="screening.exclusion_reasons", file=yaml_path
        )
        required = settings.get("reviewers_per_record", 2)
        if not isinstance(required, int) or isinstance(required, bool) or required < 1:
            raise InputError(
                f"'screening.reviewers_per_record' must be a positive integer, got {required!r}",
                file=yaml_path,
            )
        log = cls(exclusion_reasons=reasons, required_reviewers=required, project_dir=project)
        if clock is not None:
            log.clock = clock
        folder = project / "screening"
        path = folder / "decisions.csv"
        for line, row in read_table(path, DECISION_COLUMNS):
            log._append(log._checked_decision(row, file=path, row=line))
        path = folder / "resolutions.csv"
        for line, row in read_table(path, RESOLUTION_COLUMNS):
            log._append(log._checked_resolution(row, file=path, row=line))
        path = folder / "fulltext.csv"
        for line, row in read_table(path, FULLTEXT_COLUMNS):
            if not row["record_id"]:
                raise InputError("empty record_id", file=path, row=line, column="record_id")
            sought = parse_bool(row["sought"], file=path, row=line, column="sought")
            retrieved = parse_bool(row["retrieved"], file=path, row=line, column="retrieved")
            log._append(Retrieval(row["record_id"], sought, retrieved))
        return log

    def _save(self, table: str) -> None:
        if self.project_dir is None:
            return
        folder = self.project_dir / "screening"
        if table == "decisions":
            write_table(
                folder / "decisions.csv", DECISION_COLUMNS, (d.row() for d in self.decisions)
            )
        elif table == "resolutions":
            write_table(
                folder / "resolutions.csv", RESOLUTION_COLUMNS, (r.row() for r in self.resolutions)
            )
        else:
            write_table(
                folder / "fulltext.csv", FULLTEXT_COLUMNS, (r.row() for r in self.retrievals)
            )

    # ------------------------------------------------------------------ validation
    def _check_reason(
        self, stage: str, decision: str, reason: str, *, file: Path | None, row: int | None
    ) -> None:
        if decision != "exclude":
            if reason and decision in ("include", "maybe"):
                raise InputError(
                    f"a reason is given only with an exclusion, not with {decision!r}",
                    file=file,
                    row=row,
                    column="reason",
                )
            return
        if not reason:
            if stage == "full_text":
                allowed = f" (one of: {'; '.join(self.exclusion_reasons)})" * bool(
                    self.exclusion_reasons
                )
                raise InputError(
                    f"an exclusion at full text needs a reason{allowed}",
                    file=file,
                    row=row,
                    column="reason",
                )
            return
        # Only new decisions are held to the current list (rows read from a file have file set):
        # editing the list in review.yaml later must not make the recorded history unreadable.
        if file is None and self.exclusion_reasons and reason not in self.exclusion_reasons:
            raise InputError(
                f"unknown exclusion reason {reason!r}; expected one of: "
                + "; ".join(self.exclusion_reasons),
                file=file,
                row=row,
                column="reason",
            )

    @staticmethod
    def _check_common(
        values: dict[str, str], person: str, *, file: Path | None, row: int | None
    ) -> None:
        if not values["record_id"]:
            raise InputError("empty record_id", file=file, row=row, column="record_id")
        if values["stage"] not in STAGES:
            raise InputError(
                f"invalid stage {values['stage']!r}; expected one of {', '.join(STAGES)}",
                file=file,
                row=row,
                column="stage",
            )
        if not values[person]:
            raise InputError(f"empty {person}", file=file, row=row, column=person)

    def _checked_decision(
        self, values: dict[str, str], *, file: Path | None = None, row: int | None = None
    ) -> ScreeningDecision:
        self._check_common(values, "reviewer", file=file, row=row)
        decision = values["decision"]
        if decision and decision not in DECISIONS:
            raise InputError(
                f"invalid decision {decision!r}; expected one of {', '.join(DECISIONS)}",
                file=file,
                row=row,
                column="decision",
            )
        if decision:
            self._check_reason(values["stage"], decision, values["reason"], file=file, row=row)
        return ScreeningDecision(
            values["record_id"],
            values["stage"],
            values["reviewer"],
            decision,
            values["reason"],
            values.get("note", ""),
            values.get("decided_at", ""),
        )

    def _checked_resolution(
        self, values: dict[str, str], *, file: Path | None = None, row: int | None = None
    ) -> Resolution:
        self._check_common(values, "resolver", file=file, row=row)
        if values["decision"] not in ("include", "exclude"):
            raise InputError(
                f"a resolution must be include or exclude, got {values['decision']!r}",
                file=file,
                row=row,
                column="decision",
            )
        self._check_reason(
            values["stage"], values["decision"], values["reason"], file=file, row=row
        )
        return Resolution(
            values["record_id"],
            values["stage"],
            values["resolver"],
            values["decision"],
            values["reason"],
            values.get("decided_at", ""),
        )

    # ------------------------------------------------------------------ changes
    def decide(
        self,
        record_id: str,
        stage: str,
        reviewer: str,
        decision: str,
        reason: str | None = None,
        note: str | None = None,
    ) -> ScreeningDecision:
        """Record a reviewer's decision (a new row; an earlier decision stays in the log).

        Raises
        ------
        InputError
            For an unknown stage or decision, a missing or unknown exclusion reason, or a
            full-text decision on a record that has not passed title/abstract screening.
        """
        values = {
            "record_id": _text(record_id),
            "stage": stage,
            "reviewer": _text(reviewer),
            "decision": decision,
            "reason": _text(reason),
            "note": _text(note),
            "decided_at": self.clock(),
        }
        if not decision:
            raise InputError(
                f"invalid decision {decision!r}; expected one of {', '.join(DECISIONS)}"
            )
        entry = self._checked_decision(values)
        if stage == "full_text":
            passed = self.outcome(entry.record_id, "title_abstract").outcome
            if passed != "include":
                raise InputError(
                    f"record {entry.record_id!r} has not passed title/abstract screening "
                    f"(its outcome there is {passed!r})"
                )
        self._append(entry)
        self._save("decisions")
        return entry

    def undo(self, record_id: str, stage: str, reviewer: str) -> ScreeningDecision | None:
        """Take back the reviewer's latest decision on a record.

        Appends a row restoring the reviewer's previous decision, or a withdrawal (empty
        decision) when there was none. Returns the appended row, or ``None`` when the reviewer
        had no decision on the record.
        """
        own = [d for d in self._rows.get((record_id, stage), []) if d.reviewer == reviewer]
        # Replay the reviewer's rows as a stack: a decision pushes, an earlier undo pops, so that
        # repeated undos walk back through the reviewer's decisions one by one.
        stack: list[ScreeningDecision] = []
        for d in own:
            if d.note.startswith(UNDO_NOTE):
                if stack:
                    stack.pop()
            elif d.decision:
                stack.append(d)
            else:
                stack.clear()
        if not stack:
            return None
        stack.pop()
        standing = stack[-1] if stack else None
        if standing is not None:
            restored = ScreeningDecision(
                record_id,
                stage,
                reviewer,
                standing.decision,
                standing.reason,
                f"{UNDO_NOTE} previous decision restored",
                self.clock(),
            )
        else:
            restored = ScreeningDecision(
                record_id, stage, reviewer, "", "", f"{UNDO_NOTE} decision withdrawn", self.clock()
            )
        self._append(restored)
        self._save("decisions")
        return restored

    def resolve(
        self,
        record_id: str,
        stage: str,
        resolver: str,
        decision: str,
        reason: str | None = None,
        *,
        consensus: bool = False,
    ) -> Resolution:
        """Record a third person's decision on a conflict.

        Parameters
        ----------
        consensus
            Allow one of the record's own reviewers to record the resolution (a decision
            reached by discussion); by default the resolver must be a third person.

        Raises
        ------
        InputError
            When the record has no open conflict at that stage, the resolver screened the record
            (without ``consensus``), or the decision or reason is invalid.
        """
        values = {
            "record_id": _text(record_id),
            "stage": stage,
            "resolver": _text(resolver),
            "decision": decision,
            "reason": _text(reason),
            "decided_at": self.clock(),
        }
        entry = self._checked_resolution(values)
        current = self.outcome(entry.record_id, stage)
        if current.outcome != "conflict" and not current.resolved:
            raise InputError(
                f"record {entry.record_id!r} has no conflict to resolve at {stage} "
                f"(its outcome is {current.outcome!r})"
            )
        if not consensus and entry.resolver in {d.reviewer for d in current.decisions}:
            raise InputError(
                f"{entry.resolver!r} screened record {entry.record_id!r}; a conflict is resolved "
                "by a third person (or pass consensus=True for a decision reached together)"
            )
        self._append(entry)
        self._save("resolutions")
        return entry

    def record_retrieval(
        self, record_id: str, *, sought: bool, retrieved: bool | None
    ) -> Retrieval:
        """Record whether a full-text report was sought and whether it was retrieved."""
        entry = Retrieval(str(record_id).strip(), sought, retrieved)
        if not entry.record_id:
            raise InputError("empty record_id", column="record_id")
        self._append(entry)
        self._save("fulltext")
        return entry

    # ------------------------------------------------------------------ queries
    def current(self, record_id: str, stage: str) -> dict[str, ScreeningDecision]:
        """Each reviewer's standing decision on a record (withdrawn decisions left out)."""
        standing: dict[str, ScreeningDecision] = {}
        for d in self._rows.get((record_id, stage), []):
            if d.decision:
                standing[d.reviewer] = d
            else:
                standing.pop(d.reviewer, None)
        return standing

    def history(self, record_id: str, stage: str | None = None) -> tuple[ScreeningDecision, ...]:
        """Every row about a record, in the order recorded (changed decisions included).

        Without ``stage``: the title/abstract rows, then the full-text rows.
        """
        if stage is not None:
            return tuple(self._rows.get((record_id, stage), ()))
        return tuple(d for s in STAGES for d in self._rows.get((record_id, s), ()))

    def visible_decisions(
        self, record_id: str, stage: str, viewer: str, *, unblind: bool = False
    ) -> tuple[ScreeningDecision, ...]:
        """The standing decisions on a record that ``viewer`` may see.

        Blind by default: a reviewer sees the others' decisions only once they have decided the
        record themselves. ``unblind=True`` (a lead's explicit choice) shows all.
        """
        standing = self.current(record_id, stage)
        if unblind or viewer in standing:
            return tuple(standing.values())
        return ()

    def resolution(self, record_id: str, stage: str) -> Resolution | None:
        """The standing resolution of a record at a stage, if any."""
        return self._resolved.get((record_id, stage))

    def outcome(self, record_id: str, stage: str) -> StageOutcome:
        """Where a record stands at a stage (see the module's rules)."""
        standing = tuple(self.current(record_id, stage).values())
        resolved = self.resolution(record_id, stage)
        if resolved is not None:
            settled: Outcome = "include" if resolved.decision == "include" else "exclude"
            return StageOutcome(record_id, stage, settled, resolved.reason, True, standing)
        if len(standing) < self.required_reviewers:
            return StageOutcome(record_id, stage, "pending", decisions=standing)
        choices = {d.decision for d in standing}
        if choices == {"include"}:
            return StageOutcome(record_id, stage, "include", decisions=standing)
        if choices == {"exclude"}:
            reasons = {d.reason for d in standing}
            if stage == "title_abstract" or len(reasons) == 1:
                reason = next((d.reason for d in standing if d.reason), "")
                return StageOutcome(record_id, stage, "exclude", reason, decisions=standing)
        return StageOutcome(record_id, stage, "conflict", decisions=standing)

    def record_ids(self, stage: str | None = None) -> tuple[str, ...]:
        """Records with at least one row in the log, in order of first appearance."""
        seen: dict[str, None] = {}
        for d in self.decisions:
            if stage is None or d.stage == stage:
                seen.setdefault(d.record_id, None)
        return tuple(seen)

    def conflicts(self, stage: str, *, include_resolved: bool = False) -> tuple[Conflict, ...]:
        """Records whose reviewers disagree at a stage, for a third person to resolve."""
        found = []
        for record_id in self.record_ids(stage):
            standing = tuple(self.current(record_id, stage).values())
            if len(standing) < self.required_reviewers:
                continue
            if self.resolution(record_id, stage) is not None and not include_resolved:
                continue
            kind = conflict_kind(stage, standing)
            if kind is not None:
                found.append(Conflict(record_id, stage, kind, standing))
        return tuple(found)

    def eligible_for_full_text(self, record_ids: Iterable[str] | None = None) -> tuple[str, ...]:
        """Records whose title/abstract outcome is include (both included or resolved so)."""
        ids = self.record_ids("title_abstract") if record_ids is None else tuple(record_ids)
        return tuple(r for r in ids if self.outcome(r, "title_abstract").outcome == "include")

    def retrieval(self, record_id: str) -> Retrieval | None:
        """The standing retrieval row of a record, if any."""
        return self._retrieved.get(record_id)


def conflict_kind(stage: str, standing: tuple[ScreeningDecision, ...]) -> str | None:
    """Why a set of standing decisions needs a third person, or ``None`` when they agree."""
    choices = {d.decision for d in standing}
    if "maybe" in choices:
        return "uncertain"
    if len(choices) > 1:
        return "disagreement"
    if choices == {"exclude"} and stage == "full_text" and len({d.reason for d in standing}) > 1:
        return "reason"
    return None
