"""Log in, log out, sign up; login throttling per user name and address; password hashing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import LazySettings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from websupport import PASSWORD, make_user

from evsynth.web.accounts.models import LoginFailure


def _login(client: Client, username: str, password: str, ip: str = "10.0.0.1") -> int:
    response = client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )
    return response.status_code


def test_login_and_logout(db: None) -> None:
    make_user("ada")
    client = Client()
    response = client.post(reverse("login"), {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("review-list")
    assert client.get(reverse("review-list")).status_code == 200
    # Logging out is a POST (a link or image could otherwise log a user out).
    assert client.get(reverse("logout")).status_code == 302
    assert client.get(reverse("review-list")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("review-list")).status_code == 302


def test_login_redirects_only_to_this_site(db: None) -> None:
    make_user("ada")
    response = Client().post(
        reverse("login") + "?next=https://evil.example/",
        {"username": "ada", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("review-list")


def test_throttle_after_max_failures(db: None, settings: LazySettings) -> None:
    settings.EVSYNTH_LOGIN_MAX_FAILURES = 3
    make_user("ada")
    client = Client()
    for _ in range(3):
        assert _login(client, "ada", "wrong") == 200  # the form again, with its error
    # Locked now: even the right password is refused, with 429 and a message.
    response = client.post(
        reverse("login"), {"username": "ada", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 429
    assert b"Too many failed attempts" in response.content
    assert "_auth_user_id" not in client.session
    # Counted per user name and address: the same user from another address is not locked,
    # and the user name is matched without regard to case.
    assert _login(Client(), "ada", PASSWORD, ip="10.0.0.2") == 302
    assert _login(Client(), "ADA", PASSWORD, ip="10.0.0.1") == 429


def test_throttle_ends_after_the_window(db: None, settings: LazySettings) -> None:
    settings.EVSYNTH_LOGIN_MAX_FAILURES = 2
    settings.EVSYNTH_LOGIN_LOCKOUT_SECONDS = 600
    make_user("ada")
    for _ in range(2):
        _login(Client(), "ada", "wrong")
    assert _login(Client(), "ada", PASSWORD) == 429
    # Age the failures past the window: the lock lifts by itself.
    for failure in LoginFailure.objects.all():
        LoginFailure.objects.filter(pk=failure.pk).update(at=failure.at - timedelta(seconds=601))
    assert _login(Client(), "ada", PASSWORD) == 302
    # A successful login clears the count.
    assert LoginFailure.objects.count() == 0


def test_signup_creates_account_and_can_be_closed(db: None, settings: LazySettings) -> None:
    client = Client()
    response = client.post(
        reverse("signup"),
        {"username": "newbie", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert user.password.startswith("md5$")  # the suite's fast hasher (see below for production)
    settings.EVSYNTH_SIGNUP_OPEN = False
    assert Client().get(reverse("signup")).status_code == 404


def test_production_hasher_is_pbkdf2(db: None) -> None:
    """The settings module (not the suite's override) hashes with PBKDF2, never plain text."""
    from django.contrib.auth.hashers import make_password
    from django.test import override_settings

    from evsynth.web import settings as production

    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        hashed = make_password(PASSWORD)
    assert hashed.startswith("pbkdf2_sha256$")
    assert PASSWORD not in hashed


@pytest.mark.parametrize("url", ["/reviews/", "/reviews/1/", "/reviews/1/screen/title_abstract/"])
def test_anonymous_is_sent_to_login(db: None, url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_password_change(db: None) -> None:
    make_user("ada")
    client = Client()
    client.post(reverse("login"), {"username": "ada", "password": PASSWORD})
    new = "a different long passphrase 42"
    response = client.post(
        reverse("password-change"),
        {"old_password": "wrong", "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 200  # the form again: the old password is checked
    response = client.post(
        reverse("password-change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert client.get(reverse("review-list")).status_code == 200  # still logged in
    assert _login(Client(), "ada", PASSWORD) == 200
    assert _login(Client(), "ada", new) == 302
    assert Client().get(reverse("password-change")).status_code == 302
