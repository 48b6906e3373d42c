"""End to end: two real daphne processes sharing PostgreSQL and the Redis channel layer.

A websocket client subscribed to the first process must see, in order, the frames of changes made
through the second process. Skipped (with the reason) only when PostgreSQL or Redis is unreachable.
The 30-second idle test is opt-in: ``ARGUS_WS_IDLE_TEST=1``.
"""

import asyncio
import json
import os
import time
import uuid

import httpx
import pytest
import websockets

from tests.ws.servers import POSTGRES, REDIS, ArgusCluster, free_ports, reachable

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not reachable(POSTGRES), reason="PostgreSQL is not reachable on 127.0.0.1:5432"),
    pytest.mark.skipif(not reachable(REDIS), reason="Redis is not reachable on 127.0.0.1:6379"),
]

FRAME_TIMEOUT = 10


@pytest.fixture(scope="module")
def cluster():
    with ArgusCluster(processes=2) as running:
        yield running


def auth(key: str) -> dict:
    return {"Authorization": f"Token {key}"}


async def receive(ws, timeout=FRAME_TIMEOUT) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def subscribe(ws) -> dict:
    await ws.send(json.dumps({"action": "subscribe"}))
    frame = await receive(ws)
    assert frame["type"] == "subscribed", frame
    return frame


class RestDriver:
    """Changes through the REST API of one server process."""

    def __init__(self, base_url: str, source_token: str, user_token: str):
        self.source = httpx.AsyncClient(base_url=base_url, headers=auth(source_token), timeout=30)
        self.user = httpx.AsyncClient(base_url=base_url, headers=auth(user_token), timeout=30)

    async def create(self, source_incident_id: str) -> int:
        response = await self.source.post(
            "/api/v2/incidents/",
            json={
                "start_time": "2026-11-22T10:00:00+01:00",
                "description": "e2e incident",
                "level": 4,
                "source_incident_id": source_incident_id,
                "tags": [{"tag": "host=e2e.example"}],
            },
        )
        assert response.status_code == 201, response.text
        return response.json()["pk"]

    async def ack(self, pk: int) -> None:
        response = await self.user.post(
            f"/api/v2/incidents/{pk}/acks/", json={"timestamp": "2026-11-22T10:05:00+01:00"}
        )
        assert response.status_code == 201, response.text

    async def end(self, pk: int) -> None:
        response = await self.source.post(
            f"/api/v2/incidents/{pk}/events/", json={"type": "END", "timestamp": "2026-11-22T10:10:00+01:00"}
        )
        assert response.status_code == 201, response.text

    async def close(self):
        await self.source.aclose()
        await self.user.aclose()


class ShellDriver:
    """Changes through ``manage.py shell`` calling the services: a process without an event loop."""

    def __init__(self, cluster: ArgusCluster):
        self.cluster = cluster

    async def run(self, code: str) -> str:
        prelude = (
            "from datetime import datetime, timezone as tz\n"
            "from argus.auth.models import User\n"
            "from argus.incident import services\n"
            "from argus.incident.models import Incident, SourceSystem\n"
            f"source = SourceSystem.objects.get(pk={self.cluster.seed['source_pk']})\n"
            f"user = User.objects.get(pk={self.cluster.seed['user_pk']})\n"
        )
        return await asyncio.to_thread(self.cluster.shell, prelude + code)

    async def create(self, source_incident_id: str) -> int:
        out = await self.run(
            "incident = services.incident_create(actor=source.user, source=source,"
            " start_time=datetime(2026, 11, 22, 9, tzinfo=tz.utc), description='e2e incident', level=4,"
            f" source_incident_id={source_incident_id!r}, tags=['host=e2e.example'])\n"
            "print(incident.pk)"
        )
        return int(out.strip().splitlines()[-1])

    async def ack(self, pk: int) -> None:
        await self.run(f"services.acknowledgement_create(incident=Incident.objects.get(pk={pk}), actor=user)")

    async def end(self, pk: int) -> None:
        await self.run(
            f"services.event_create(incident=Incident.objects.get(pk={pk}), actor=source.user, type='END')"
        )

    async def close(self):
        pass


async def driver_for(cluster: ArgusCluster) -> RestDriver:
    """REST on the second process."""
    return RestDriver(cluster.http_url(1), cluster.seed["source_token"], cluster.seed["user_token"])


def test_changes_made_through_one_process_reach_a_client_of_the_other_in_order(cluster):
    async def scenario():
        driver = await driver_for(cluster)
        source_incident_id = f"e2e-{uuid.uuid4().hex[:8]}"
        async with websockets.connect(
            cluster.ws_url(0), additional_headers=auth(cluster.seed["user_token"])
        ) as ws:
            subscribed = await subscribe(ws)
            pk = await driver.create(source_incident_id)
            created = await receive(ws)
            await driver.ack(pk)
            acked = await receive(ws)
            await driver.end(pk)
            ended = await receive(ws)
            with pytest.raises(TimeoutError):
                await receive(ws, timeout=0.5)
        await driver.close()
        return subscribed, pk, created, acked, ended

    subscribed, pk, created, acked, ended = asyncio.run(scenario())
    assert subscribed["channel_name"].startswith("specific.")
    assert created["type"] == "created"
    assert created["payload"]["pk"] == pk
    assert [tag["tag"] for tag in created["payload"]["tags"]] == ["host=e2e.example"]
    assert (created["payload"]["open"], created["payload"]["acked"]) == (True, False)
    assert acked == {"type": "modified", "payload": {**acked["payload"], "pk": pk, "acked": True}}
    assert acked["payload"]["open"] is True
    assert ended["type"] == "modified"
    assert (ended["payload"]["pk"], ended["payload"]["open"], ended["payload"]["acked"]) == (pk, False, True)


def test_subscribers_of_both_processes_get_the_same_frame(cluster):
    async def scenario():
        driver = await driver_for(cluster)
        headers = auth(cluster.seed["user_token"])
        async with (
            websockets.connect(cluster.ws_url(0), additional_headers=headers) as first,
            websockets.connect(cluster.ws_url(1), additional_headers=headers) as second,
        ):
            await subscribe(first)
            await subscribe(second)
            pk = await driver.create(f"e2e-{uuid.uuid4().hex[:8]}")
            frames = [await receive(first), await receive(second)]
        await driver.close()
        return pk, frames

    pk, frames = asyncio.run(scenario())
    assert frames[0] == frames[1]
    assert (frames[0]["type"], frames[0]["payload"]["pk"]) == ("created", pk)


def test_changes_made_by_a_management_process_reach_subscribers(cluster):
    async def scenario():
        driver = ShellDriver(cluster)
        async with websockets.connect(
            cluster.ws_url(0), additional_headers=auth(cluster.seed["user_token"])
        ) as ws:
            await subscribe(ws)
            pk = await driver.create(f"e2e-shell-{uuid.uuid4().hex[:8]}")
            created = await receive(ws)
            await driver.ack(pk)
            acked = await receive(ws)
        return pk, created, acked

    pk, created, acked = asyncio.run(scenario())
    assert (created["type"], created["payload"]["pk"]) == ("created", pk)
    assert (acked["type"], acked["payload"]["pk"], acked["payload"]["acked"]) == ("modified", pk, True)


def test_unauthenticated_handshake_is_refused_at_once_with_403(cluster):
    async def scenario():
        started = time.monotonic()
        with pytest.raises(websockets.InvalidStatus) as excinfo:
            async with websockets.connect(cluster.ws_url(0), open_timeout=10):
                pass
        return excinfo.value.response.status_code, time.monotonic() - started

    status, elapsed = asyncio.run(scenario())
    assert status == 403
    assert elapsed < 2


def test_token_cookie_authenticates_on_a_real_server(cluster):
    async def scenario():
        cookie = {"Cookie": f"token={cluster.seed['user_token']}"}
        async with websockets.connect(cluster.ws_url(1), additional_headers=cookie) as ws:
            return await subscribe(ws)

    assert asyncio.run(scenario())["type"] == "subscribed"


@pytest.mark.skipif(not os.environ.get("ARGUS_WS_IDLE_TEST"), reason="opt-in: set ARGUS_WS_IDLE_TEST=1")
def test_idle_subscription_stays_open_for_30_seconds(cluster):
    async def scenario():
        driver = await driver_for(cluster)
        async with websockets.connect(
            cluster.ws_url(0), additional_headers=auth(cluster.seed["user_token"])
        ) as ws:
            await subscribe(ws)
            await asyncio.sleep(30)
            pk = await driver.create(f"e2e-idle-{uuid.uuid4().hex[:8]}")
            frame = await receive(ws)
        await driver.close()
        return pk, frame

    pk, frame = asyncio.run(scenario())
    assert (frame["type"], frame["payload"]["pk"]) == ("created", pk)


def test_server_shuts_down_cleanly_with_clients_connected(cluster):
    (port,) = free_ports(1, exclude=cluster.ports)
    server = cluster.start_server(port)
    try:
        cluster.wait_until_serving(port, server)

        async def scenario():
            headers = auth(cluster.seed["user_token"])
            url = f"ws://127.0.0.1:{port}/ws/open/"
            clients = [await websockets.connect(url, additional_headers=headers) for _ in range(5)]
            for ws in clients:
                await subscribe(ws)
            started = time.monotonic()
            code = await asyncio.to_thread(cluster.stop_server, server)
            elapsed = time.monotonic() - started
            closed = []
            for ws in clients:
                try:
                    await asyncio.wait_for(ws.recv(), 5)
                except websockets.ConnectionClosed:
                    closed.append(True)
            return code, elapsed, closed

        code, elapsed, closed = asyncio.run(scenario())
    finally:
        cluster.stop_server(server)
    assert code == 0
    assert elapsed < 10
    assert closed == [True] * 5
