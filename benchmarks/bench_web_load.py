"""Load benchmark of the web application: 20 reviewers screening at once against a local server.

Starts ``evsynth serve`` (the embedded SQLite database) and, when a PostgreSQL server answers on
127.0.0.1:5432, the same application under gunicorn on PostgreSQL; 20 reviewer threads log in and
post screening decisions through the JSON endpoint as fast as the server answers them, on the same
records. Reports the latency of a decision (median, p95, p99) and the throughput, and writes
benchmarks/results/web_load.json. Target: p95 under 150 ms. Loopback only; bounded in count and
time. There is no reference tool to time side by side (metafor has no web application).

Two load models: "reviewers" waits 0.5-1.5 s between decisions (reading a title and abstract
takes a person 10-30 s, so this is already 10-60 times faster than a real team); "stress" posts
the next decision as soon as the last is answered, which measures queueing on this 2-core machine
more than the application. The target applies to the first.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
REVIEWERS = 20
DECISIONS_EACH = 40
RECORDS = 800
TIME_LIMIT = 300.0  # seconds for the whole screening phase, whatever happens
PASSWORD = "bench-password-not-secret"
PG_URL = os.environ.get("EVSYNTH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(env: dict[str, str]) -> int:
    """Create the schema, 20 reviewers and a review with RECORDS records; return the review id."""
    script = f"""
import django, json
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from django.contrib.auth.models import User
from evsynth.web.reviews.models import Membership, Review, Role
from evsynth.web.screening.models import Record
owner = User.objects.create_user("lead", password={PASSWORD!r})
review = Review.objects.create(title="load", created_by=owner, protocol_yaml="title: load\\n")
Membership.objects.create(review=review, user=owner, role=Role.LEAD)
for i in range({REVIEWERS}):
    user = User.objects.create_user(f"reviewer{{i:02d}}", password={PASSWORD!r})
    Membership.objects.create(review=review, user=user, role=Role.REVIEWER)
rows = []
for i in range(1, {RECORDS} + 1):
    data = {{"id": f"r{{i:05d}}", "title": f"Record {{i}} on epidural adhesiolysis",
            "abstract": "x" * 800, "authors": ["Doe, J"], "year": 2020, "keywords": []}}
    rows.append(
        Record(review=review, record_id=data["id"], position=i, line=json.dumps(data), data=data)
    )
Record.objects.bulk_create(rows)
print(review.pk)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip().splitlines()[-1])


class Session:
    """One reviewer's browser session over a persistent loopback connection."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        for _ in range(2):
            try:
                return self._request(method, path, body)
            except (ConnectionError, http.client.HTTPException):
                # The server closed an idle keep-alive connection: open a new one.
                self.conn.close()
        return self._request(method, path, body)

    def _request(
        self, method: str, path: str, body: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
            headers["Referer"] = f"http://127.0.0.1:{self.conn.port}/"
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response.read()

    def login(self, username: str) -> None:
        status, page = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert status == 200 and token, status
        status, _ = self.request(
            "POST",
            "/accounts/login/",
            {
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1).decode(),
            },
        )
        assert status == 302, f"login failed: {status}"


def screen(port: int, review: int, think: tuple[float, float], offset: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    barrier = threading.Barrier(REVIEWERS)
    deadline = time.monotonic() + TIME_LIMIT

    def reviewer(i: int) -> None:
        try:
            work(i)
        except Exception as exc:
            errors.append(f"reviewer{i:02d}: {type(exc).__name__}: {exc}")
            barrier.abort()

    # Log in one after the other first: password hashing is deliberately slow (PBKDF2) and is
    # not what this benchmark measures.
    sessions = []
    for i in range(REVIEWERS):
        session = Session(port)
        session.login(f"reviewer{i:02d}")
        sessions.append(session)

    def work(i: int) -> None:
        session = sessions[i]
        barrier.wait(timeout=120)
        # Pairs of reviewers screen the same records, as in dual screening; every pair works on
        # its own slice so that all twenty post at once.
        start = offset + (i // 2) * DECISIONS_EACH
        pause = random.Random(i)
        for n in range(DECISIONS_EACH):
            if time.monotonic() > deadline:
                break
            if think[1] > 0:
                time.sleep(pause.uniform(*think))
            record = f"r{start + n + 1:05d}"
            t0 = time.perf_counter()
            status, body = session.request(
                "POST",
                f"/reviews/{review}/screen/title_abstract/decide.json",
                {"record_id": record, "decision": "include" if (i + n) % 3 else "exclude"},
            )
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                errors.append(f"{status} {body[:120]!r}")

    threads = [threading.Thread(target=reviewer, args=(i,)) for i in range(REVIEWERS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIME_LIMIT + 60)
    wall = time.perf_counter() - t0
    ms = sorted(x * 1000 for x in latencies)
    return {
        "reviewers": REVIEWERS,
        "decisions": len(ms),
        "errors": len(errors),
        "first_errors": errors[:3],
        "median_ms": round(statistics.median(ms), 1),
        "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1),
        "p99_ms": round(ms[int(0.99 * (len(ms) - 1))], 1),
        "max_ms": round(ms[-1], 1),
        "decisions_per_s": round(len(ms) / wall, 1),
    }


def run_server(args: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("server did not start")


LOADS = {"reviewers": (0.5, 1.5), "stress": (0.0, 0.0)}


def scenario(name: str, env: dict[str, str], server: list[str], port: int) -> list[dict[str, Any]]:
    review = prepare(env)
    process = run_server(server, env, port)
    results = []
    try:
        for k, (load, think) in enumerate(LOADS.items()):
            # Each load model screens its own records (10 pairs x 40 = 400 decisions each).
            result = screen(port, review, think, offset=k * (REVIEWERS // 2) * DECISIONS_EACH)
            result.update(
                setup=name,
                load=load,
                think_s=list(think),
                # The machine is shared: its load average says how much of it the run had.
                loadavg_1min=round(os.getloadavg()[0], 2),
                cpus=os.cpu_count(),
            )
            results.append(result)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return results


def postgres_ready() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def main() -> int:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("EVSYNTH_", "DJANGO_"))}
    results = []
    with tempfile.TemporaryDirectory(prefix="evsynth-bench-") as tmp:
        env = {
            **base,
            "EVSYNTH_DATA_DIR": str(Path(tmp) / "sqlite"),
            "DJANGO_SETTINGS_MODULE": "evsynth.web.settings",
            "EVSYNTH_SECRET_KEY": "bench-" + "x" * 50,
        }
        port = free_port()
        results.extend(
            scenario(
                "evsynth serve, SQLite (embedded)",
                env,
                [str(BIN / "evsynth"), "serve", "--port", str(port)],
                port,
            )
        )
        if postgres_ready():
            import psycopg

            name = "evsynth_bench_web"
            admin = PG_URL.rsplit("/", 1)[0] + "/postgres"
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name}")
                conn.execute(f"CREATE DATABASE {name}")
            try:
                env_pg = {**env, "EVSYNTH_DATABASE_URL": PG_URL.rsplit("/", 1)[0] + f"/{name}"}
                port = free_port()
                results.extend(
                    scenario(
                        "gunicorn 4 workers x 4 threads, PostgreSQL",
                        env_pg,
                        [
                            str(BIN / "gunicorn"),
                            "evsynth.web.wsgi",
                            "-b",
                            f"127.0.0.1:{port}",
                            "-w",
                            "4",
                            "--threads",
                            "4",
                            "--timeout",
                            "120",
                        ],
                        port,
                    )
                )
            finally:
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    for r in results:
        verdict = "under" if r["p95_ms"] < 150 else "OVER"
        print(
            f"{r['setup']}, load '{r['load']}': {r['decisions']} decisions by "
            f"{r['reviewers']} reviewers, "
            f"{r['errors']} errors; median {r['median_ms']} ms, p95 {r['p95_ms']} ms "
            f"({verdict} the 150 ms target), p99 {r['p99_ms']} ms; {r['decisions_per_s']}/s; "
            f"load average {r['loadavg_1min']} on {r['cpus']} CPUs"
        )
    out = HERE / "results" / "web_load.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"target_p95_ms": 150, "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
