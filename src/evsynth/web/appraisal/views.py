"""Studies, extraction forms per arm and time point, and appraisal forms from instrument data."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from evsynth.errors import InputError
from evsynth.web.appraisal import tables
from evsynth.web.lib import project_run
from evsynth.web.lib.access import Access, review_view, user_of
from evsynth.web.lib.pages import page

# The fields of the extraction form, in the order a person reads them off a results table.
OUTCOME_FORM = [
    ("arm", "Arm ('all' for the whole sample)"),
    ("outcome", "Outcome id"),
    ("scale", "Scale"),
    ("timepoint_months", "Time point (months)"),
    ("n", "n"),
    ("mean", "Mean"),
    ("sd", "SD"),
    ("baseline_mean", "Baseline mean"),
    ("baseline_sd", "Baseline SD"),
    ("change_mean", "Mean change"),
    ("change_sd", "SD of change"),
    ("change_se", "SE of change"),
    ("responders", "Responders"),
    ("yi", "Effect yi"),
    ("sei", "SE of yi"),
    ("source", "Where in the paper"),
    ("note", "Note"),
]
STUDY_FORM = [
    ("study_id", "Study id (letters, digits, - _ .)"),
    ("label", "Label (e.g. Gerdesmeyer 2013)"),
    ("year", "Year"),
    ("design", "Design (rct or nonrandomized)"),
    ("n", "Participants"),
    ("arms", "Arms (name=n; name=n)"),
    ("followup_months", "Follow-up months (3; 6; 12)"),
    ("citation", "Citation"),
]


def _posted(request: HttpRequest, fields: list[tuple[str, str]]) -> dict[str, str]:
    return {name: request.POST.get(name, "").strip() for name, _ in fields}


@review_view("read")
def studies(request: HttpRequest, access: Access) -> HttpResponse:
    review = access.review
    if request.method == "POST":
        values = _posted(request, STUDY_FORM)
        try:
            tables.save_rows(review, user_of(request), "studies", [(None, values)], "studies.add")
        except InputError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Study {values['study_id']} added.")
        return redirect("studies", review.pk)
    rows = [r.row for r in tables.rows(review, "studies")]
    return page(request, access, "appraisal/studies.html", {"studies": rows, "form": STUDY_FORM})


def _study(access: Access, study_id: str) -> dict[str, Any]:
    for r in tables.rows(access.review, "studies"):
        if r.row.get("study_id") == study_id:
            return dict(r.row)
    raise Http404("No such study")


@review_view("read")
def extraction(request: HttpRequest, access: Access, study_id: str) -> HttpResponse:
    """Outcome data of one study, one row per arm, outcome and time point."""
    review = access.review
    study = _study(access, study_id)
    existing = [r for r in tables.rows(review, "outcomes") if r.row.get("study_id") == study_id]
    if request.method == "POST":
        values = {"study_id": study_id, **_posted(request, OUTCOME_FORM)}
        key = (values["arm"], values["outcome"], values["timepoint_months"])
        match = next(
            (
                r
                for r in existing
                if (r.row.get("arm"), r.row.get("outcome"), str(r.row.get("timepoint_months")))
                == key
            ),
            None,
        )
        try:
            tables.save_rows(
                review, user_of(request), "outcomes", [(match, values)], "extraction.save"
            )
        except InputError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Outcome data saved.")
        return redirect("extraction", review.pk, study_id)
    arms = ["all"] + [
        part.split("=")[0].strip() for part in str(study.get("arms", "")).split(";") if part.strip()
    ]
    return page(
        request,
        access,
        "appraisal/extraction.html",
        {
            "study": study,
            "rows": [r.row for r in existing],
            "form": OUTCOME_FORM,
            "columns": [name for name, _ in OUTCOME_FORM],
            "arms": arms,
            "instruments": _instruments_for(review, str(study.get("design", ""))),
        },
    )


def _instruments_for(review: Any, design: str) -> list[Any]:
    return [i for i in project_run.instruments(review).values() if design in i.applies_to]


@review_view("read")
def appraise(request: HttpRequest, access: Access, study_id: str, instrument: str) -> HttpResponse:
    """The form of one instrument for one study, generated from the instrument's definition."""
    from evsynth.evidence.appraisal import appraise as score
    from evsynth.evidence.study import AppraisalAnswer

    review = access.review
    study = _study(access, study_id)
    insts = project_run.instruments(review)
    if instrument not in insts:
        raise Http404("No such instrument")
    inst = insts[instrument]
    rater = user_of(request).get_username()
    mine = {
        r.row.get("item"): r
        for r in tables.rows(review, "appraisals")
        if r.row.get("study_id") == study_id
        and r.row.get("instrument") == instrument
        and r.row.get("rater") == rater
    }
    questions = _questions(inst)
    if request.method == "POST":
        changes = []
        for q in questions:
            answer = request.POST.get(f"item-{q['id']}", "").strip()
            if not answer:
                continue
            values = {
                "study_id": study_id,
                "instrument": instrument,
                "rater": rater,
                "item": q["id"],
                "answer": answer,
            }
            changes.append((mine.get(q["id"]), values))
        try:
            tables.save_rows(review, user_of(request), "appraisals", changes, "appraisal.answer")
        except InputError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Appraisal saved.")
        return redirect("appraise", review.pk, study_id, instrument)
    result: Any = None
    if mine:
        try:
            answers = [AppraisalAnswer.model_validate(_answer_fields(r.row)) for r in mine.values()]
            result = score(inst, answers)
        except (InputError, ValueError) as exc:
            result = str(exc)
    for q in questions:
        row = mine.get(q["id"])
        q["current"] = row.row.get("answer", "") if row else ""
    return page(
        request,
        access,
        "appraisal/appraise.html",
        {"study": study, "instrument": inst, "questions": questions, "result": result},
    )


def _answer_fields(row: dict[str, Any]) -> dict[str, str]:
    return {k: str(row.get(k) or "") for k in ("study_id", "instrument", "rater", "item", "answer")}


def _questions(inst: Any) -> list[dict[str, Any]]:
    """One question per item (sum instruments) or per domain (judgement instruments)."""
    if inst.scoring == "judgement":
        return [
            {"id": d.id, "text": d.name, "domain": "", "options": list(inst.judgements)}
            for d in inst.domains
        ]
    domains = {d.id: d.name for d in inst.domains}
    out = []
    for item in inst.items:
        options = inst.options(item)
        out.append(
            {
                "id": item.id,
                "text": item.text,
                "domain": domains.get(item.domain or "", ""),
                "guidance": item.guidance,
                "options": [o.value for o in options] if options is not None else None,
                "max_points": item.max_points,
            }
        )
    if not out and inst.accepts_total:
        out.append(
            {"id": "total", "text": "Total score as reported", "domain": "", "options": None}
        )
    return out
