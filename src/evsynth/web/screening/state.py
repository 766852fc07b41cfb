"""The screening log of a review, built from the database for the records layer's rules.

Every rule (what settles a record, what is a conflict, who may resolve it, which reasons are
allowed, who sees which decision) is :class:`evsynth.records.screening.ScreeningLog`'s, the same
object ``evsynth screen`` uses. This module only loads the rows it needs and stores what the log
accepts, with an audit event in the same transaction.

Blinding: a person sees another reviewer's decision on a record at a stage only once they have
decided it themselves (the log's ``visible_decisions``), or once the record has its full set of
decisions (then it is settled or a conflict, and the third person needs to see both). A record
with one decision so far is visible to nobody but its reviewer.
"""

from __future__ import annotations

import functools
from typing import Any

import yaml
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models.fields.json import KeyTextTransform

from evsynth.records.screening import Resolution as LogResolution
from evsynth.records.screening import Retrieval, ScreeningDecision, ScreeningLog
from evsynth.records.screening.decisions import UNDO_NOTE
from evsynth.web.lib.audit import record_event
from evsynth.web.reviews.models import ProjectFile, Review
from evsynth.web.screening.models import Decision, FullText, LinkRow, Record, Resolution


def screening_settings(review: Review) -> dict[str, Any]:
    """The protocol's ``screening:`` section (exclusion reasons, reviewers per record)."""
    return dict(_screening_section(review.protocol_yaml or ""))


@functools.lru_cache(maxsize=64)
def _screening_section(protocol_yaml: str) -> dict[str, Any]:
    # Parsed once per protocol text: every screening decision needs it, and YAML parsing of a
    # full protocol costs more than the rest of the request.
    try:
        data = yaml.load(protocol_yaml, Loader=_SAFE_LOADER) or {}
    except yaml.YAMLError:
        return {}
    section = data.get("screening") if isinstance(data, dict) else None
    return section if isinstance(section, dict) else {}


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: The records removed before screening (automation tools, other reasons), kept as a file.
REMOVALS_FILE = "screening/removals.csv"


def screening_log(review: Review, record: Record | None = None) -> ScreeningLog:
    """The review's screening log (only one record's rows when ``record`` is given)."""
    settings = screening_settings(review)
    decisions = Decision.objects.filter(review=review)
    resolutions = Resolution.objects.filter(review=review)
    retrievals = FullText.objects.filter(review=review)
    if record is not None:
        decisions = decisions.filter(record=record)
        resolutions = resolutions.filter(record=record)
        retrievals = retrievals.filter(record=record)
    required = settings.get("reviewers_per_record", 2)
    return ScreeningLog(
        exclusion_reasons=tuple(str(r) for r in settings.get("exclusion_reasons") or ()),
        required_reviewers=required if isinstance(required, int) and required > 0 else 2,
        decisions=[
            ScreeningDecision(*row)
            for row in decisions.order_by("id").values_list(
                "record__record_id",
                "stage",
                "reviewer_name",
                "decision",
                "reason",
                "note",
                "decided_at",
            )
        ],
        resolutions=[
            LogResolution(*row)
            for row in resolutions.order_by("id").values_list(
                "record__record_id", "stage", "resolver_name", "decision", "reason", "decided_at"
            )
        ],
        retrievals=[
            Retrieval(*row)
            for row in retrievals.order_by("id").values_list(
                "record__record_id", "sought", "retrieved"
            )
        ],
    )


def may_see_all(log: ScreeningLog, record_id: str, stage: str, viewer: str) -> bool:
    """Whether ``viewer`` may see every reviewer's decision on this record at this stage."""
    standing = log.current(record_id, stage)
    return viewer in standing or len(standing) >= log.required_reviewers


def visible(log: ScreeningLog, record_id: str, stage: str, viewer: str) -> tuple[Any, ...]:
    unblind = may_see_all(log, record_id, stage, viewer)
    return log.visible_decisions(record_id, stage, viewer, unblind=unblind)


def _kept_and_removed(review: Review) -> tuple[list[str], set[str], set[str]]:
    """All record IDs in import order, the IDs kept after deduplication, and those removed
    before screening: the records layer's rule (:func:`evsynth.records.prisma.kept_records`),
    so the web screens exactly the records PRISMA counts as screened."""
    from pathlib import Path

    from evsynth.errors import InputError
    from evsynth.records.model import Record as LayerRecord
    from evsynth.records.model import RecordSet
    from evsynth.records.prisma import kept_records, other_methods_listed, read_removals
    from evsynth.web.lib.records_bridge import sources_of

    # Only IDs, sources and import order matter here: the source is read as text, without
    # parsing every record's JSON (a review holds tens of thousands of records).
    rows = (
        Record.objects.filter(review=review)
        .order_by("position")
        .annotate(source_text=KeyTextTransform("source", "data"))
    )
    pairs = list(rows.values_list("record_id", "source_text"))
    ids = [rid for rid, _ in pairs]
    removals_file = ProjectFile.objects.filter(review=review, path=REMOVALS_FILE).first()
    removed: set[str] = set()
    if removals_file is not None:
        try:
            text = bytes(removals_file.content).decode("utf-8")
            removed = set(read_removals(Path(REMOVALS_FILE), text=text))
        except (InputError, UnicodeDecodeError):
            removed = set()  # shown as an error where the review is run; screening goes on
    links = _links(review)
    if not links:
        return ids, set(ids), removed
    try:
        listed = other_methods_listed(
            {"screening": screening_settings(review)}, file=Path("review.yaml")
        )
    except InputError:
        listed = frozenset()
    records = RecordSet(
        tuple(LayerRecord(id=rid, source=str(source or "")) for rid, source in pairs),
        sources_of(review),
        links,
    )
    return ids, kept_records(records, listed), removed


def duplicate_record_ids(review: Review) -> set[str]:
    """Records that are duplicates of another: all but the kept record of each group."""
    ids, kept, _ = _kept_and_removed(review)
    return set(ids) - kept


def screenable_ids(review: Review, stage: str, log: ScreeningLog | None = None) -> list[str]:
    """Record IDs that go through a stage, in import order: the kept record of each duplicate
    group less those removed before screening (``screening/removals.csv``); at full text, the
    records included at title and abstract."""
    ids, kept, removed = _kept_and_removed(review)
    unique = [rid for rid in ids if rid in kept and rid not in removed]
    if stage == "title_abstract":
        return unique
    log = screening_log(review) if log is None else log
    passed = set(log.eligible_for_full_text(unique))
    return [rid for rid in unique if rid in passed]


def screenable(review: Review, stage: str, log: ScreeningLog | None = None) -> list[Record]:
    """The records of :func:`screenable_ids`."""
    wanted = set(screenable_ids(review, stage, log))
    return [r for r in Record.objects.filter(review=review) if r.record_id in wanted]


def progress(
    review: Review,
    stage: str,
    viewer: str,
    *,
    log: ScreeningLog | None = None,
    ids: list[str] | None = None,
) -> dict[str, int]:
    """A reviewer's progress at a stage: records they decided, records still waiting for their
    decision (:func:`open_for`), and all records of the stage (``log`` and ``ids``, the stage's
    :func:`screenable_ids`, when the caller has them already)."""
    log = screening_log(review) if log is None else log
    ids = screenable_ids(review, stage, log) if ids is None else ids
    decided = sum(1 for rid in ids if viewer in log.current(rid, stage))
    waiting = sum(1 for rid in ids if open_for(log, rid, stage, viewer))
    return {"decided": decided, "waiting": waiting, "total": len(ids)}


def open_for(log: ScreeningLog, record_id: str, stage: str, viewer: str) -> bool:
    """Whether the viewer still has to decide this record (not decided, not yet complete)."""
    standing = log.current(record_id, stage)
    return (
        viewer not in standing
        and len(standing) < log.required_reviewers
        and log.resolution(record_id, stage) is None
    )


def next_record(
    review: Review,
    stage: str,
    viewer: str,
    skipped: set[str] | None = None,
    *,
    priority: bool = False,
    terms: tuple[str, ...] = (),
    log: ScreeningLog | None = None,
    ids: list[str] | None = None,
) -> Record | None:
    """The next record this reviewer has not decided and that still needs decisions.

    In import order, or with ``priority`` most likely relevant first: the records layer's
    ranking (``evsynth.records.screening.priority.rank``, trained on the decisions so far; the
    protocol's words order the records until there is one inclusion and one exclusion).
    Records in ``skipped`` (the reviewer pressed "next") come last. ``log`` and ``ids`` (the
    stage's :func:`screenable_ids`) are read here unless the caller has them already.
    """
    log = screening_log(review) if log is None else log
    ids = screenable_ids(review, stage, log) if ids is None else ids
    candidates = [rid for rid in ids if open_for(log, rid, stage, viewer)]
    if not candidates:
        return None
    if priority:
        from evsynth.records.screening.priority import rank

        open_ids = set(candidates)
        rows = list(Record.objects.filter(review=review).values_list("record_id", "data"))
        data_of = with_group_abstracts(review, dict(rows))
        records = [data_of[rid] for rid, _ in rows if rid in open_ids or log.current(rid, stage)]
        ranked = [rid for rid in rank(records, log, stage, reviewer=viewer, prefer=terms)]
        candidates = [rid for rid in ranked if rid in open_ids] or candidates
    skipped = skipped or set()
    chosen = next((rid for rid in candidates if rid not in skipped), candidates[0])
    return Record.objects.get(review=review, record_id=chosen)


def decide(
    review: Review,
    record: Record,
    stage: str,
    user: User,
    decision: str,
    *,
    reason: str = "",
    note: str = "",
) -> Decision:
    """Check a decision with the screening log, then append it and its audit event."""
    name = user.get_username()
    with transaction.atomic():
        log = screening_log(review, record)
        before = log.current(record.record_id, stage).get(name)
        entry = log.decide(record.record_id, stage, name, decision, reason, note)
        return _append(review, record, stage, user, entry, before, "screening.decide")


def _append(
    review: Review,
    record: Record,
    stage: str,
    user: User,
    entry: ScreeningDecision,
    before: ScreeningDecision | None,
    action: str,
) -> Decision:
    """Mirror a row the screening log appended as a Decision, with its audit event."""
    made = Decision.objects.create(
        review=review,
        record=record,
        stage=stage,
        reviewer=user,
        reviewer_name=user.get_username(),
        decision=entry.decision,
        reason=entry.reason,
        note=entry.note,
        decided_at=entry.decided_at,
    )
    record_event(
        review,
        user,
        action,
        f"{record.record_id} {stage}",
        previous=_value(before),
        value={"decision": entry.decision, "reason": entry.reason, "note": entry.note},
    )
    return made


def undo(review: Review, stage: str, user: User) -> Decision | None:
    """Take back the reviewer's latest decision at a stage (the screening log's ``undo``).

    Appends the row the log writes (the previous decision restored, or a withdrawal), so the
    history keeps both the decision and its undoing.
    """
    name = user.get_username()
    with transaction.atomic():
        recent = (
            Decision.objects.filter(review=review, stage=stage, reviewer_name=name)
            .exclude(note__startswith=UNDO_NOTE)
            .select_related("record")
            .order_by("-id")[:200]
        )
        # The latest decision that still stands (an undone one is skipped, so repeated undos
        # walk back through the reviewer's decisions).
        for candidate in recent:
            record = candidate.record
            log = screening_log(review, record)
            before = log.current(record.record_id, stage).get(name)
            if before is not None:
                break
        else:
            return None
        entry = log.undo(record.record_id, stage, name)
        if entry is None:
            return None
        return _append(review, record, stage, user, entry, before, "screening.undo")


def resolve(
    review: Review,
    record: Record,
    stage: str,
    user: User,
    decision: str,
    reason: str = "",
) -> Resolution:
    name = user.get_username()
    with transaction.atomic():
        log = screening_log(review, record)
        before = log.resolution(record.record_id, stage)
        entry = log.resolve(record.record_id, stage, name, decision, reason)
        made = Resolution.objects.create(
            review=review,
            record=record,
            stage=stage,
            resolver=user,
            resolver_name=name,
            decision=entry.decision,
            reason=entry.reason,
            decided_at=entry.decided_at,
        )
        record_event(
            review,
            user,
            "screening.resolve",
            f"{record.record_id} {stage}",
            previous={"decision": before.decision, "reason": before.reason} if before else None,
            value={"decision": entry.decision, "reason": entry.reason},
        )
    return made


def record_retrieval(
    review: Review, record: Record, user: User, *, sought: bool, retrieved: bool | None
) -> FullText:
    with transaction.atomic():
        log = screening_log(review, record)
        before = log.retrieval(record.record_id)
        entry = log.record_retrieval(record.record_id, sought=sought, retrieved=retrieved)
        made = FullText.objects.create(
            review=review, record=record, sought=entry.sought, retrieved=entry.retrieved
        )
        record_event(
            review,
            user,
            "fulltext.retrieval",
            record.record_id,
            previous={"sought": before.sought, "retrieved": before.retrieved} if before else None,
            value={"sought": entry.sought, "retrieved": entry.retrieved},
        )
    return made


def _value(d: ScreeningDecision | None) -> dict[str, str] | None:
    if d is None:
        return None
    return {"decision": d.decision, "reason": d.reason, "note": d.note}


def report_ids(review: Review) -> set[str]:
    """The project paths of the full-text reports attached in this review."""
    from evsynth.records.screening.fulltexts import FULLTEXT_DIR

    return set(
        ProjectFile.objects.filter(review=review, path__startswith=f"{FULLTEXT_DIR}/").values_list(
            "path", flat=True
        )
    )


def attach_report(review: Review, record: Record, user: User, data: bytes, name: str) -> str:
    """Keep a record's full-text report (a PDF) as ``fulltext/<record ID>.pdf`` of the project,
    and record the report as retrieved. Only a record that reached full-text screening takes one.
    Returns the file's project path."""
    import hashlib

    from evsynth.errors import InputError
    from evsynth.records.screening.fulltexts import check_pdf, fulltext_name

    check_pdf(data, file=name)
    path = fulltext_name(record.record_id)
    with transaction.atomic():
        log = screening_log(review, record)
        if not log.eligible_for_full_text([record.record_id]):
            raise InputError(
                f"record {record.record_id!r} has not passed title/abstract screening: "
                "a full-text report is attached to records at the full-text stage",
                file=name,
            )
        previous = ProjectFile.objects.filter(review=review, path=path).first()
        ProjectFile.objects.update_or_create(review=review, path=path, defaults={"content": data})
        record_event(
            review,
            user,
            "fulltext.attach",
            record.record_id,
            previous={"replaced": path} if previous else None,
            value={
                "file": name,
                "path": path,
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            },
        )
        standing = log.retrieval(record.record_id)
        if standing is None or standing.retrieved is not True:
            record_retrieval(review, record, user, sought=True, retrieved=True)
    return path


def standings(review: Review, stage: str, viewer: str) -> list[tuple[Record, str]]:
    """Every record of the review in import order with where it stands at ``stage`` as
    ``viewer`` may see it: ``duplicate``, ``removed`` (before screening), ``not at this stage``
    (full text: not included at title and abstract), ``not screened``, the outcome (``include``,
    ``exclude``, ``conflict``, ``pending``) once the viewer may see every decision, else
    ``blinded``: the screening pages' blinding rule."""
    ids, kept, removed = _kept_and_removed(review)
    log = screening_log(review)
    eligible = set(log.eligible_for_full_text(ids)) if stage == "full_text" else None
    out = []
    for record in Record.objects.filter(review=review).order_by("position"):
        rid = record.record_id
        if rid not in kept:
            status = "duplicate"
        elif rid in removed:
            status = "removed"
        elif eligible is not None and rid not in eligible:
            status = "not at this stage"
        elif not log.current(rid, stage):
            status = "not screened"
        elif may_see_all(log, rid, stage, viewer):
            status = log.outcome(rid, stage).outcome
        else:
            status = "blinded"
        out.append((record, status))
    return out


def _links(review: Review) -> tuple[Any, ...]:
    """The review's link history (links.csv rows) as the records layer's links."""
    from evsynth.web.lib.records_bridge import link_from_row

    rows = LinkRow.objects.filter(review=review).order_by("position")
    return tuple(link_from_row(r.row) for r in rows)


def _duplicate_groups(review: Review) -> list[list[str]]:
    """The review's duplicate groups (the records layer's, a person's distinct verdicts kept)."""
    from evsynth.records.dedup.links import duplicate_groups
    from evsynth.records.model import Record as LayerRecord
    from evsynth.records.model import RecordSet

    links = _links(review)
    if not links:
        return []
    ids = Record.objects.filter(review=review).order_by("position").values_list("record_id")
    return duplicate_groups(RecordSet(tuple(LayerRecord(id=rid) for (rid,) in ids), (), links))


def _abstract(data: Any) -> str:
    return str(data.get("abstract") or "").strip()


def abstract_from_duplicates(review: Review, record: Record) -> tuple[str, str] | None:
    """For a record exported without an abstract: the abstract of the first record of its
    duplicate group that has one, and that record's ID (the records layer's
    ``abstract_donors``, as ``screening_records`` shows it on the command line); ``None`` when
    the record has its own or none of its group has one."""
    from evsynth.records.dedup.links import abstract_donors

    if _abstract(record.data):
        return None
    group = next((g for g in _duplicate_groups(review) if record.record_id in g), None)
    if group is None:
        return None
    data = {r.record_id: r.data for r in Record.objects.filter(review=review, record_id__in=group)}
    donor = abstract_donors([group], {rid: _abstract(d) for rid, d in data.items()}).get(
        record.record_id
    )
    return (_abstract(data[donor]), donor) if donor else None


def with_group_abstracts(review: Review, data_of: dict[str, Any]) -> dict[str, Any]:
    """Records' data (by ID) with an empty abstract filled from their duplicate group, for the
    ranking to read what the screeners see."""
    from evsynth.records.dedup.links import abstract_donors

    donors = abstract_donors(
        _duplicate_groups(review), {rid: _abstract(d) for rid, d in data_of.items()}
    )
    return {
        rid: {**d, "abstract": data_of[donors[rid]]["abstract"]} if rid in donors else d
        for rid, d in data_of.items()
    }
