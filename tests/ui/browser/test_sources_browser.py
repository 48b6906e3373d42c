"""The sources page in a real browser: a dead and an alive source, their badges, a screenshot, and
axe-core on the sources page and the style guide.

The screenshot goes to ``ARGUS_TEST_SCREENSHOTS`` (a directory) when set, else to the test's
temporary directory.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from argus.incident import services
from argus.incident.models import SourceSystem
from tests.factories import EndUserFactory, SourceSystemFactory
from tests.ui.browser.conftest import PASSWORD
from tests.ui.browser.test_browser import AXE_OPTIONS, SERIOUS

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.django_db]


def seed_data() -> dict:
    EndUserFactory(username="stella", password=PASSWORD, is_staff=True)
    now = datetime.now(UTC)
    alive = SourceSystemFactory(name="zabbix-alive", base_url="https://zabbix.example.org/")
    dead = SourceSystemFactory(name="nav-dead")
    SourceSystemFactory(name="quiet-off")
    # through the service, as the forms do, so monitoring is armed; then the sources "report"
    services.source_system_update(source=alive, data={"heartbeat_frequency": timedelta(days=1)})
    services.source_system_update(source=dead, data={"heartbeat_frequency": timedelta(minutes=15)})
    SourceSystem.objects.filter(pk=alive.pk).update(last_seen=now, heartbeat_armed_at=now - timedelta(days=3))
    SourceSystem.objects.filter(pk=dead.pk).update(
        last_seen=now - timedelta(hours=2), heartbeat_armed_at=now - timedelta(days=3)
    )
    return {"alive": alive.pk, "dead": dead.pk}


def screenshot_path(tmp_path: Path, name: str) -> Path:
    directory = Path(os.environ.get("ARGUS_TEST_SCREENSHOTS") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory / name


def serious_violations(page) -> list[str]:
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']][:5]}"
        for v in violations
        if v["impact"] in SERIOUS
    ]


def test_the_sources_page_shows_a_dead_and_an_alive_source(session_factory, live_server_url, tmp_path):
    _base, seed = live_server_url
    stella = session_factory("stella")
    stella.goto("/sources/", live=False)
    page = stella.page
    alive = page.locator(f"#source-{seed['alive']}")
    dead = page.locator(f"#source-{seed['dead']}")
    assert alive.locator(".badge.liveness-alive").inner_text() == "Alive"
    assert "Next due" in alive.locator(".liveness-cell").inner_text()
    assert "every 1 d" in alive.inner_text()
    assert dead.locator(".badge.liveness-dead").inner_text() == "Dead"
    assert "Was due" in dead.locator(".liveness-cell").inner_text()
    assert "every 15 min" in dead.inner_text()
    assert "Never" in page.locator("tr", has_text="quiet-off").inner_text()
    # the badges are coloured differently (and say their state in words)
    alive_bg = alive.locator(".badge.liveness-alive").evaluate(
        "node => getComputedStyle(node).backgroundColor"
    )
    dead_bg = dead.locator(".badge.liveness-dead").evaluate("node => getComputedStyle(node).backgroundColor")
    assert alive_bg != dead_bg
    path = screenshot_path(tmp_path, "sources-dead-and-alive.png")
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    assert path.stat().st_size > 0
    assert serious_violations(page) == []


def test_the_style_guide_is_public_and_accessible(browser, live_server_url, tmp_path):
    base_url, _seed = live_server_url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{base_url}/styleguide/")
        assert page.title() == "Style guide · Argus"
        page.wait_for_selector(".styleguide-toasts .toast-close:not([hidden])")  # armed by the script
        assert page.locator(".styleguide-toasts .toast").count() == 4
        page.screenshot(path=str(screenshot_path(tmp_path, "styleguide.png")), full_page=True)
        assert serious_violations(page) == []
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("theme", ["argus", "light", "dark"])
def test_axe_finds_no_serious_violation_on_the_sources_page_and_the_style_guide(
    session_factory, theme, tmp_path
):
    stella = session_factory("stella")
    stella.goto("/user/", live=False)
    stella.page.select_option("#id_theme", theme)
    stella.page.wait_for_function(f"() => document.documentElement.dataset.theme === '{theme}'")
    stella.page.wait_for_selector(".toast-success")
    found = {}
    for path in ["/sources/", "/styleguide/", "/sources/create/"]:
        stella.goto(path, live=False)
        assert stella.page.evaluate("document.documentElement.dataset.theme") == theme
        if serious := serious_violations(stella.page):
            found[path] = serious
        if path == "/styleguide/":
            stella.page.screenshot(
                path=str(screenshot_path(tmp_path, f"styleguide-{theme}.png")), full_page=True
            )
    assert not found
