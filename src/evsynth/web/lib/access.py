"""The one place that decides who may see and change a review.

Modelled on healthchecks' ``_get_check_for_user``: a helper returns the review together with
what the user may do, and every review view goes through :func:`review_view`. Anonymous users are
sent to log in, a user outside the review gets 404 (the review's existence is not disclosed), and a
member without the right role gets 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from evsynth.web.reviews.models import Membership, Review, Role

Mode = Literal["read", "write", "lead"]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Access:
    """A review as one user sees it: their role and what it allows."""

    review: Review
    role: str

    @property
    def can_write(self) -> bool:
        return self.role in (Role.LEAD, Role.REVIEWER)

    @property
    def is_lead(self) -> bool:
        return self.role == Role.LEAD


def user_of(request: HttpRequest) -> User:
    """The logged-in user of a request that went through ``login_required``."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("Log in first")
    return user


def get_review_for_user(request: HttpRequest, review_id: int) -> Access:
    """The review and the user's role in it; 404 when the user is not a member."""
    membership = (
        Membership.objects.select_related("review")
        .filter(review_id=review_id, user_id=user_of(request).pk)
        .first()
    )
    if membership is None:
        raise Http404("No such review")
    return Access(review=membership.review, role=membership.role)


def check(access: Access, mode: Mode, method: str) -> None:
    """Raise 403 unless ``access`` allows ``mode`` for a request with ``method``.

    ``read``: anyone in the review may GET, writing needs lead or reviewer; ``write``: every method
    needs lead or reviewer (the page exists only to change something); ``lead``: lead only.
    """
    if mode == "lead" and not access.is_lead:
        raise PermissionDenied("Only the review lead may do this")
    if mode == "write" and not access.can_write:
        raise PermissionDenied("Read-only members cannot change this review")
    if mode == "read" and method not in SAFE_METHODS and not access.can_write:
        raise PermissionDenied("Read-only members cannot change this review")


ReviewView = Callable[..., HttpResponseBase]


def review_view(mode: Mode = "read") -> Callable[[ReviewView], ReviewView]:
    """Decorate a view ``f(request, access, **kwargs)`` taking ``review_id`` from the URL."""

    def decorate(view: ReviewView) -> ReviewView:
        @login_required
        @functools.wraps(view)
        def wrapped(request: HttpRequest, review_id: int, **kwargs: object) -> HttpResponseBase:
            access = get_review_for_user(request, review_id)
            check(access, mode, request.method or "GET")
            return view(request, access, **kwargs)

        wrapped.review_mode = mode  # type: ignore[attr-defined]
        return wrapped

    return decorate
