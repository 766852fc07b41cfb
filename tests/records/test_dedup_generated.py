"""Deduplication on generated exports with known truth (evsynth.records.dedup.synthetic).

The generator adds the noise of real exports (case, punctuation, typos, initials, abbreviated
journals and page ranges, missing DOIs/PMIDs/authors, e-pub vs print years, dropped subtitles)
and conference abstracts of the same studies that must not be merged. Measured on this commit
for 4,000 records: precision 1.0000, recall 0.9976 (2,488 of 2,494 pairs; the six missed are
left uncertain for a person); the acceptance targets are 0.999 and 0.99. With correction
notices added (``errata=0.05``) no notice is merged by default or joined to another work.
"""

from __future__ import annotations

import pytest

from evsynth.records.dedup import DedupResult, find_duplicates
from evsynth.records.dedup.evaluate import pairwise
from evsynth.records.dedup.synthetic import generate
from evsynth.records.model import Record

Run = tuple[list[Record], list[list[str]], DedupResult]


@pytest.fixture(scope="module")
def run() -> Run:
    records, truth = generate(4000, seed=7)
    return records, truth, find_duplicates(records)


def test_generated_precision_and_recall(run: Run) -> None:
    records, truth, result = run
    assert len(records) == 4000
    score = pairwise(result.duplicate_groups, truth)
    assert score.true_positives > 1500  # the set really has duplicates to find
    assert score.precision >= 0.999
    assert score.recall >= 0.99


def test_conference_abstracts_are_never_merged_with_their_article(run: Run) -> None:
    records, _, result = run
    merged = {rid for group in result.duplicate_groups for rid in group}
    abstracts = {r.id for r in records if r.id.endswith("-abs")}
    assert abstracts and not abstracts & merged


def _work(rid: str) -> str:
    return rid.split("-")[0]


@pytest.mark.parametrize("kinds", [(), ("erratum", "reply")])
def test_errata_join_only_their_own_work(kinds: tuple[str, ...]) -> None:
    # 4,000 records, 5% of works with a correction notice (cross-referenced, marked "Erratum:"
    # or unmarked; own DOI, one page later in the volume). The truth keeps notices apart.
    records, truth = generate(4000, seed=7, errata=0.05)
    errata = {r.id for r in records if r.id.endswith("-err")}
    result = find_duplicates(records, merge_notices=kinds)
    groups = [*result.duplicate_groups, *result.same_study_groups]
    # No group, merged or linked, holds two works because of a notice.
    assert not [g for g in groups if len({_work(r) for r in g}) > 1 and set(g) & errata]
    linked = {
        e for g in groups for e in set(g) & errata if any(_work(r) == _work(e) for r in g if r != e)
    }
    assert len(errata) == 126
    assert len(linked) == 124  # measured: the other two lack the authors or the article's pages
    merged = {e for g in result.duplicate_groups for e in set(g) & errata}
    score = pairwise(result.duplicate_groups, truth)
    if kinds:
        assert len(merged) >= 115  # measured 118 (a notice whose article lacks pages stays linked)
    else:
        assert not merged
        assert (score.precision, score.false_positives) == (1.0, 0)
        assert score.recall >= 0.99  # measured 0.9991


def test_replies_join_only_their_own_letter() -> None:
    # 5% of works get a reply by other authors on the next page ("... - Reply", "Reply to: ...",
    # "Re: ..."); asked to, evsynth merges replies into their letter, never into another work.
    records, _ = generate(4000, seed=7, errata=0.05, replies=0.05)
    replies = {r.id for r in records if r.id.endswith("-re")}
    result = find_duplicates(records, merge_notices={"reply"})
    groups = [*result.duplicate_groups, *result.same_study_groups]
    assert not [g for g in groups if len({_work(r) for r in g}) > 1]
    merged = {
        e
        for g in result.duplicate_groups
        for e in set(g) & replies
        if any(_work(r) == _work(e) for r in g if r != e)
    }
    assert len(replies) == 105
    assert len(merged) == 101  # measured; the other four: the letter exported without pages
    # No erratum is merged unless asked, replies or not.
    assert not {r for g in result.duplicate_groups for r in g if r.endswith("-err")}
