"""Appraisal instruments as data: the shipped files, scores and quality classes by each
instrument's published thresholds, RoB 2 / ROBINS-I overall rules, the seed's quality classes,
and Cohen's kappa."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from evsynth.errors import InputError
from evsynth.evidence.appraisal import (
    appraise,
    appraise_project,
    cohens_kappa,
    rater_agreement,
    study_quality,
)
from evsynth.evidence.instruments import builtin_instrument, load_instruments
from evsynth.evidence.project import load_example
from evsynth.evidence.study import AppraisalAnswer


def answers(instrument: str, pairs: dict[str, str], rater: str = "r1") -> list[AppraisalAnswer]:
    return [
        AppraisalAnswer(study_id="s1", instrument=instrument, rater=rater, item=k, answer=v)
        for k, v in pairs.items()
    ]


def test_shipped_instruments() -> None:
    insts = load_instruments()
    assert set(insts) >= {"cochrane-back-2015", "ipm-qrb", "ipm-qrbnr", "rob2", "robins-i",
                          "nos-cohort", "nos-case-control"}  # fmt: skip
    assert len(insts["cochrane-back-2015"].items) == 13
    qrb = insts["ipm-qrb"]
    assert (len(qrb.items), len(qrb.domains), qrb.max_score) == (22, 8, 48)
    # Unconfirmed item points are not invented: no item carries a maximum.
    assert not qrb.confirmed and all(i.max_points is None for i in qrb.items)
    assert insts["ipm-qrbnr"].items == () and insts["ipm-qrbnr"].accepts_total
    assert len(insts["rob2"].domains) == 5 and len(insts["robins-i"].domains) == 7


@pytest.mark.parametrize(
    ("yes", "rating"),
    [(13, "high"), (9, "high"), (8, "moderate"), (5, "moderate"), (4, "low"), (0, "low")],
)
def test_cochrane_back_classes(yes: int, rating: str) -> None:
    # Seed Methods: >= 9 of 13 high, 5-8 moderate, < 5 low; unsure earns nothing.
    inst = builtin_instrument("cochrane-back-2015")
    pairs = {f"c{i:02d}": ("yes" if i <= yes else "unsure") for i in range(1, 14)}
    a = appraise(inst, answers(inst.id, pairs))
    assert (a.score, a.rating, a.quality, a.complete) == (yes, rating, rating, True)


@pytest.mark.parametrize(
    ("total", "rating"),
    [(48, "high"), (32, "high"), (31, "moderate"), (16, "moderate"), (15, "low")],
)
def test_ipm_totals_classes(total: int, rating: str) -> None:
    for inst_id in ("ipm-qrb", "ipm-qrbnr"):
        a = appraise(builtin_instrument(inst_id), answers(inst_id, {"total": str(total)}))
        assert (a.score, a.rating, a.from_total) == (total, rating, True)
        assert any("not confirmed" in n for n in a.notes)


def test_total_out_of_range_and_bad_answers_are_located() -> None:
    inst = builtin_instrument("ipm-qrbnr")
    with pytest.raises(InputError, match="outside 0-48") as e:
        appraise(inst, answers(inst.id, {"total": "49"}), file="appraisals.csv", lines=[7])
    assert (e.value.row, e.value.column) == (7, "answer")
    cb = builtin_instrument("cochrane-back-2015")
    with pytest.raises(InputError, match="not one of: yes, no, unsure"):
        appraise(cb, answers(cb.id, {"c01": "maybe"}))
    with pytest.raises(InputError, match="a total cannot be entered"):
        appraise(cb, answers(cb.id, {"total": "9"}))
    with pytest.raises(InputError, match="unknown item 'c14'"):
        appraise(cb, answers(cb.id, {"c14": "yes"}))


def test_nos_ahrq_conversion() -> None:
    inst = builtin_instrument("nos-cohort")
    star = {"s1": "star", "s2": "star", "s3": "star", "s4": "no_star", "c1": "1",
            "o1": "star", "o2": "star", "o3": "no_star"}  # fmt: skip
    good = appraise(inst, answers(inst.id, star))
    assert (good.score, good.rating, good.quality) == (6, "good", "high")
    assert good.domain_scores == {"selection": 3, "comparability": 1, "outcome": 2}
    fair = appraise(inst, answers(inst.id, {**star, "s3": "no_star"}))
    assert (fair.rating, fair.quality) == ("fair", "moderate")
    # Poor when comparability has no star, whatever the total.
    poor = appraise(inst, answers(inst.id, {**star, "s4": "star", "o3": "star", "c1": "0"}))
    assert (poor.score, poor.rating, poor.quality) == (7, "poor", "low")


@pytest.mark.parametrize(
    ("domains", "overall"),
    [
        (["low"] * 5, "low"),
        (["low", "some_concerns", "low", "low", "low"], "some_concerns"),
        (["low", "high", "low", "low", "low"], "high"),
        (["some_concerns"] * 3 + ["low", "low"], "some_concerns"),
    ],
)
def test_rob2_overall(domains: list[str], overall: str) -> None:
    inst = builtin_instrument("rob2")
    a = appraise(inst, answers(inst.id, {f"d{i + 1}": d for i, d in enumerate(domains)}))
    assert a.rating == overall


def test_rob2_multiple_some_concerns_setting() -> None:
    inst = builtin_instrument("rob2")
    three = {"d1": "some_concerns", "d2": "some concerns", "d3": "some_concerns", "d4": "low",
             "d5": "low"}  # fmt: skip
    default = appraise(inst, answers(inst.id, three))
    assert default.rating == "some_concerns"
    assert any("substantially lowers confidence" in n for n in default.notes)
    strict = inst.model_copy(
        update={"overall": inst.overall.model_copy(update={"some_concerns_for_high": 2})}
    )
    assert appraise(strict, answers(inst.id, three)).rating == "high"
    assert (
        appraise(strict, answers(inst.id, {**three, "d2": "low", "d3": "low"})).rating
        == "some_concerns"
    )


@pytest.mark.parametrize(
    ("domains", "overall"),
    [
        (["low"] * 7, "low"),
        (["low", "moderate"] + ["low"] * 5, "moderate"),
        (["moderate", "no_information"] + ["low"] * 5, "no_information"),
        (["serious", "no_information"] + ["low"] * 5, "serious"),
        (["serious", "critical"] + ["moderate"] * 5, "critical"),
    ],
)
def test_robins_i_overall_is_worst_domain(domains: list[str], overall: str) -> None:
    inst = builtin_instrument("robins-i")
    a = appraise(inst, answers(inst.id, {f"d{i + 1}": d for i, d in enumerate(domains)}))
    assert a.rating == overall


def test_seed_quality_classes() -> None:
    # Seed 000: Gerdesmeyer high (Cochrane 13/13, IPM-QRB 41/48); the five others moderate
    # (IPM-QRBNR 29-30/48).
    p = load_example()
    apps = {(a.study_id, a.instrument): a for a in appraise_project(p)}
    assert apps[("gerdesmeyer2013", "cochrane-back-2015")].score == 13
    assert apps[("gerdesmeyer2013", "ipm-qrb")].score == 41
    assert apps[("park2018", "ipm-qrbnr")].score == 29
    q = {k: v.quality for k, v in study_quality(p).items()}
    assert q == {"gerdesmeyer2013": "high", "moon2017": "moderate", "ji2015": "moderate",
                 "cho2019": "moderate", "park2018": "moderate", "choi2017": "moderate"}  # fmt: skip


def test_team_instrument_overrides_shipped(tmp_path: Path) -> None:
    # A team that holds the original supplies its items and points in its own file.
    (tmp_path / "ipm-qrbnr.yaml").write_text(
        "id: ipm-qrbnr\nname: team version\nscoring: sum\nanswers: numeric\naccepts_total: true\n"
        "items:\n  - {id: a, text: item a, max_points: 2}\n"
        "  - {id: b, text: item b, max_points: 46}\nmax_score: 48\n"
        "classes:\n  - {label: high, min: 32}\n  - {label: moderate, min: 16}\n"
        "  - {label: low, min: 0}\n"
    )
    insts = load_instruments(tmp_path)
    assert insts["ipm-qrbnr"].name == "team version"
    with pytest.raises(InputError, match="outside 0-2"):
        appraise(insts["ipm-qrbnr"], answers("ipm-qrbnr", {"a": "3"}))


def test_cohens_kappa_textbook_example() -> None:
    # 50 items: both yes 20, a yes/b no 5, a no/b yes 10, both no 15 -> p_o 0.70, p_e 0.50,
    # kappa 0.40 (the standard worked example of Cohen's kappa).
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    k = cohens_kappa(a, b)
    assert k.percent_agreement == pytest.approx(70.0)
    assert k.expected_agreement == pytest.approx(50.0)
    assert k.kappa == pytest.approx(0.4)
    assert int(k.table.loc["yes", "no"]) == 5


def test_cohens_kappa_matches_sklearn_on_three_categories() -> None:
    a = ["yes", "no", "unsure", "yes", "yes", "no", "no", "unsure", "yes", "no", "yes", "yes"]
    b = ["yes", "no", "yes", "yes", "no", "no", "unsure", "unsure", "yes", "no", "yes", "no"]
    # Same formula, independent implementation: agreement to rounding error.
    assert cohens_kappa(a, b).kappa == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)


def test_kappa_undefined_with_one_category_and_rater_agreement() -> None:
    assert cohens_kappa(["yes"] * 4, ["yes"] * 4).kappa is None
    ann = {f"c{i:02d}": "yes" for i in range(1, 14)}
    bob = {**ann, "c12": "no", "c13": "no"}
    rows = answers("cochrane-back-2015", ann, "ann") + answers("cochrane-back-2015", bob, "bob")
    agreement = rater_agreement(rows, "cochrane-back-2015", "ann", "bob", study_id="s1")
    assert agreement.n == 13
    assert agreement.percent_agreement == pytest.approx(100 * 11 / 13)


def test_rob2_in_progress_is_incomplete_not_an_error() -> None:
    inst = builtin_instrument("rob2")
    a = appraise(inst, answers(inst.id, {"d1": "low", "d2": "high"}))
    assert (a.rating, a.quality, a.complete) == ("incomplete", None, False)
    assert "d3, d4, d5" in a.notes[0]


def test_bad_answer_is_reported_when_the_project_loads(tmp_path: Path) -> None:
    import shutil

    from evsynth.evidence.project import example_path, load_project

    d = tmp_path / "p"
    shutil.copytree(example_path("adhesiolysis-disc-herniation"), d)
    text = (d / "appraisals.csv").read_text().replace("c05,yes", "c05,perhaps")
    (d / "appraisals.csv").write_text(text)
    with pytest.raises(InputError, match="answer 'perhaps' not one of: yes, no, unsure") as e:
        load_project(d)
    assert (e.value.row, e.value.column) == (6, "answer")


def test_project_agreements_pair_raters_and_skip_consensus(tmp_path: Path) -> None:
    import shutil

    from evsynth.evidence.appraisal import project_agreements
    from evsynth.evidence.project import example_path, load_project

    d = tmp_path / "p"
    shutil.copytree(example_path("adhesiolysis-disc-herniation"), d)
    extra = [
        f"gerdesmeyer2013,cochrane-back-2015,{rater},c{i:02d},{answer},"
        for rater, flip in (("ann", set()), ("bob", {3, 4}))
        for i in range(1, 14)
        for answer in ["no" if i in flip else "yes"]
    ]
    with (d / "appraisals.csv").open("a") as f:
        f.write("\n".join(extra) + "\n")
    p = load_project(d)
    (pair,) = project_agreements(p)
    assert (pair.rater_a, pair.rater_b, pair.agreement.n) == ("ann", "bob", 13)
    # ann: 13 yes; bob: 11 yes, 2 no -> p_o = 11/13, p_e = (13*11)/169 = 11/13 -> kappa 0.
    assert pair.agreement.kappa == pytest.approx(0.0)
    assert pair.agreement.percent_agreement == pytest.approx(100 * 11 / 13)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["yes", "no", "unsure"]), st.sampled_from(["yes", "no", "unsure"])
        ),
        min_size=1,
        max_size=40,
    )
)
def test_kappa_agrees_with_sklearn_on_any_answers(pairs: list[tuple[str, str]]) -> None:
    a = [x for x, _ in pairs]
    b = [y for _, y in pairs]
    ours = cohens_kappa(a, b)
    if ours.kappa is None:
        assert len(set(a) | set(b)) == 1
        return
    assert ours.kappa == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)


def test_team_item_points_must_add_up_to_the_total(tmp_path: Path) -> None:
    from evsynth.evidence.instruments import load_instrument_file

    f = tmp_path / "ipm-qrb.yaml"
    f.write_text(
        "id: ipm-qrb\nname: team\nscoring: sum\nanswers: numeric\nmax_score: 48\n"
        "items:\n  - {id: a, text: a, max_points: 40}\n  - {id: b, text: b, max_points: 4}\n"
        "classes:\n  - {label: low, min: 0}\n"
    )
    with pytest.raises(InputError, match="add up to 44, not max_score 48") as e:
        load_instrument_file(f)
    assert e.value.row == 1
