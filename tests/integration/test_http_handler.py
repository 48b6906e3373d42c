"""The thread-pool HTTP handler (argus.site.asgi_http) under a real daphne: what a browser, the
admin and the frontend do, beyond the API calls the other integration modules make."""

from __future__ import annotations

import concurrent.futures
import json
import re

import httpx
import pytest
from rest_framework.authtoken.models import Token

from tests.factories import SourceSystemFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def seed_data() -> dict:
    from argus.auth.models import User

    User.objects.create_superuser(username="it_admin", email="admin@example.org", password="it-adminpw")
    source = SourceSystemFactory(name="it_handler_source", type__name="nav")
    return {"token": Token.objects.create(user=source.user).key}


@pytest.fixture(scope="module")
def server(seeded_server):
    (server,), seed = seeded_server
    return server, seed


def admin_session(base_url: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=10)
    page = client.get("/admin/login/?next=/admin/")
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/admin/login/?next=/admin/",
        data={
            "csrfmiddlewaretoken": token,
            "username": "it_admin",
            "password": "it-adminpw",
            "next": "/admin/",
        },
        headers={"Referer": f"{base_url}/admin/login/"},
    )
    assert response.status_code == 302, response.text[:500]
    assert response.headers["location"] == "/admin/"
    return client


def test_admin_login_with_csrf_and_session_then_session_authenticated_api(server):
    server, _seed = server
    client = admin_session(server.base_url)
    try:
        assert client.get("/admin/").status_code == 200
        me = client.get("/api/v2/auth/user/")
        assert me.status_code == 200 and me.json()["username"] == "it_admin"
    finally:
        client.close()


def test_a_post_without_the_csrf_token_is_refused(server):
    server, _seed = server
    response = httpx.post(
        f"{server.base_url}/admin/login/", data={"username": "it_admin", "password": "it-adminpw"}, timeout=10
    )
    assert response.status_code == 403


def test_head_and_options(server):
    server, seed = server
    head = httpx.head(f"{server.base_url}/api/", timeout=10)
    assert head.status_code == 200 and head.content == b""
    options = httpx.options(
        f"{server.base_url}/api/v2/incidents/",
        headers={"Authorization": f"Token {seed['token']}"},
        timeout=10,
    )
    assert options.status_code == 200 and "POST" in options.json()["actions"]


def test_large_bodies_reach_the_view_and_too_large_ones_get_a_json_413(server):
    server, seed = server
    headers = {"Authorization": f"Token {seed['token']}"}

    def post(size):
        return httpx.post(
            f"{server.base_url}/api/v2/incidents/",
            json={
                "start_time": "2026-11-22T12:00:00+01:00",
                "description": "big",
                "tags": [],
                "metadata": {"b": "x" * size},
            },
            headers=headers,
            timeout=30,
        )

    response = post(2_000_000)
    assert response.status_code == 201, response.text[:300]
    assert len(response.json()["metadata"]["b"]) == 2_000_000
    response = post(3_000_000)  # over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)
    assert response.status_code == 413
    assert "DATA_UPLOAD_MAX_MEMORY_SIZE" in response.json()["detail"]


def test_non_ascii_query_strings_and_json_errors(server):
    server, seed = server
    headers = {"Authorization": f"Token {seed['token']}"}
    listed = httpx.get(
        f"{server.base_url}/api/v2/incidents/", params={"search": "blåbærsyltetøy"}, headers=headers
    )
    assert listed.status_code == 200 and listed.json()["results"] == []
    broken = httpx.post(
        f"{server.base_url}/api/v2/incidents/",
        content=b"{not json",
        headers={**headers, "Content-Type": "application/json"},
        timeout=10,
    )
    assert broken.status_code == 400 and "detail" in json.loads(broken.content)


def test_favicon(server):
    server, _seed = server
    response = httpx.get(f"{server.base_url}/favicon.ico", timeout=10)
    assert response.status_code in (200, 301, 302)


def test_concurrent_requests_all_answer(server):
    server, seed = server
    headers = {"Authorization": f"Token {seed['token']}"}

    def fetch(n):
        return httpx.get(
            f"{server.base_url}/api/v2/incidents/mine/?page_size={n % 5 + 1}", headers=headers, timeout=20
        )

    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        statuses = [response.status_code for response in pool.map(fetch, range(40))]
    assert statuses == [200] * 40
