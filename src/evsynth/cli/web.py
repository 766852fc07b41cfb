"""``evsynth serve``: the team web application on the embedded database, migrated on start."""

from __future__ import annotations

import os
import socketserver
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import click


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    """One thread per request: a screening team's requests must not queue behind an import."""

    daemon_threads = True
    allow_reuse_address = True
    # The default backlog of 5 resets connections when a team's browsers connect at once.
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        if os.environ.get("EVSYNTH_ACCESS_LOG"):
            super().log_message(format, *args)


def prepare() -> str:
    """Configure Django, create the data folder and bring the database schema up to date.

    Returns a one-line description of the database in use.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evsynth.web.settings")
    from evsynth.web.lib.config import data_dir

    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"SQLite database {db['NAME']}"
    return f"PostgreSQL database {db['NAME']} on {db['HOST'] or 'localhost'}"


@click.command(name="serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def serve(host: str, port: int) -> None:
    """Run the team web application (SQLite in the data folder, or EVSYNTH_DATABASE_URL).

    For a production server use gunicorn with evsynth.web.wsgi (docs/deploy.md).
    """
    where = prepare()
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    try:
        server = make_server(
            host, port, application, server_class=_ThreadingServer, handler_class=_QuietHandler
        )
    except OSError as exc:
        click.echo(f"Error: cannot listen on {host}:{port}: {exc.strerror}", err=True)
        sys.exit(2)
    click.echo(f"evsynth web application on http://{host}:{port}/ ({where}); Ctrl-C stops it.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        server.server_close()
