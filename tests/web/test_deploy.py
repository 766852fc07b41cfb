"""Running the application: ``evsynth serve`` on the embedded database, and gunicorn in production.

Both are started as real server processes on a free loopback port and asked over HTTP.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from evsynth.web.lib.config import data_dir, database_from_url, env_bool

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@contextmanager
def _server(args: list[str], env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                raise AssertionError(f"server exited: {output}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVSYNTH_", "DJANGO_"))}
    env.update(EVSYNTH_DATA_DIR=str(tmp_path / "data"), **extra)
    return env


@pytest.mark.slow
def test_evsynth_serve_creates_and_migrates_its_database(tmp_path: Path) -> None:
    port = _free_port()
    env = _env(tmp_path)
    with _server([str(BIN / "evsynth"), "serve", "--port", str(port)], env, port):
        status, _, body = _get(f"http://127.0.0.1:{port}/accounts/login/")
        assert status == 200 and b"Log in" in body
        status, _, body = _get(f"http://127.0.0.1:{port}/static/evsynth/app.css")
        assert status == 200 and b"--accent" in body
        status, _, _ = _get(f"http://127.0.0.1:{port}/reviews/")
        assert status == 200  # followed the redirect to the login page
    data = tmp_path / "data"
    assert (data / "evsynth.sqlite3").stat().st_size > 0
    key = data / "secret_key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_text()) >= 50


def test_serve_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [str(BIN / "evsynth"), "serve", "--port", str(port)],
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_gunicorn_production_settings(tmp_path: Path) -> None:
    """The documented production way (docs/deploy.md): migrate, then gunicorn with the WSGI app."""
    port = _free_port()
    env = _env(
        tmp_path,
        EVSYNTH_SECRET_KEY="test-only-" + "k" * 50,
        EVSYNTH_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SETTINGS_MODULE="evsynth.web.settings",
    )
    migrate = subprocess.run(
        [str(BIN / "django-admin"), "migrate", "--noinput"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stderr
    args = [str(BIN / "gunicorn"), "evsynth.web.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"]
    with _server(args, env, port):
        status, headers, body = _get(f"http://127.0.0.1:{port}/accounts/login/")
        assert status == 200 and b'name="csrfmiddlewaretoken"' in body
        assert "csrftoken" in headers.get("Set-Cookie", "")
        assert headers.get("X-Frame-Options") == "DENY"
        # whitenoise serves the static files, with caching headers.
        status, headers, _ = _get(f"http://127.0.0.1:{port}/static/evsynth/screening.js")
        assert status == 200 and "max-age" in headers.get("Cache-Control", "")
        # DEBUG is off: an unknown page is the plain 404, not Django's debug page.
        status, _, body = _get(f"http://127.0.0.1:{port}/no-such-page/")
        assert status == 404 and b"URLconf" not in body and b"DEBUG" not in body
        # Only the configured host names are served.
        status, _, _ = _get(f"http://127.0.0.1:{port}/accounts/login/", host="evil.example")
        assert status == 400
    # No secret key file: the key came from the environment.
    assert not (tmp_path / "data" / "secret_key").exists()


def test_database_url() -> None:
    pg = database_from_url("postgresql://ann:s%40cret@db.example:6543/reviews", Path("x"))
    assert pg["ENGINE"] == "django.db.backends.postgresql"
    assert (pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"], pg["NAME"]) == (
        "ann",
        "s@cret",
        "db.example",
        "6543",
        "reviews",
    )
    lite = database_from_url("", Path("/data/evsynth.sqlite3"))
    # Busy timeout and BEGIN IMMEDIATE: writers queue instead of failing with "locked".
    assert lite["OPTIONS"]["timeout"] == 20
    assert lite["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    with pytest.raises(ImproperlyConfigured, match="mysql"):
        database_from_url("mysql://x/y", Path("x"))


def test_env_helpers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EVSYNTH_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path
    monkeypatch.delenv("EVSYNTH_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "evsynth"
    monkeypatch.setenv("EVSYNTH_DEBUG", "yes")
    assert env_bool("EVSYNTH_DEBUG", default=False) is True
    monkeypatch.setenv("EVSYNTH_DEBUG", "perhaps")
    with pytest.raises(ImproperlyConfigured, match="not a boolean"):
        env_bool("EVSYNTH_DEBUG", default=False)
