"""Real server processes: metrics combined across the processes of one host, and readiness when
the database is gone."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time

import httpx
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.authtoken.models import Token

from tests.factories import SourceSystemFactory
from tests.integration.conftest import _launch, _wait_until_ready, database_url_for_server, stop_servers

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

SERVERS = 2


def server_env(tmp_dir) -> dict:
    """Both processes share one multiprocess directory: they are one host."""
    return {"PROMETHEUS_MULTIPROC_DIR": str(tmp_dir / "metrics"), "ARGUS_METRICS_CACHE_SECONDS": "0"}


def seed_data() -> dict:
    source = SourceSystemFactory(name="it_metrics", type__name="nav")
    return {"token": Token.objects.create(user=source.user).key}


@pytest.fixture(scope="module")
def servers(seeded_server):
    servers, seed = seeded_server
    return servers, seed["token"]


def scrape(server) -> dict:
    response = httpx.get(f"{server.base_url}/metrics", timeout=10)
    assert response.status_code == 200, response.text
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_counters_move_when_incidents_are_posted_through_another_process(servers):
    (first, second), token = servers
    before = scrape(second)
    response = httpx.post(
        f"{first.base_url}/api/v2/incidents/",
        json={"start_time": "2026-11-22T11:39:27+01:00", "description": "through A", "tags": []},
        headers={"Authorization": f"Token {token}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    after = scrape(second)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert (
        delta("argus_incidents_created_total", source_type="nav", source="it_metrics", stateful="true") == 1
    )
    assert delta("argus_ingest_requests_total", operation="incident_create", code="201") == 1
    assert delta("argus_ingest_request_duration_seconds_count", operation="incident_create") == 1
    assert (
        value(after, "argus_source_last_seen_timestamp_seconds", source_type="nav", source="it_metrics") > 0
    )
    assert scrape(first).keys() >= {key for key in after if key[0] == "argus_incidents_created_total"}


def test_websocket_connections_of_another_process_are_counted(servers):
    (first, second), token = servers

    async def connected():
        url = f"ws://127.0.0.1:{first.port}/ws/open/"
        async with websockets.connect(url, additional_headers={"Authorization": f"Token {token}"}) as ws:
            await ws.send(json.dumps({"action": "subscribe"}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "subscribed"
            during = scrape(second)
        return during

    during = asyncio.run(connected())
    assert value(during, "argus_websocket_connections", subscribed="true") >= 1
    assert value(during, "argus_websocket_frames_sent_total", type="subscribed") >= 1


def test_a_killed_process_stops_counting_its_connections(servers, django_db_blocker):
    """A process killed with its websockets open: its connections go, its counters stay."""
    (first, second), token = servers
    host_dir = first.log_path.parent  # where the seeded servers keep their files
    (host_dir / "third").mkdir()
    with django_db_blocker.unblock():
        database_url = database_url_for_server(host_dir / "third")
    third = _launch(database_url, host_dir, "third", server_env(host_dir))  # the same host
    assert _wait_until_ready(third), third.log()

    async def connect_and_get_killed():
        url = f"ws://127.0.0.1:{third.port}/ws/open/"
        ws = await websockets.connect(url, additional_headers={"Authorization": f"Token {token}"})
        await ws.send(json.dumps({"action": "subscribe"}))
        await asyncio.wait_for(ws.recv(), 10)
        before = scrape(second)
        third.process.send_signal(signal.SIGKILL)
        third.process.wait(10)
        return before

    before = asyncio.run(connect_and_get_killed())
    after = scrape(second)
    assert value(before, "argus_websocket_connections", subscribed="true") >= 1
    assert value(after, "argus_websocket_connections", subscribed="true") == 0
    assert value(after, "argus_websocket_frames_sent_total", type="subscribed") >= value(
        before, "argus_websocket_frames_sent_total", type="subscribed"
    )


@pytest.fixture
def silent_database():
    """A TCP port that accepts connections and never answers: a database host that hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"postgres://argus:secret@127.0.0.1:{listener.getsockname()[1]}/argus"
    listener.close()


@pytest.fixture
def stopped_database():
    """A port nobody listens on: the database is stopped."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgres://argus:secret@127.0.0.1:{port}/argus"


@pytest.mark.parametrize("database", ["silent_database", "stopped_database"])
def test_ready_says_the_database_is_gone_within_3_seconds(request, database, tmp_path):
    server = _launch(request.getfixturevalue(database), tmp_path, "no-database")
    try:
        assert _wait_until_ready(server), server.log()
        started = time.monotonic()
        response = httpx.get(f"{server.base_url}/.ready/", timeout=3)
        assert time.monotonic() - started < 3
        assert response.status_code == 503
        assert response.json()["checks"]["database"] == "error"
        assert "127.0.0.1" not in response.text
        assert httpx.get(f"{server.base_url}/.still-alive/", timeout=3).status_code == 204
    finally:
        stop_servers([server])


def test_the_server_logs_one_json_object_per_line_when_asked(servers, tmp_path, django_db_blocker):
    with django_db_blocker.unblock():
        database_url = database_url_for_server(tmp_path)
    server = _launch(database_url, tmp_path, "json-logs", {"ARGUS_LOG_FORMAT": "json"})
    try:
        assert _wait_until_ready(server), server.log()
        response = httpx.get(f"{server.base_url}/api/v2/no-such-thing/", headers={"X-Request-ID": "trace-7"})
        assert response.status_code == 404
        deadline = time.monotonic() + 10
        while "trace-7" not in server.log() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop_servers([server])
    entries = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    (not_found,) = [entry for entry in entries if entry.get("request_id") == "trace-7"]
    assert not_found["level"] == "WARNING" and not_found["logger"] == "django.request"
    assert not_found["message"] == "Not Found: /api/v2/no-such-thing/"
