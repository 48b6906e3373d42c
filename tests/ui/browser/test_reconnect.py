"""The live list when its server goes away: "Reconnecting…", retries with a growing delay, and
after the server is back a full refresh that shows what changed meanwhile.

Two server processes share the database: the browser talks to the first, which is killed and
started again on the same port; changes made meanwhile go through the second one's REST API, so
their websocket frames never reach the browser and only the refresh can show them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.authtoken.models import Token

from argus.incident import services
from tests.factories import EndUserFactory, SourceSystemFactory
from tests.integration.conftest import restart_server
from tests.ui.browser.conftest import PASSWORD

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.django_db]

SERVERS = 2

# Every WebSocket the page opens, with the time it was opened (the retry schedule).
RECORD_SOCKETS = """
(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = function (...args) {
    window.__sockets.push(performance.now());
    return new Native(...args);
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  document.addEventListener("argus:refreshed", () => { window.__refreshed = (window.__refreshed || 0) + 1; });
})();
"""


def seed_data() -> dict:
    dave = EndUserFactory(username="dave", password=PASSWORD)
    source = SourceSystemFactory(name="reconnect-src")
    now = datetime.now(UTC)
    incidents = [
        services.incident_create(
            actor=source.user,
            source=source,
            start_time=now - timedelta(hours=1, minutes=n),
            description=f"Before the outage {n}",
            source_incident_id=f"r{n}",
        ).pk
        for n in range(3)
    ]
    return {
        "incidents": incidents,
        "source_token": Token.objects.create(user=source.user).key,
        "dave_token": Token.objects.create(user=dave).key,
    }


def test_a_lost_server_shows_reconnecting_then_a_refreshed_view_after_it_is_back(
    session_factory, live_servers, api
):
    servers, seed = live_servers
    dave = session_factory("dave")
    page = dave.page
    page.add_init_script(RECORD_SOCKETS)
    dave.goto("/incidents/")
    indicator = page.locator("#live-indicator .live-text")
    assert indicator.inner_text() == "Live"
    doomed = seed["incidents"][0]
    assert "Open" in page.locator(f"#incident-{doomed}").inner_text()

    servers[0].process.kill()
    servers[0].process.wait(timeout=10)
    page.wait_for_function(
        "() => document.querySelector('#live-indicator .live-text').textContent === 'Reconnecting…'"
    )
    assert page.locator("#live-indicator").get_attribute("data-state") == "reconnecting"

    # Meanwhile, through the other server: one incident closed, one new.
    other = api(seed["dave_token"])
    other.base_url = f"{servers[1].base_url}/api/v2"
    assert other.post(f"/incidents/{doomed}/events/", json={"type": "CLO"}).status_code == 201
    source_client = api(seed["source_token"])
    source_client.base_url = f"{servers[1].base_url}/api/v2"
    created = source_client.post(
        "/incidents/",
        json={"description": "During the outage", "start_time": datetime.now(UTC).isoformat(), "tags": []},
    )
    assert created.status_code == 201

    # Let the page retry a few times against the dead port before the server comes back.
    page.wait_for_function("() => window.__sockets.length >= 3", timeout=20_000)
    servers[0] = restart_server(servers[0])  # the fixture stops whichever process is in the list

    page.wait_for_function(
        "() => document.querySelector('#live-indicator .live-text').textContent === 'Live'", timeout=60_000
    )
    page.wait_for_function("() => window.__refreshed >= 1", timeout=20_000)
    new_pk = created.json()["pk"]
    assert "During the outage" in page.locator(f"#incident-{new_pk}").inner_text()
    assert "Closed" in page.locator(f"#incident-{doomed}").inner_text()

    # After the first retry (1 s after the loss) each waited twice as long as the one before: 2 s,
    # 4 s, ... (timers never fire early, they may fire late; so only the lower bound is checked).
    opened = page.evaluate("window.__sockets")
    gaps = [later - earlier for earlier, later in zip(opened[1:], opened[2:], strict=False)]
    assert gaps
    for index, gap in enumerate(gaps[:4]):
        assert gap >= 1000 * 2 ** (index + 1) * 0.95, (index, gaps)
