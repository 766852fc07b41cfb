"""Review list, creation, overview, protocol, team, audit trail, jobs, export and import."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from evsynth.errors import InputError
from evsynth.web.lib import project_io
from evsynth.web.lib.access import Access, review_view, user_of
from evsynth.web.lib.audit import record_event
from evsynth.web.lib.pages import page
from evsynth.web.reviews.models import AuditEvent, Job, Membership, Review, Role
from evsynth.web.screening.models import Record, Stage
from evsynth.web.screening.state import may_see_all, screening_log

PROTOCOL_TEMPLATE = """\
title: {title}
question:
  population: ""
  intervention: ""
outcomes: []
screening:
  exclusion_reasons: [wrong population, wrong intervention, wrong design, no outcome data]
"""


def home(request: HttpRequest) -> HttpResponse:
    return redirect("review-list")


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        title = request.POST.get("title", "").strip()
        if not title:
            messages.error(request, "A review needs a title.")
            return redirect("review-list")
        with transaction.atomic():
            review = Review.objects.create(
                title=title,
                protocol_yaml=PROTOCOL_TEMPLATE.format(title=_yaml_str(title)),
                created_by=user_of(request),
            )
            Membership.objects.create(review=review, user=user_of(request), role=Role.LEAD)
            record_event(review, user_of(request), "review.create", value={"title": title})
        return redirect("review-home", review.pk)
    memberships = Membership.objects.filter(user=user_of(request)).select_related("review")
    return render(request, "reviews/list.html", {"memberships": memberships})


def _agreement(log: Any, stage: str) -> dict[str, Any] | None:
    """Cohen's kappa between the two screeners at a stage (the records layer's ``kappa``)."""
    from evsynth.records.screening.agreement import kappa

    overall = kappa(log, stage).overall
    if overall.n == 0:
        return None
    return {
        "n": overall.n,
        "kappa": None if math.isnan(overall.kappa) else overall.kappa,
        "percent": overall.percent_agreement,
        "label": overall.label,
    }


def _yaml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@login_required
@require_POST
def review_import(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("project")
    if upload is None:
        messages.error(request, "Choose a project zip to import.")
        return redirect("review-list")
    if upload.size is not None and upload.size > settings.EVSYNTH_MAX_UPLOAD_BYTES:
        raise InputError("the file is larger than this server accepts", file=upload.name)
    files = project_io.read_zip(upload.read(), upload.name or "upload.zip")
    review = project_io.import_files(files, user_of(request))
    record_event(review, user_of(request), "review.import", value={"file": upload.name})
    messages.success(request, f"Imported review '{review.title}'.")
    return redirect("review-home", review.pk)


@review_view("read")
def review_home(request: HttpRequest, access: Access) -> HttpResponse:
    review = access.review
    log = screening_log(review)
    viewer = user_of(request).get_username()
    stages = []
    for stage in Stage:
        # Outcomes exist only once every required reviewer has decided; a record with one
        # decision counts as "pending" whatever that decision was, so blinding holds here too.
        ids = log.record_ids(stage.value)
        outcomes = [log.outcome(rid, stage.value).outcome for rid in ids]
        stages.append(
            {
                "label": stage.label,
                "decided": len(ids),
                "include": outcomes.count("include"),
                "exclude": outcomes.count("exclude"),
                "conflict": outcomes.count("conflict"),
                "pending": outcomes.count("pending"),
                "mine": sum(1 for rid in ids if viewer in log.current(rid, stage.value)),
                "agreement": _agreement(log, stage.value),
            }
        )
    return page(
        request,
        access,
        "reviews/home.html",
        {
            "records": Record.objects.filter(review=review).count(),
            "stages": stages,
            "jobs": Job.objects.filter(review=review).defer("output")[:5],
            "members": Membership.objects.filter(review=review).select_related("user"),
        },
    )


@review_view("read")
def protocol(request: HttpRequest, access: Access) -> HttpResponse:
    review = access.review
    if request.method == "POST":
        if not access.is_lead:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied("Only the review lead edits the protocol")
        text = request.POST.get("protocol_yaml", "")
        _validate_protocol(text)
        previous = review.protocol_yaml
        with transaction.atomic():
            review.protocol_yaml = text
            review.save(update_fields=["protocol_yaml"])
            record_event(review, user_of(request), "protocol.edit", previous=previous, value=text)
        messages.success(request, "Protocol saved.")
        return redirect("protocol", review.pk)
    return page(request, access, "reviews/protocol.html")


def _validate_protocol(text: str) -> None:
    """Check the protocol with the evidence layer, exactly as ``evsynth review`` reads it."""
    import tempfile
    from pathlib import Path

    from evsynth.evidence.protocol import Protocol
    from evsynth.evidence.yamlsource import read_yaml, validate_yaml

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "review.yaml"
        path.write_text(text, encoding="utf-8")
        data, node = read_yaml(path)
        if not isinstance(data, dict):
            raise InputError("the protocol must be a YAML mapping", file="review.yaml", row=1)
        try:
            validate_yaml(Protocol, data, node, path)
        except InputError as exc:
            raise InputError(
                exc.message, file="review.yaml", row=exc.row, column=exc.column
            ) from exc


@review_view("read")
def members(request: HttpRequest, access: Access) -> HttpResponse:
    review = access.review
    if request.method == "POST":
        if not access.is_lead:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied("Only the review lead manages the team")
        _change_membership(request, review)
        return redirect("members", review.pk)
    return page(
        request,
        access,
        "reviews/members.html",
        {
            "members": Membership.objects.filter(review=review).select_related("user"),
            "roles": Role.choices,
        },
    )


def _change_membership(request: HttpRequest, review: Review) -> None:
    username = request.POST.get("username", "").strip()
    role = request.POST.get("role", "")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        messages.error(request, f"No account named '{username}'.")
        return
    with transaction.atomic():
        existing = Membership.objects.filter(review=review, user=user).first()
        previous = existing.role if existing else None
        if role == "remove":
            if existing is None:
                return
            if user == user_of(request):
                messages.error(request, "A lead cannot remove themselves.")
                return
            existing.delete()
        elif role in Role.values:
            if existing and user == user_of(request) and role != Role.LEAD:
                messages.error(request, "A lead cannot demote themselves.")
                return
            Membership.objects.update_or_create(review=review, user=user, defaults={"role": role})
        else:
            messages.error(request, f"Unknown role '{role}'.")
            return
        record_event(review, user_of(request), "team.role", username, previous=previous, value=role)
    messages.success(request, f"{username}: {role}.")


@review_view("read")
def audit(request: HttpRequest, access: Access) -> HttpResponse:
    events = list(AuditEvent.objects.filter(review=access.review).order_by("-id")[:500])
    return page(
        request,
        access,
        "reviews/audit.html",
        {"events": blind_events(access.review, events, user_of(request).get_username())},
    )


def blind_events(review: Review, events: list[AuditEvent], viewer: str) -> list[dict[str, Any]]:
    """Audit rows as the viewer may see them: others' screening decisions masked until unblinded."""
    log = screening_log(review)
    rows = []
    for event in events:
        row = {
            "at": event.at,
            "username": event.username,
            "action": event.action,
            "target": event.target,
            "previous": event.previous,
            "value": event.value,
        }
        if event.action == "screening.decide" and event.username != viewer:
            record_id, _, stage = event.target.rpartition(" ")
            if not may_see_all(log, record_id, stage, viewer):
                row["previous"] = row["value"] = "(blinded until you have decided this record)"
        rows.append(row)
    return rows


@review_view("read")
def job_status(request: HttpRequest, access: Access, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job.objects.defer("output"), pk=job_id, review=access.review)
    return JsonResponse(
        {
            "id": job.pk,
            "kind": job.kind,
            "status": job.status,
            "progress": job.progress,
            "total": job.total,
            "message": job.message,
            "result": job.result,
        }
    )


@review_view("read")
def job_download(request: HttpRequest, access: Access, job_id: int) -> HttpResponseBase:
    job = get_object_or_404(Job, pk=job_id, review=access.review, status="done")
    if not job.output:
        from django.http import Http404

        raise Http404("This job has no file")
    import io

    return FileResponse(io.BytesIO(bytes(job.output)), as_attachment=True, filename=job.output_name)


@review_view("read")
def export(request: HttpRequest, access: Access) -> HttpResponseBase:
    data, withheld = project_io.export_zip(access.review, user_of(request).get_username())
    import io

    name = f"{slugify(access.review.title) or 'review'}.zip"
    response = FileResponse(io.BytesIO(data), as_attachment=True, filename=name)
    response["X-Evsynth-Withheld-Decisions"] = str(withheld)
    return response
