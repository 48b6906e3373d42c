"""Headless Chromium (Debian's ``chromium`` package) driven by Playwright against a real server.

Skipped, with the reason, when Chromium or Playwright is missing: ``apt-get install chromium``
brings the browser; Playwright never downloads one of its own here (``executable_path``).

The server is daphne with the test settings on the test database (see
tests/integration/conftest.py): seed rows are written before it starts, and afterwards the tests
only talk to it through the browser and HTTP (on SQLite the server works on a copy).
"""

from __future__ import annotations

import os
import shutil

import httpx
import pytest
from django.core.management import call_command
from django.db import connections

from tests.integration.conftest import database_url_for_server, start_servers, stop_servers

CHROMIUM = os.environ.get("ARGUS_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "browser-test-password-1"

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - dev dependencies not installed
    sync_playwright = None

if sync_playwright is None:
    pytest.skip("Browser tests skipped: the playwright package is not installed", allow_module_level=True)
if not os.access(CHROMIUM, os.X_OK):
    pytest.skip(
        f"Browser tests skipped: no Chromium at {CHROMIUM} (apt-get install chromium)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def live_servers(request, django_db_setup, django_db_blocker, tmp_path_factory):
    """(servers, seed): ``SERVERS`` (default 1) daphne processes serving the module's ``seed_data()``
    on one database. A test may stop one and start it again (``restart_server``); the processes
    alive at the end are stopped."""
    tmp_dir = tmp_path_factory.mktemp("argus-browser")
    with django_db_blocker.unblock():
        seed = request.module.seed_data()
        servers = start_servers(
            database_url_for_server(tmp_dir), tmp_dir, getattr(request.module, "SERVERS", 1)
        )
        try:
            yield servers, seed
        finally:
            stop_servers(servers)
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def live_server_url(live_servers):
    """(base URL, seed) of the first server."""
    servers, seed = live_servers
    return servers[0].base_url, seed


@pytest.fixture(scope="module")
def browser(live_server_url):
    """Chromium; started after the server, whose environment must not carry the flag below."""
    # Playwright's sync API keeps an event loop in this thread; the database calls pytest-django
    # makes around each test are synchronous and safe here, so let Django allow them.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            # launch() starts Chromium with a fresh temporary --user-data-dir of its own.
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
            )
            try:
                yield chromium
            finally:
                chromium.close()
                # pytest-django's per-test database work ran while Playwright's loop was running,
                # on a connection of that context: close it here, or the test database cannot be
                # dropped at the end of the run.
                connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Session:
    """One logged-in browser session (its own cookies) on the live server."""

    def __init__(self, browser, base_url: str, username: str):
        self.base_url = base_url
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.login(username)

    def login(self, username: str, next_url: str = "/incidents/") -> None:
        self.page.goto(f"{self.base_url}/accounts/login/?next={next_url}")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{self.base_url}{next_url}*")

    def goto(self, path: str, live: bool = True) -> None:
        self.page.goto(self.base_url + path)
        if live:  # subscribed to /ws/open/
            self.page.wait_for_selector("body[data-live=subscribed]", state="attached")
        self.page.mouse.move(0, 0)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def session_factory(browser, live_server_url):
    base_url, _seed = live_server_url
    sessions = []

    def make(username: str) -> Session:
        session = Session(browser, base_url, username)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        assert not session.errors, session.errors
        session.close()


@pytest.fixture
def api(live_server_url):
    """REST calls to the live server with a token (``api(token).post(...)``)."""
    base_url, _seed = live_server_url

    def client(token: str) -> httpx.Client:
        return httpx.Client(
            base_url=f"{base_url}/api/v2", headers={"Authorization": f"Token {token}"}, timeout=20
        )

    return client
