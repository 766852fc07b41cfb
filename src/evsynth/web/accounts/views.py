"""Log in (throttled), log out, create an account."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, UserCreationForm
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from evsynth.web.accounts import throttle


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    form: AuthenticationForm = AuthenticationForm(request, data=request.POST or None)
    context: dict[str, object] = {
        "form": form,
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "signup_open": settings.EVSYNTH_SIGNUP_OPEN,
    }
    if request.method == "POST":
        username = request.POST.get("username", "")
        ip = throttle.client_ip(request)
        locked = throttle.seconds_locked(username, ip)
        if locked:
            # Refuse before checking the password, so a correct guess during the lockout
            # reveals nothing.
            context.update(throttled=True, retry_minutes=math.ceil(locked / 60))
            return render(request, "accounts/login.html", context, status=429)
        if form.is_valid():
            throttle.clear(username, ip)
            auth_login(request, form.get_user())
            return HttpResponseRedirect(_next_url(request))
        throttle.note_failure(username, ip)
    return render(request, "accounts/login.html", context)


def logout(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth import logout as auth_logout

    if request.method != "POST":
        return redirect("login")
    auth_logout(request)
    return redirect("login")


@sensitive_post_parameters("password1", "password2")
@csrf_protect
def signup(request: HttpRequest) -> HttpResponse:
    if not settings.EVSYNTH_SIGNUP_OPEN:
        raise Http404("Sign-up is closed on this server")
    form: UserCreationForm[Any] = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        auth_login(request, user)
        return redirect("review-list")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@csrf_protect
def password_change(request: HttpRequest) -> HttpResponse:
    """Change one's own password (the old one is asked again; the session stays logged in)."""
    user = request.user
    assert isinstance(user, User)
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, form.user)
        messages.success(request, "Password changed.")
        return redirect("review-list")
    return render(request, "accounts/password.html", {"form": form})
