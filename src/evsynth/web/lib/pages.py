"""Rendering with the review and the user's role in the context (the layout needs both)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from evsynth.web.lib.access import Access


def page(
    request: HttpRequest,
    access: Access,
    template: str,
    context: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    full = {"review": access.review, "role": access.role, "access": access, **(context or {})}
    return render(request, template, full, status=status)
