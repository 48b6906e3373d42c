"""API requests while the database cannot be reached: JSON 503, never Django's HTML 500.

Each case runs the API in a fresh interpreter whose database really is unreachable (a closed
port, a PostgreSQL "server" that hangs up at once, an SQLite file that cannot be opened), so the
whole stack answers: authentication, views, the exception handler. Nothing here needs the test
run's own database, so every case runs on SQLite and PostgreSQL runs alike.
"""

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import InterfaceError, OperationalError

from argus.site.exceptions import DATABASE_UNAVAILABLE_MESSAGE, database_unavailable

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "0123456789abcdef0123456789abcdef01234567"
REQUESTS = [
    ("get", "/api/v2/incidents/", None),
    ("get", "/api/v1/incidents/open/", None),
    ("post", "/api/v2/incidents/", {"start_time": "2024-05-01T10:00:00Z", "tags": []}),
    ("get", "/api/v2/incidents/1/tags/", None),
    ("post", "/api/v2/notificationprofiles/filterpreview/", {"tags": ["a=b"]}),
    ("get", "/api/v1/auth/user/", None),
    ("post", "/api/v2/auth/token/login/", {"username": "u", "password": "p"}),
    ("post", "/api/v2/token-auth/", {"username": "u", "password": "p"}),
]
CLIENT_CODE = f"""
import json
from django.test import Client

client = Client(raise_request_exception=False, HTTP_AUTHORIZATION="Token {TOKEN}")
results = []
for method, path, body in {REQUESTS!r}:
    if body is None:
        response = getattr(client, method)(path)
    else:
        response = getattr(client, method)(path, json.dumps(body), content_type="application/json")
    results.append([method, path, response.status_code, response["Content-Type"], response.content.decode()])
print(json.dumps(results))
"""


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def hanging_up_server():
    """A TCP server on 127.0.0.1 that accepts each connection and closes it at once."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    listener.close()


def api_answers(database_url: str) -> list:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DJANGO_SETTINGS_MODULE="argus.site.settings.test", DATABASE_URL=database_url)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", CLIENT_CODE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def assert_all_503(answers):
    assert len(answers) == len(REQUESTS)
    for method, path, status, content_type, body in answers:
        assert (status, content_type) == (503, "application/json"), (method, path, status, body[:300])
        assert json.loads(body) == {"detail": DATABASE_UNAVAILABLE_MESSAGE}


def test_postgresql_on_a_closed_port_answers_503():
    port = closed_port()
    assert_all_503(api_answers(f"postgres://argus:secret@127.0.0.1:{port}/argus"))


def test_postgresql_server_that_hangs_up_answers_503(hanging_up_server):
    assert_all_503(api_answers(f"postgres://argus:secret@127.0.0.1:{hanging_up_server}/argus"))


def test_sqlite_file_that_cannot_be_opened_answers_503(tmp_path):
    assert_all_503(api_answers(f"sqlite:///{tmp_path}/no-such-directory/argus.sqlite3"))


def _error_caused_by(cause) -> OperationalError:
    try:
        raise OperationalError(str(cause)) from cause
    except OperationalError as error:
        return error


class _PgError(Exception):
    def __init__(self, pgcode):
        super().__init__("server text")
        self.pgcode = pgcode


class _SqliteError(Exception):
    def __init__(self, code):
        super().__init__("sqlite text")
        self.sqlite_errorcode = code


@pytest.mark.parametrize(
    "cause, unavailable",
    [
        (_PgError(None), True),  # could not connect, or the connection was lost
        (_PgError("08006"), True),  # connection failure
        (_PgError("57P01"), True),  # administrator shutdown
        (_PgError("53300"), True),  # too many connections
        (_PgError("54001"), False),  # statement too complex: our bug, not an outage
        (_PgError("57014"), False),  # statement timeout
        (_SqliteError(14), True),  # cannot open the file
        (_SqliteError(5), True),  # busy
        (_SqliteError(266), True),  # an extended I/O error code
        (_SqliteError(1), False),  # plain SQL error
    ],
)
def test_only_errors_of_reaching_the_database_count_as_unavailable(cause, unavailable):
    assert database_unavailable(_error_caused_by(cause)) is unavailable


def test_interface_errors_count_and_other_errors_do_not():
    try:
        raise InterfaceError("connection already closed") from _PgError(None)
    except InterfaceError as error:
        assert database_unavailable(error)
    assert not database_unavailable(ValueError("x"))
