"""Analyses with forest plots, the evidence grade, the PRISMA flow and the three documents.

Every page computes from the current rows with ``evsynth.review.run.build_run``, the function
behind ``evsynth review``, so the browser and the command line cannot disagree.
"""

from __future__ import annotations

import base64
import io
import math
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse

from evsynth.errors import InputError
from evsynth.web.lib import project_run
from evsynth.web.lib.access import Access, review_view, user_of
from evsynth.web.lib.audit import record_event
from evsynth.web.lib.jobs import Progress, start_job
from evsynth.web.lib.pages import page
from evsynth.web.reviews.models import AuditEvent, Job, JobStatus


class _NanEncoder(DjangoJSONEncoder):
    """JSON has no NaN or infinity: they become null (an undefined prediction interval)."""

    def encode(self, o: Any) -> str:
        return super().encode(_finite(o))


def _finite(o: Any) -> Any:
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_finite(v) for v in o]
    return o


def _svg_data_uri(fig: Any) -> str:
    """A figure as an <img> data URI: SVG text in an image cannot run scripts in the page."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _run_or_error(access: Access) -> tuple[Any, str | None]:
    try:
        return project_run.build(access.review), None
    except InputError as exc:
        return None, str(exc)


def _model(r: Any) -> dict[str, Any]:
    from evsynth.stats.escalc import back_transform

    row = {
        "method": r.method,
        "k": r.k,
        "estimate": r.estimate,
        "ci_lower": r.ci_lower,
        "ci_upper": r.ci_upper,
        "p_value": r.p_value,
        "tau2": r.tau2,
        "I2": r.I2,
        "Q": r.Q,
        "Q_p": r.Q_p,
        "pi_lower": r.pi_lower,
        "pi_upper": r.pi_upper,
    }
    # p below 0.0001 is printed as such: more digits claim a precision no one should act on.
    row["p_text"] = "< 0.0001" if r.p_value < 0.0001 else f"{r.p_value:.4f}"
    back = [float(back_transform(r.measure, v)) for v in (r.estimate, r.ci_lower, r.ci_upper)]
    if back != [r.estimate, r.ci_lower, r.ci_upper]:
        row["reporting"] = back
    return row


@review_view("read")
def analysis(request: HttpRequest, access: Access) -> HttpResponse:
    from evsynth.report.figures.forest import forest_plot

    run, error = _run_or_error(access)
    analyses = []
    for a in run.analyses if run is not None else ():
        fig = forest_plot([a.fixed, a.random], title=a.title)
        analyses.append(
            {
                "run": a,
                "models": [_model(a.fixed), _model(a.random)],
                "forest": _svg_data_uri(fig),
                "warnings": sorted(set(a.fixed.warnings) | set(a.random.warnings)),
            }
        )
    findings = [f.to_dict() for f in run.findings] if run is not None else []
    return page(
        request,
        access,
        "analysis/analysis.html",
        {"analyses": analyses, "error": error, "findings": findings},
    )


@review_view("read")
def analysis_json(request: HttpRequest, access: Access) -> HttpResponse:
    """The analyses as JSON: each model's fields as ``evsynth meta`` prints them."""
    run, error = _run_or_error(access)
    if run is None:
        return JsonResponse({"error": error}, status=400)
    return JsonResponse(
        {
            "analyses": [
                {
                    "id": a.id,
                    "title": a.title,
                    "outcome": a.outcome,
                    "timepoint_months": a.timepoint_months,
                    "fixed": a.fixed.to_dict(),
                    "random": a.random.to_dict(),
                }
                for a in run.analyses
            ],
            "evidence": {
                "level": run.evidence.level,
                "label": run.evidence.label,
                "rationale": run.evidence.rationale,
            },
            "prisma": run.prisma,
        },
        json_dumps_params={"allow_nan": False},
        encoder=_NanEncoder,
    )


@review_view("read")
def grade(request: HttpRequest, access: Access) -> HttpResponse:
    run, error = _run_or_error(access)
    return page(request, access, "analysis/grade.html", {"run": run, "error": error})


@review_view("read")
def prisma(request: HttpRequest, access: Access) -> HttpResponse:
    run, error = _run_or_error(access)
    diagram = None
    if run is not None and run.prisma_counts is not None:
        from evsynth.report.figures.prisma import prisma_diagram

        diagram = _svg_data_uri(prisma_diagram(run.prisma_counts))
    counts = _prisma_rows(run.prisma) if run is not None and run.prisma else None
    return page(
        request,
        access,
        "analysis/prisma.html",
        {"counts": counts, "diagram": diagram, "error": error},
    )


def _prisma_rows(counts: dict[str, Any]) -> list[tuple[str, Any]]:
    """PRISMA boxes as (label, n) rows; per-source and per-reason counts as their own rows."""
    rows: list[tuple[str, Any]] = []
    for key, value in counts.items():
        label = key.replace("_", " ")
        if isinstance(value, dict):
            rows.extend((f"{label}: {name}", n) for name, n in value.items())
        elif value is not None:
            rows.append((label, value))
    return rows


@review_view("read")
def documents(request: HttpRequest, access: Access) -> HttpResponse:
    review = access.review
    if request.method == "POST":
        job = Job.objects.create(review=review, kind="documents", created_by=user_of(request))

        def work(job: Job, progress: Progress) -> dict[str, Any]:
            progress(0, 0, "computing the analyses")
            run = project_run.build(review)
            progress(1, 0, "writing the documents")
            data, names = _build_documents(run, progress)
            Job.objects.filter(pk=job.pk).update(
                output=data, output_name=f"{run.slug or 'review'}-documents.zip"
            )
            record_event(review, job.created_by, "documents.build", value={"files": names})
            progress(1, 1, f"{len(names)} files")
            return {"files": names}

        started = start_job(job, work)
        return redirect(f"{reverse('documents', args=[review.pk])}?job={started.pk}")
    job_id = request.GET.get("job")
    shown = Job.objects.filter(review=review, pk=job_id).defer("output").first() if job_id else None
    latest = (
        Job.objects.filter(review=review, kind="documents", status=JobStatus.DONE)
        .defer("output")
        .first()
    )
    # Stale when anything was decided or changed after the latest build finished.
    stale = (
        latest is not None
        and AuditEvent.objects.filter(review=review, at__gt=latest.updated_at)
        .exclude(action="documents.build")
        .exists()
    )
    return page(
        request,
        access,
        "analysis/documents.html",
        {"job": shown, "latest": latest, "stale": stale},
    )


def _build_documents(run: Any, progress: Progress) -> tuple[bytes, list[str]]:
    """The outputs of ``evsynth review run`` (report, brief, plain-language summary) as a zip."""
    from evsynth.review.build import write_outputs

    with tempfile.TemporaryDirectory(prefix="evsynth-docs-") as tmp:
        out = Path(tmp) / "out"
        steps = iter(range(2, 100))
        write_outputs(run, out, progress=lambda step: progress(next(steps), 0, step))
        buffer = io.BytesIO()
        names = []
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(out.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    name = path.relative_to(out).as_posix()
                    archive.write(path, name)
                    names.append(name)
    return buffer.getvalue(), names


@review_view("read")
def document_file(request: HttpRequest, access: Access, job_id: int, name: str) -> HttpResponseBase:
    """One file out of a documents job (report.html, the brief, the summary ...)."""
    job = get_object_or_404(Job, pk=job_id, review=access.review, status=JobStatus.DONE)
    if not job.output:
        raise Http404("No documents")
    with zipfile.ZipFile(io.BytesIO(bytes(job.output))) as archive:
        if name not in archive.namelist():
            raise Http404("No such document")
        data = archive.read(name)
    from django.http import FileResponse

    # Served as a download, never inline: the documents are the team's, not part of this site.
    return FileResponse(io.BytesIO(data), as_attachment=True, filename=Path(name).name)
