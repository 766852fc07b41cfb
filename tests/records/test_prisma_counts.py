"""PRISMA 2020 counts: traced from the recorded work, and always adding up.

The identities are those of the PRISMA 2020 flow diagram (Page et al., BMJ 2021;372:n71):
identified - duplicates - other removals = screened; screened - excluded = sought;
sought - not retrieved = assessed; assessed - excluded = included. Records still in progress
are counted as awaiting, so the identities hold at every step of a review.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evsynth.errors import InputError
from evsynth.records.model import Link, Record, RecordSet, Source
from evsynth.records.prisma import PrismaCounts, counts_from_work, prisma_counts
from evsynth.records.screening import ScreeningLog

REASONS = ("wrong population", "wrong design", "no outcome data")
SOURCES = (
    Source("pubmed", "PubMed", "pubmed.nbib", "nbib", "2026-01-01T00:00:00Z", 0),
    Source("embase", "Embase", "embase.ris", "ris", "2026-01-01T00:00:00Z", 0),
    Source("ctgov", "ClinicalTrials.gov", "ctgov.csv", "csv", "2026-01-01T00:00:00Z", 0),
    Source("refs", "Citation searching", "refs.ris", "ris", "2026-01-01T00:00:00Z", 0),
)


def _link(i: int, kind: str, a: str, b: str, status: str = "active") -> Link:
    return Link(f"L{i}", kind, a, b, 1.0, "auto", status, "2026-01-01T00:00:00Z")


def _both(log: ScreeningLog, rid: str, stage: str, a: str, b: str, reason: str = "") -> None:
    log.decide(rid, stage, "ann", a, reason=reason if a == "exclude" else None)
    log.decide(rid, stage, "bob", b, reason=reason if b == "exclude" else None)


def test_counts_of_a_small_review_by_hand() -> None:
    records = [Record(f"p{i}", source="pubmed") for i in range(6)]
    records += [Record(f"e{i}", source="embase") for i in range(4)]
    records += [Record("c0", source="refs"), Record("c1", source="refs")]
    links = [
        _link(1, "duplicate", "p0", "e0"),  # e0 removed
        _link(2, "duplicate", "p1", "e1"),
        _link(2, "duplicate", "p1", "e1", "undone"),  # merge undone: both stay
        _link(3, "duplicate", "c1", "p5"),  # the database record is kept, c1 removed
        _link(4, "same_study", "p2", "p3"),  # two reports of one study
    ]
    record_set = RecordSet(tuple(records), SOURCES, tuple(links))
    log = ScreeningLog(exclusion_reasons=REASONS)
    for rid in ("p0", "p2", "p3", "p4", "e1", "c0"):
        _both(log, rid, "title_abstract", "include", "include")
    for rid in ("p1", "e2"):
        _both(log, rid, "title_abstract", "exclude", "exclude")
    _both(log, "e3", "title_abstract", "include", "maybe")  # conflict: awaiting screening
    _both(log, "p5", "title_abstract", "include", "exclude")
    log.resolve("p5", "title_abstract", "carol", "include")
    for rid in ("p2", "p3", "c0"):
        _both(log, rid, "full_text", "include", "include")
    _both(log, "p4", "full_text", "exclude", "exclude", reason="wrong design")
    log.record_retrieval("p0", sought=True, retrieved=False)
    # e1 and p5: sought, no decision yet -> awaiting assessment.
    counts = counts_from_work(record_set, log)
    db = counts.databases
    assert db.identified == {"PubMed": 6, "Embase": 4}
    assert db.duplicates_removed == 1
    assert (db.records_screened, db.records_awaiting_screening, db.records_excluded) == (8, 1, 2)
    assert (db.reports_sought, db.reports_not_retrieved) == (6, 1)
    assert (db.reports_awaiting_assessment, db.reports_assessed) == (2, 3)
    assert db.reports_excluded == {"wrong design": 1}
    assert db.reports_included == 2
    other = counts.other_methods
    assert other is not None
    assert other.identified == {"Citation searching": 2}
    assert other.duplicates_removed == 1
    assert (other.records_screened, other.reports_assessed, other.reports_included) == (1, 1, 1)
    assert (counts.reports_included, counts.studies_included) == (3, 2)
    counts.check()
    data = counts.to_dict()
    assert data["records_screened"] == 8
    assert data["reports_included"] == 3
    assert data["other_methods"]["identified_total"] == 2


def test_given_counts_of_the_seed_review() -> None:
    # Seed review 000 (Korean J Pain 2021;34:346), its Fig. 1 mapped to PRISMA 2020: 115 records
    # identified, 46 + 43 excluded on title/abstract, 26 full texts assessed, 13 + 7 excluded,
    # 6 studies included.
    counts = PrismaCounts.from_dict(
        {
            "identified": {"PubMed and other searches": 115},
            "records_excluded": 89,
            "reports_assessed": 26,
            "reports_excluded": {"not considered for inclusion": 13, "criteria not met": 7},
            "studies_included": 6,
        }
    )
    assert counts.records_screened == 115
    assert counts.reports_sought == 26
    assert counts.reports_included == 6
    assert counts.studies_included == 6
    again = PrismaCounts.from_dict(counts.to_dict())
    assert again == counts


def test_given_counts_that_do_not_add_up_are_refused() -> None:
    with pytest.raises(InputError, match="do not add up: databases: screened - excluded"):
        PrismaCounts.from_dict(
            {
                "identified": 100,
                "records_excluded": 60,
                "reports_sought": 30,
                "reports_assessed": 30,
                "reports_excluded": 10,
                "reports_included": 20,
            }
        )
    with pytest.raises(InputError, match=r"unknown PRISMA count 'prisma\.screened'"):
        PrismaCounts.from_dict({"identified": 10, "screened": 10}, file="review.yaml")


def test_project_without_records_uses_prisma_from_review_yaml(tmp_path: Path) -> None:
    (tmp_path / "review.yaml").write_text(
        "title: t\nprisma:\n  identified: 115\n  records_excluded: 89\n  reports_assessed: 26\n"
        "  reports_excluded: 20\n",
        encoding="utf-8",
    )
    counts = prisma_counts(tmp_path)
    assert counts.reports_included == 6


@st.composite
def workflows(draw: st.DrawFn) -> tuple[RecordSet, ScreeningLog, dict[str, str]]:
    n = draw(st.integers(1, 30))
    records = tuple(
        Record(f"r{i}", source=draw(st.sampled_from([s.source for s in SOURCES]))) for i in range(n)
    )
    ids = [r.id for r in records]
    pairs = st.tuples(st.sampled_from(ids), st.sampled_from(ids)).filter(lambda p: p[0] != p[1])
    links: list[Link] = []
    counter = itertools.count()
    for a, b in draw(st.lists(pairs, max_size=n)) if n > 1 else []:
        i = next(counter)
        kind = draw(st.sampled_from(["duplicate", "same_study"]))
        links.append(_link(i, kind, a, b))
        if draw(st.booleans()) and draw(st.booleans()):
            links.append(_link(i, kind, a, b, "undone"))
    removals = {
        rid: draw(st.sampled_from(["automation", "other"]))
        for rid in draw(st.lists(st.sampled_from(ids), max_size=3))
    }
    log = ScreeningLog(exclusion_reasons=REASONS)
    choice = st.sampled_from([None, "include", "exclude", "maybe"])
    for rid in ids:
        for stage in ("title_abstract", "full_text"):
            if stage == "full_text":
                if log.outcome(rid, "title_abstract").outcome != "include":
                    break
                retrieved = draw(st.sampled_from([None, True, False]))
                if retrieved is not None:
                    log.record_retrieval(rid, sought=True, retrieved=retrieved)
            for reviewer in ("ann", "bob"):
                decision = draw(choice)
                if decision is not None:
                    reason = draw(st.sampled_from(REASONS)) if decision == "exclude" else None
                    log.decide(rid, stage, reviewer, decision, reason=reason)
            if log.outcome(rid, stage).outcome == "conflict" and draw(st.booleans()):
                decision = draw(st.sampled_from(["include", "exclude"]))
                reason = draw(st.sampled_from(REASONS)) if decision == "exclude" else None
                log.resolve(rid, stage, "carol", decision, reason=reason)
    return RecordSet(records, SOURCES, tuple(links)), log, removals


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workflows())
def test_counts_add_up_on_every_path(
    work: tuple[RecordSet, ScreeningLog, dict[str, str]],
) -> None:
    record_set, log, removals = work
    counts = counts_from_work(record_set, log, removals)
    for statement, left, right in counts.identities():
        assert left == right, statement
    columns = [c for c in (counts.databases, counts.other_methods) if c is not None]
    # Every record is identified exactly once, and each duplicate group keeps one record.
    assert sum(c.identified_total for c in columns) == len(record_set)
    active = {(link.record_a, link.record_b) for link in record_set.active_links("duplicate")}
    groups = {r.id: {r.id} for r in record_set}
    for a, b in active:
        merged = groups[a] | groups[b]
        for rid in merged:
            groups[rid] = merged
    distinct = {frozenset(g) for g in groups.values()}
    assert sum(c.duplicates_removed for c in columns) == len(record_set) - len(distinct)
    # Included reports are exactly the kept records included at full text.
    included = [r.id for r in record_set if log.outcome(r.id, "full_text").outcome == "include"]
    assert counts.reports_included <= len(included)
    assert all(v >= 0 for c in columns for v in c.to_dict().values() if isinstance(v, int))
    assert PrismaCounts.from_dict(counts.to_dict()) == counts


def test_bundled_seed_review_counts_add_up() -> None:
    from helpers import ROOT

    project = ROOT / "src" / "evsynth" / "data" / "examples" / "adhesiolysis-disc-herniation"
    counts = prisma_counts(project)
    # The seed's Fig. 1 (seed-review-facts.md): 115 identified, 89 excluded on title/abstract,
    # 26 full texts, 20 excluded, 6 included.
    assert counts.databases.identified_total == 115
    assert counts.records_excluded == 89
    assert counts.reports_assessed == 26
    assert counts.databases.reports_excluded_total == 20
    assert (counts.studies_included, counts.reports_included) == (6, 6)
    assert counts.mapping  # the explanation of the mapping travels with the counts


def test_given_other_methods_column_follows_the_template() -> None:
    # The template's other-methods column goes from identified straight to reports sought.
    counts = PrismaCounts.from_dict(
        {
            "identified": {"PubMed": 100},
            "records_excluded": 80,
            "reports_assessed": 20,
            "reports_excluded": {"wrong design": 15},
            "other_methods": {
                "identified": {"Citation searching": 5},
                "reports_excluded": {"wrong design": 3},
                "reports_included": 2,
            },
            "studies_included": 6,
        }
    )
    other = counts.other_methods
    assert other is not None
    assert (other.reports_sought, other.reports_assessed, other.records_excluded) == (5, 5, 0)
    assert counts.reports_included == 7
    with pytest.raises(InputError, match="cannot derive"):
        PrismaCounts.from_dict(
            {
                "identified": 10,
                "records_excluded": 10,
                "reports_excluded": 0,
                "other_methods": {"identified": {"Websites": 4}},
            }
        )


def test_removals_file_and_other_methods_setting(tmp_path: Path) -> None:
    records = (*(Record(f"r{i}", source="s1") for i in range(4)), Record("x0", source="hand"))
    sources = (
        Source("s1", "PubMed", "a.nbib", "nbib", "2026-01-01T00:00:00Z", 4),
        Source("hand", "Files from trial authors", "b.csv", "csv", "2026-01-01T00:00:00Z", 1),
    )
    RecordSet(records, sources, ()).save(tmp_path)
    (tmp_path / "review.yaml").write_text(
        "title: t\nscreening:\n  other_methods: [hand]\n", encoding="utf-8"
    )
    (tmp_path / "screening").mkdir()
    removals = tmp_path / "screening" / "removals.csv"
    removals.write_text(
        "record_id,kind,reason\nr0,automation,not English\nr1,other,published before 1990\n",
        encoding="utf-8",
    )
    counts = prisma_counts(tmp_path)
    db = counts.databases
    assert (db.automation_removed, db.other_removed, db.records_awaiting_screening) == (1, 1, 2)
    assert counts.other_methods is not None
    assert counts.other_methods.identified == {"Files from trial authors": 1}
    removals.write_text("record_id,kind,reason\nr0,robot,x\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        prisma_counts(tmp_path)
    assert (err.value.row, err.value.column) == (2, "kind")
