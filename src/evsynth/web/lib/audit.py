"""Writing the audit trail: one call per decision, inside the decision's transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User

from evsynth.web.reviews.models import AuditEvent, Review


def record_event(
    review: Review,
    user: User | AnonymousUser | None,
    action: str,
    target: str = "",
    *,
    previous: Any = None,
    value: Any = None,
) -> AuditEvent:
    """Append who did ``action`` to ``target``, with the value before and after."""
    account = user if isinstance(user, User) else None
    return AuditEvent.objects.create(
        review=review,
        user=account,
        username=account.get_username() if account is not None else "",
        action=action,
        target=target,
        previous=previous,
        value=value,
    )
