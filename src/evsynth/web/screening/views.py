"""Import, duplicates, blinded dual screening, the conflict queue and full-text retrieval."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import urlencode

from evsynth.errors import InputError
from evsynth.web.lib.access import Access, review_view, user_of
from evsynth.web.lib.audit import record_event
from evsynth.web.lib.jobs import Progress, start_job
from evsynth.web.lib.pages import page
from evsynth.web.lib.records_bridge import import_upload, record_set
from evsynth.web.reviews.models import Job, ProjectFile
from evsynth.web.screening import dedup, state
from evsynth.web.screening.highlight import highlight, protocol_terms
from evsynth.web.screening.models import (
    DuplicateCandidate,
    Record,
    Source,
    Stage,
    Verdict,
)

STAGES = {s.value: s.label for s in Stage}


def _stage(stage: str) -> str:
    if stage not in STAGES:
        raise Http404("No such screening stage")
    return stage


# ------------------------------------------------------------------------------------ import


@review_view("read")
def records_import(request: HttpRequest, access: Access) -> HttpResponse:
    review = access.review
    if request.method == "POST":
        upload = request.FILES.get("export")
        if upload is None:
            messages.error(request, "Choose a search export to import.")
            return redirect("records-import", review.pk)
        if upload.size is not None and upload.size > settings.EVSYNTH_MAX_UPLOAD_BYTES:
            raise InputError(
                f"the file is larger than {settings.EVSYNTH_MAX_UPLOAD_BYTES} bytes",
                file=upload.name,
            )
        data = upload.read()
        name = upload.name or "upload"
        source = request.POST.get("source", "").strip() or None
        job = Job.objects.create(review=review, kind="import", created_by=user_of(request))

        def work(job: Job, progress: Progress) -> dict[str, Any]:
            progress(0, 1, f"reading {name}")
            result = import_upload(review, data, name, source)
            record_event(review, job.created_by, "records.import", name, value=result)
            progress(1, 1, f"{result['records']} records from {name}")
            return result

        started = start_job(job, work)
        return redirect(f"{reverse('records-import', args=[review.pk])}?job={started.pk}")
    job_id = request.GET.get("job")
    shown = Job.objects.filter(review=review, pk=job_id).defer("output").first() if job_id else None
    return page(
        request,
        access,
        "screening/import.html",
        {
            "job": shown,
            "records": Record.objects.filter(review=review).count(),
            "sources": [s.row for s in Source.objects.filter(review=review)],
            "max_mb": settings.EVSYNTH_MAX_UPLOAD_BYTES // (1024 * 1024),
        },
    )


# ------------------------------------------------------------------------------- duplicates


def _pairs_to_decide(review: Any, limit: int = 50) -> list[dict[str, Any]]:
    """The first uncertain pairs, each record with its citation, and the reasons of the
    comparison (``evsynth dedup --explain``) that a person weighs."""
    from evsynth.records.dedup import explain_pair
    from evsynth.records.model import Record as LayerRecord

    pending = list(DuplicateCandidate.objects.filter(review=review, resolved=False)[:limit])
    wanted = {rid for c in pending for rid in (c.record_a, c.record_b)}
    rows = {r.record_id: r for r in Record.objects.filter(review=review, record_id__in=wanted)}
    layer = {rid: LayerRecord.from_dict(row.data) for rid, row in rows.items()}

    def side(rid: str) -> dict[str, Any] | None:
        record = layer.get(rid)
        if record is None:
            return None
        ids = [
            f"doi {record.doi}" if record.doi else "",
            f"PMID {record.pmid}" if record.pmid else "",
        ]
        return {
            "id": rid,
            "title": record.title,
            "authors": "; ".join(record.authors),
            "citation": record.citation(),
            "identifiers": " · ".join(i for i in ids if i),
            "source": record.source,
        }

    out = []
    for c in pending:
        a, b = layer.get(c.record_a), layer.get(c.record_b)
        reasons = explain_pair(a, b).reasons if a is not None and b is not None else ()
        out.append(
            {"candidate": c, "sides": [side(c.record_a), side(c.record_b)], "reasons": reasons}
        )
    return out


@review_view("read")
def duplicates(request: HttpRequest, access: Access) -> HttpResponse:
    review = access.review
    user = user_of(request)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "run":
            job = Job.objects.create(review=review, kind="dedup", created_by=user)

            def work(job: Job, progress: Progress) -> dict[str, Any]:
                result = dedup.run_dedup(review, job, progress)
                record_event(review, job.created_by, "records.dedup", value=result)
                return result

            started = start_job(job, work)
            return redirect(f"{reverse('dedup', args=[review.pk])}?job={started.pk}")
        if action in dedup.VERDICTS:
            candidate = get_object_or_404(
                DuplicateCandidate, pk=request.POST.get("candidate"), review=review, resolved=False
            )
            link = dedup.decide_pair(review, candidate, user.get_username(), action)
            record_event(
                review,
                user,
                "records.duplicate",
                f"{candidate.record_a} {candidate.record_b}",
                value=link.to_row() if link else {"verdict": "different records"},
            )
        elif action == "undo":
            undone = dedup.undo(review, request.POST.get("link_id", ""), user.get_username())
            if undone is not None:
                record_event(
                    review, user, "records.undo_link", undone.link_id, value=undone.to_row()
                )
        return redirect("dedup", review.pk)
    job_id = request.GET.get("job")
    shown = Job.objects.filter(review=review, pk=job_id).defer("output").first() if job_id else None
    candidates = _pairs_to_decide(review)
    active = [link.to_row() for link in record_set(review).active_links()]
    return page(
        request,
        access,
        "screening/dedup.html",
        {
            "job": shown,
            "candidates": candidates,
            "links": active,
        },
    )


# -------------------------------------------------------------------------------- screening


def _record_view(record: Record, terms: list[str]) -> dict[str, Any]:
    data = record.data
    return {
        "record": record,
        "title": highlight(str(data.get("title") or ""), terms),
        "abstract": highlight(str(data.get("abstract") or ""), terms),
        "authors": "; ".join(data.get("authors") or []),
        "year": data.get("year") or "",
        "journal": data.get("journal") or "",
        "keywords": ", ".join(data.get("keywords") or []),
    }


@review_view("write")
def screen(request: HttpRequest, access: Access, stage: str) -> HttpResponse:
    review = access.review
    stage = _stage(stage)
    viewer = user_of(request).get_username()
    wanted = request.GET.get("record")
    skip = request.GET.get("skip", "")
    # The order is the reviewer's choice and stays until changed (kept in the session).
    if request.GET.get("order") in ("import", "priority"):
        request.session["screening_order"] = request.GET["order"]
    order = request.session.get("screening_order", "import")
    terms = protocol_terms(review.protocol_yaml)
    extra = [t for t in request.GET.get("terms", "").split(",") if t.strip()]
    record: Record | None
    # The stage's log and records, read once for the next record and the progress bar.
    log_all = state.screening_log(review)
    ids = state.screenable_ids(review, stage, log_all)
    if wanted:
        record = get_object_or_404(Record, review=review, record_id=wanted)
    else:
        record = state.next_record(
            review,
            stage,
            viewer,
            set(skip.split(",")) if skip else None,
            priority=order == "priority",
            terms=tuple(terms + extra),
            log=log_all,
            ids=ids,
        )
    context: dict[str, Any] = {
        "stage": stage,
        "stage_label": STAGES[stage],
        "terms": terms + extra,
        "reasons": state.screening_settings(review).get("exclusion_reasons") or [],
        "verdicts": Verdict.choices,
        "order": order,
        "progress": state.progress(review, stage, viewer, log=log_all, ids=ids),
    }
    if record is not None:
        log = state.screening_log(review, record)
        context.update(_record_view(record, terms + extra))
        borrowed = state.abstract_from_duplicates(review, record)
        if borrowed is not None:
            context["abstract"] = highlight(borrowed[0], terms + extra)
            context["abstract_from"] = borrowed[1]
        if stage == "full_text":
            from evsynth.records.screening.fulltexts import fulltext_name

            context["report"] = fulltext_name(record.record_id) in state.report_ids(review)
        context["mine"] = log.current(record.record_id, stage).get(viewer)
        context["visible"] = [
            d for d in state.visible(log, record.record_id, stage, viewer) if d.reviewer != viewer
        ]
        # "n" skips the record for now; the skipped ones come back when nothing else is left.
        context["skipped"] = skip
        context["skip"] = ",".join([*(s for s in skip.split(",") if s), record.record_id])
    return page(request, access, "screening/screen.html", context)


def _decide_from_post(request: HttpRequest, access: Access, stage: str) -> tuple[Record, Any]:
    record = get_object_or_404(
        Record, review=access.review, record_id=request.POST.get("record_id", "")
    )
    made = state.decide(
        access.review,
        record,
        stage,
        user_of(request),
        request.POST.get("decision", ""),
        reason=request.POST.get("reason", ""),
        note=request.POST.get("note", ""),
    )
    return record, made


@review_view("write")
def decide(request: HttpRequest, access: Access, stage: str) -> HttpResponse:
    """The screening form's target: record the decision and go on to the next record."""
    stage = _stage(stage)
    if request.method != "POST":
        return redirect("screen", access.review.pk, stage)
    try:
        _decide_from_post(request, access, stage)
    except InputError as exc:
        messages.error(request, str(exc))
        url = reverse("screen", args=[access.review.pk, stage])
        return redirect(f"{url}?record={request.POST.get('record_id', '')}")
    skipped = request.POST.get("skip", "")
    url = reverse("screen", args=[access.review.pk, stage])
    return redirect(f"{url}?{urlencode({'skip': skipped})}" if skipped else url)


@review_view("write")
def undo(request: HttpRequest, access: Access, stage: str) -> HttpResponse:
    """Take back one's latest decision at this stage and show that record again."""
    stage = _stage(stage)
    if request.method != "POST":
        return redirect("screen", access.review.pk, stage)
    made = state.undo(access.review, stage, user_of(request))
    url = reverse("screen", args=[access.review.pk, stage])
    if made is None:
        messages.error(request, "Nothing to undo.")
        return redirect(url)
    messages.success(request, f"{made.record.record_id}: your last decision was taken back.")
    return redirect(f"{url}?record={made.record.record_id}")


@review_view("write")
def decide_json(request: HttpRequest, access: Access, stage: str) -> HttpResponse:
    """JSON endpoint for a decision: ``{"ok": true, "record_id": ..., "decision": ...}``.

    With ``next=1`` the answer also names the next record for this reviewer (``"next"``, null
    when none is left); that look-up reads the whole stage, so it is only done when asked for.
    """
    stage = _stage(stage)
    if request.method != "POST":
        return JsonResponse({"error": "POST a decision"}, status=405)
    try:
        record, made = _decide_from_post(request, access, stage)
    except InputError as exc:
        return JsonResponse({"ok": False, "error": str(exc)}, status=400)
    answer: dict[str, Any] = {"ok": True, "record_id": record.record_id, "decision": made.decision}
    if request.POST.get("next") == "1" or request.GET.get("next") == "1":
        upcoming = state.next_record(access.review, stage, user_of(request).get_username())
        answer["next"] = upcoming.record_id if upcoming else None
    return JsonResponse(answer)


@review_view("read")
def records_export(request: HttpRequest, access: Access) -> HttpResponseBase:
    """The review's records as RIS or CSV (``evsynth export`` on the exported project folder):
    ``select`` unique, all, or an outcome (included, excluded, conflict, pending) at ``stage``.
    Decisions the viewer may not see yet are withheld first, as in the project export."""
    import io

    from django.http import FileResponse
    from django.utils.text import slugify

    from evsynth.records.export import export_text, select_records
    from evsynth.web.lib.project_run import project_folder

    select = request.GET.get("select", "unique")
    stage = request.GET.get("stage", "title_abstract")
    fmt = request.GET.get("format", "ris")
    try:
        with project_folder(access.review, viewer=user_of(request).get_username()) as root:
            text = export_text(select_records(root, select, stage), fmt)
    except InputError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    suffix = f"-{stage}" if select not in ("unique", "all") else ""
    name = f"{slugify(access.review.title) or 'review'}-{select}{suffix}.{fmt}"
    return FileResponse(io.BytesIO(text.encode("utf-8")), as_attachment=True, filename=name)


@review_view("read")
def records_list(request: HttpRequest, access: Access) -> HttpResponse:
    """Every record with where it stands at a stage, filtered by standing and by a search in
    its ID, title, authors and journal; blinded as the screening pages are."""
    from django.core.paginator import Paginator

    review = access.review
    stage = _stage(request.GET.get("stage", "title_abstract"))
    wanted = request.GET.get("status", "")
    query = request.GET.get("q", "").strip().lower()
    rows = state.standings(review, stage, user_of(request).get_username())
    counts: dict[str, int] = {}
    for _, status in rows:
        counts[status] = counts.get(status, 0) + 1
    if wanted:
        rows = [(r, s) for r, s in rows if s == wanted]
    if query:

        def matches(record: Record) -> bool:
            data = record.data
            text = " ".join(
                [record.record_id, str(data.get("title") or ""), str(data.get("journal") or "")]
                + [str(a) for a in data.get("authors") or []]
            )
            return query in text.lower()

        rows = [(r, s) for r, s in rows if matches(r)]
    shown = Paginator(rows, 100).get_page(request.GET.get("page"))
    return page(
        request,
        access,
        "screening/records.html",
        {
            "stage": stage,
            "stage_label": STAGES[stage],
            "stages": STAGES,
            "status": wanted,
            "q": request.GET.get("q", ""),
            "counts": sorted(counts.items()),
            "total": sum(counts.values()),
            "shown": shown,
            "rows": [
                {
                    "record": r,
                    "status": s,
                    "authors": "; ".join((r.data.get("authors") or [])[:3])
                    + (" et al." if len(r.data.get("authors") or []) > 3 else ""),
                    "year": r.data.get("year") or "",
                    "journal": r.data.get("journal") or "",
                }
                for r, s in shown
            ],
        },
    )


@review_view("read")
def records_json(request: HttpRequest, access: Access) -> HttpResponse:
    """Every record with the screening decisions the viewer may see (blinded as the pages are)."""
    review = access.review
    viewer = user_of(request).get_username()
    log = state.screening_log(review)
    dups = state.duplicate_record_ids(review)
    out = []
    for record in Record.objects.filter(review=review):
        stages = {}
        for stage in STAGES:
            seen = state.visible(log, record.record_id, stage, viewer)
            full = state.may_see_all(log, record.record_id, stage, viewer)
            stages[stage] = {
                "decisions": [
                    {"reviewer": d.reviewer, "decision": d.decision, "reason": d.reason}
                    for d in seen
                ],
                "outcome": log.outcome(record.record_id, stage).outcome if full else "blinded",
            }
        out.append(
            {
                "id": record.record_id,
                "title": record.title,
                "duplicate": record.record_id in dups,
                "screening": stages,
            }
        )
    return JsonResponse({"records": out})


# -------------------------------------------------------------------------------- conflicts


@review_view("read")
def conflicts(request: HttpRequest, access: Access) -> HttpResponse:
    review = access.review
    if request.method == "POST":
        stage = _stage(request.POST.get("stage", ""))
        record = get_object_or_404(Record, review=review, record_id=request.POST.get("record_id"))
        try:
            state.resolve(
                review,
                record,
                stage,
                user_of(request),
                request.POST.get("decision", ""),
                request.POST.get("reason", ""),
            )
        except InputError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{record.record_id}: resolved.")
        return redirect("conflicts", review.pk)
    log = state.screening_log(review)
    by_id = {r.record_id: r for r in Record.objects.filter(review=review)}
    queue = [
        {"conflict": c, "record": by_id.get(c.record_id)}
        for stage in STAGES
        for c in log.conflicts(stage)
    ]
    return page(
        request,
        access,
        "screening/conflicts.html",
        {
            "queue": queue,
            "reasons": state.screening_settings(review).get("exclusion_reasons") or [],
        },
    )


# -------------------------------------------------------------------------------- full text


@review_view("read")
def fulltext(request: HttpRequest, access: Access) -> HttpResponse:
    review = access.review
    if request.method == "POST":
        if not access.can_write:
            raise PermissionDenied("Read-only members cannot change this review")
        record = get_object_or_404(Record, review=review, record_id=request.POST.get("record_id"))
        if request.POST.get("action") == "attach":
            _attach_report(request, access, record)
            return redirect("fulltext", review.pk)
        state.record_retrieval(
            review,
            record,
            user_of(request),
            sought=True,
            retrieved=request.POST.get("retrieved") == "yes",
        )
        return redirect("fulltext", review.pk)
    from evsynth.records.screening.fulltexts import fulltext_name

    log = state.screening_log(review)
    viewer = user_of(request).get_username()
    reports = state.report_ids(review)
    rows = []
    for record in state.screenable(review, "full_text", log):
        retrieval = log.retrieval(record.record_id)
        full = state.may_see_all(log, record.record_id, "full_text", viewer)
        mine = log.current(record.record_id, "full_text").get(viewer)
        rows.append(
            {
                "record": record,
                "retrieval": retrieval,
                "mine": mine,
                "outcome": log.outcome(record.record_id, "full_text") if full else None,
                "report": fulltext_name(record.record_id) in reports,
            }
        )
    return page(
        request,
        access,
        "screening/fulltext.html",
        {"rows": rows, "max_mb": settings.EVSYNTH_MAX_UPLOAD_BYTES // (1024 * 1024)},
    )


def _attach_report(request: HttpRequest, access: Access, record: Record) -> None:
    """The full-text page's upload: a PDF for one record, or a form error that says why not."""
    upload = request.FILES.get("report")
    if upload is None:
        messages.error(request, "Choose the report's PDF file to attach.")
        return
    name = upload.name or "report.pdf"
    try:
        if upload.size is not None and upload.size > settings.EVSYNTH_MAX_UPLOAD_BYTES:
            raise InputError(
                f"the file is larger than {settings.EVSYNTH_MAX_UPLOAD_BYTES} bytes", file=name
            )
        state.attach_report(access.review, record, user_of(request), upload.read(), name)
    except InputError as exc:
        messages.error(request, str(exc))
        return
    messages.success(request, f"Full text of {record.record_id} attached.")


@review_view("read")
def fulltext_file(request: HttpRequest, access: Access, record_id: str) -> HttpResponseBase:
    """A record's attached full-text report, shown in the browser."""
    import io

    from django.http import FileResponse

    from evsynth.records.screening.fulltexts import fulltext_name

    record = get_object_or_404(Record, review=access.review, record_id=record_id)
    stored = get_object_or_404(
        ProjectFile, review=access.review, path=fulltext_name(record.record_id)
    )
    response = FileResponse(
        io.BytesIO(bytes(stored.content)),
        content_type="application/pdf",
        filename=f"{record.record_id}.pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
