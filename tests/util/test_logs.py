"""Log records carry the request they belong to; ARGUS_LOG_FORMAT=json writes one object per line."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory

from argus.util.logs import (
    JsonFormatter,
    RequestContextFilter,
    TextFormatter,
    request_context,
    request_id_from,
)
from tests.factories import SourceSystemFactory

ROOT = Path(__file__).resolve().parents[2]


def record(message="hello", **extra) -> logging.LogRecord:
    rec = logging.LogRecord("argus.test", logging.WARNING, __file__, 1, message, (), None)
    rec.__dict__.update(extra)
    RequestContextFilter().filter(rec)
    return rec


def test_a_record_outside_a_request_has_no_request_fields():
    line = JsonFormatter().format(record())
    entry = json.loads(line)
    assert set(entry) == {"time", "level", "logger", "message"}
    assert entry["level"] == "WARNING" and entry["logger"] == "argus.test" and entry["message"] == "hello"
    assert "\n" not in line


@pytest.mark.django_db
def test_a_record_in_a_request_of_a_source_names_the_request_user_and_source():
    source = SourceSystemFactory(name="nav-oslo")
    user = type(source.user).objects.select_related("source_system").get(pk=source.user.pk)
    request = RequestFactory().get("/api/v2/incidents/")
    request.user = user  # as the API's authentication leaves it
    with request_context("abc123", request):
        entry = json.loads(JsonFormatter().format(record()))
    assert entry["request_id"] == "abc123"
    assert entry["user"] == "nav-oslo" and entry["source"] == "nav-oslo"


def test_a_lazy_session_user_is_not_read_from_a_log_call():
    from django.utils.functional import SimpleLazyObject

    def fail():
        raise AssertionError("the log filter read the user")

    request = RequestFactory().get("/")
    request.user = SimpleLazyObject(fail)
    with request_context("r1", request):
        rec = record()
    assert rec.user is None and rec.request_id == "r1"


def test_an_exception_is_one_field_of_the_line():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys as _sys

        rec = logging.LogRecord("argus", logging.ERROR, __file__, 1, "failed", (), _sys.exc_info())
    entry = json.loads(JsonFormatter().format(rec))
    assert entry["message"] == "failed"
    assert "Traceback" in entry["exception"] and "ValueError: boom" in entry["exception"]


def test_the_text_format_adds_the_request_id():
    formatter = TextFormatter("%(levelname)s %(message)s")
    assert formatter.format(record(request_id="r9")) == "WARNING hello [request r9]"
    assert formatter.format(record()) == "WARNING hello"


@pytest.mark.parametrize(
    "header, kept", [("abc-123_x.y:z", True), ("", False), ("a b", False), ("x" * 200, False), (None, False)]
)
def test_a_client_request_id_is_kept_only_when_it_is_a_sane_token(header, kept):
    request_id = request_id_from(header)
    assert (request_id == header) is kept
    assert request_id


def test_every_response_carries_its_request_id(client):
    response = client.get("/.still-alive/")
    assert "X-Request-ID" not in response  # probes are served before everything
    response = client.get("/api/", HTTP_X_REQUEST_ID="trace-42")
    assert response["X-Request-ID"] == "trace-42"
    assert len(client.get("/api/")["X-Request-ID"]) == 32


def run_manage(*args, **env) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "argus.site.settings.dev", **env}
    environment.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_commands_log_one_json_object_per_line_when_asked():
    code = "import logging; logging.getLogger('argus.test').warning('one\\ntwo')"
    result = run_manage("shell", "-v", "0", "-c", code, ARGUS_LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    entry = json.loads(line)
    assert entry["message"] == "one\ntwo" and entry["logger"] == "argus.test" and entry["level"] == "WARNING"


def test_the_default_log_format_is_text():
    code = "import logging; logging.getLogger('argus.test').warning('plain')"
    result = run_manage("shell", "-v", "0", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().endswith("WARNING argus.test plain")


def test_an_unknown_log_format_stops_the_start():
    result = run_manage("check", ARGUS_LOG_FORMAT="xml")
    assert result.returncode == 1
    assert result.stderr.strip() == 'Error: ARGUS_LOG_FORMAT must be one of text, json, not "xml"'
