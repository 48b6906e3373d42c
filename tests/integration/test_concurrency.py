"""Concurrent ingest against several real server processes sharing one PostgreSQL database.

One ASGI process runs Django's synchronous views one at a time, so real concurrency at the
database needs several processes: this module starts three and spreads the requests over them.
"""

from __future__ import annotations

import asyncio
import datetime

import httpx
import pytest
from rest_framework.authtoken.models import Token

from tests.factories import SourceSystemFactory
from tests.integration.conftest import is_postgres

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db,
    pytest.mark.skipif(
        not is_postgres(),
        reason="concurrency is tested on PostgreSQL only (set DATABASE_URL=postgres://...); "
        "SQLite serialises writers, so there is no race to test",
    ),
]

SERVERS = 3
CLIENTS = 12


def seed_data() -> dict:
    source = SourceSystemFactory(name="it_concurrent", type__name="nav")
    return {"token": Token.objects.create(user=source.user).key}


@pytest.fixture(scope="module")
def servers(seeded_server):
    servers, seed = seeded_server
    return [server.base_url for server in servers], seed["token"]


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


async def post_all(base_urls, token, bodies):
    """POST every body at once, round-robin over the servers; returns the responses in order."""
    clients = [
        httpx.AsyncClient(base_url=url, headers={"Authorization": f"Token {token}"}, timeout=30)
        for url in base_urls
    ]
    try:
        return await asyncio.gather(
            *(
                clients[n % len(clients)].post("/api/v2/incidents/", json=body)
                for n, body in enumerate(bodies)
            )
        )
    finally:
        for client in clients:
            await client.aclose()


def test_same_source_incident_id_gives_one_incident_and_clean_400s(servers):
    base_urls, token = servers
    body = {"start_time": now_iso(), "source_incident_id": "race-1", "description": "race", "tags": []}
    responses = asyncio.run(post_all(base_urls, token, [body] * CLIENTS))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [400] * (CLIENTS - 1), [r.text for r in responses]
    created = next(r.json() for r in responses if r.status_code == 201)
    for response in responses:
        if response.status_code == 400:
            assert response.headers["content-type"].startswith("application/json")
            assert response.json() == [
                f"An incident with source_incident_id 'race-1' already exists for this source (pk={created['pk']})."
            ]
    listed = httpx.get(
        f"{base_urls[0]}/api/v2/incidents/mine/",
        params={"source_incident_id": "race-1"},
        headers={"Authorization": f"Token {token}"},
    ).json()["results"]
    assert [incident["pk"] for incident in listed] == [created["pk"]]


def test_tags_are_never_lost_under_concurrent_ingest(servers):
    base_urls, token = servers
    # Every incident carries the same brand-new tags (created concurrently) plus one of its own.
    bodies = [
        {
            "start_time": now_iso(),
            "description": f"tags {n}",
            "tags": [{"tag": "shared=new-tag"}, {"tag": "shared2=also-new"}, {"tag": f"own=tag-{n}"}],
        }
        for n in range(CLIENTS * 2)
    ]
    responses = asyncio.run(post_all(base_urls, token, bodies))
    assert [r.status_code for r in responses] == [201] * len(bodies), [r.text for r in responses]
    for n, response in enumerate(responses):
        pk = response.json()["pk"]
        stored = httpx.get(
            f"{base_urls[n % len(base_urls)]}/api/v2/incidents/{pk}/",
            headers={"Authorization": f"Token {token}"},
        ).json()
        assert sorted(tag["tag"] for tag in stored["tags"]) == sorted(
            ["shared=new-tag", "shared2=also-new", f"own=tag-{n}"]
        )
