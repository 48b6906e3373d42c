"""Planned maintenance in a real browser: a staff user creates a task through the form (with the
live preview of its filters) and finds it listed; axe-core on the maintenance pages."""

from __future__ import annotations

import os
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from rest_framework.authtoken.models import Token

from argus.incident import services
from argus.notificationprofile import services as notification_services
from argus.plannedmaintenance import services as maintenance_services
from argus.plannedmaintenance.models import PlannedMaintenanceTask
from tests.factories import EndUserFactory, SourceSystemFactory
from tests.ui.browser.conftest import PASSWORD

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.django_db]

SERIOUS = ("serious", "critical")
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
SCREENSHOTS = os.environ.get("ARGUS_TEST_SCREENSHOTS", "/tmp")


def seed_data() -> dict:
    alice = EndUserFactory(username="alice", password=PASSWORD, is_staff=True)
    bob = EndUserFactory(username="bob", password=PASSWORD)
    source = SourceSystemFactory(name="maint-src")
    now = datetime.now(UTC)
    made = []
    for n in range(4):
        incident = services.incident_create(
            actor=source.user,
            source=source,
            start_time=now - timedelta(minutes=n + 1),
            description=f"Switch sw{n % 2} down ({n})",
            level=2,
            source_incident_id=f"m{n}",
            tags=[f"host=sw{n % 2}"],
        )
        made.append(incident.pk)
    switches = notification_services.filter_create(user=bob, name="sw0", blob={"tags": ["host=sw0"]})
    own = notification_services.filter_create(user=alice, name="Everything open", blob={"open": True})
    sw1 = notification_services.filter_create(user=alice, name="sw1", blob={"tags": ["host=sw1"]})
    ongoing = maintenance_services.task_create(created_by=alice, filters=[sw1], description="sw1 reboot")
    done = PlannedMaintenanceTask.objects.create(
        created_by=alice,
        start_time=now - timedelta(days=3),
        end_time=now - timedelta(days=2),
        description="Old work",
    )
    done.filters.set([sw1])
    return {
        "switches": switches.pk,
        "own": own.pk,
        "ongoing": ongoing.pk,
        "sw1_incident": made[1],
        "alice_token": Token.objects.create(user=alice).key,
    }


def test_staff_create_a_task_through_the_form_and_see_it_listed(session_factory, live_server_url):
    _base, seed = live_server_url
    alice = session_factory("alice")
    alice.goto("/plannedmaintenance/", live=False)
    assert alice.page.locator("tbody tr").count() == 1  # the ongoing task
    alice.page.click("text=Create new")
    alice.page.wait_for_url("**/plannedmaintenance/create/")
    # own filters first, then others' with their owner's name
    labels = alice.page.locator("#filter-options label").all_inner_texts()
    assert [label.strip() for label in labels] == ["Everything open (alice)", "sw1 (alice)", "sw0 (bob)"]
    preview = alice.page.locator("#maintenance-preview")
    assert "Select filters to see" in preview.inner_text()
    # the search box narrows the choices
    alice.page.fill("#filter-search", "sw0")
    assert alice.page.locator("#filter-options label:visible").count() == 1
    alice.page.check(f"input[name=filters][value='{seed['switches']}']")
    alice.page.wait_for_function(
        "() => document.querySelector('#maintenance-preview').textContent.includes('Covers 2 open incident(s) (50%)')"
    )
    assert preview.locator("tr.incident-row").count() == 2
    here = datetime.now(zoneinfo.ZoneInfo(settings.TIME_ZONE))  # the user's zone: the server's
    start = (here + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    end = (here + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M")
    alice.page.fill("#id_start_time", start)
    alice.page.fill("#id_end_time", end)
    alice.page.fill("#id_description", "Replace sw0 line cards")
    alice.page.screenshot(path=f"{SCREENSHOTS}/argus-maintenance-form.png", full_page=True)
    alice.page.click("button[type=submit]:has-text('Save')")
    alice.page.wait_for_url("**/plannedmaintenance/")
    # (the server may work on a copy of the database: the page is the witness)
    row = alice.page.locator("tr", has_text="Replace sw0 line cards")
    pk = row.get_attribute("id").removeprefix("task-")
    assert "Scheduled" in row.inner_text() and "sw0" in row.inner_text() and "alice" in row.inner_text()
    assert f"Created planned maintenance task #{pk}." in alice.page.inner_text(".toasts")
    alice.page.screenshot(path=f"{SCREENSHOTS}/argus-maintenance-list.png", full_page=True)
    # delete it again through the confirmation dialog
    row.get_by_role("link", name=f"Delete task #{pk}").click()
    alice.page.locator("#form-dialog button.danger").click()
    alice.page.wait_for_selector(f"#task-{pk}", state="detached")
    assert f"Deleted planned maintenance task #{pk}." in alice.page.inner_text(".toasts")
    assert alice.page.locator("tbody tr").count() == 1


def test_the_on_maintenance_layout_opens_the_linked_tasks_in_place(session_factory, live_server_url, api):
    _base, seed = live_server_url
    alice = session_factory("alice")
    alice.goto("/user/", live=False)
    alice.page.select_option("#id_incidents_table_column_name", "on maintenance")
    alice.page.wait_for_selector(".toast-success")
    alice.goto("/incidents/")
    summaries = alice.page.locator("details.linked-tasks summary")
    assert summaries.count() == 2  # the two sw1 incidents
    row = alice.page.locator(f"#incident-{seed['sw1_incident']}")
    row.locator("summary").click()
    # a live update of the row keeps the dropdown open
    alice.page.evaluate(
        """(pk) => { window.__applied = false; document.addEventListener("argus:applied",
             (e) => { if (e.detail.pks.includes(pk)) window.__applied = true; }); }""",
        seed["sw1_incident"],
    )
    response = api(seed["alice_token"]).post(
        f"/incidents/{seed['sw1_incident']}/events/", json={"type": "OTH", "description": "still rebooting"}
    )
    assert response.status_code == 201
    alice.page.wait_for_function("() => window.__applied")
    assert row.locator("details.linked-tasks").get_attribute("open") is not None
    link = alice.page.locator("details.linked-tasks[open] a").first
    assert "sw1 reboot" in link.inner_text() and "Ongoing" in alice.page.inner_text(
        "details.linked-tasks[open]"
    )
    assert alice.page.url.endswith("/incidents/") or "/incidents/?" in alice.page.url  # no navigation
    alice.page.screenshot(path=f"{SCREENSHOTS}/argus-maintenance-column.png", full_page=True)
    link.click()
    alice.page.wait_for_url(f"**/plannedmaintenance/{seed['ongoing']}/")
    assert "sw1 reboot" in alice.page.inner_text("main")


@pytest.mark.parametrize("theme", ["argus", "dark"])
def test_axe_finds_no_serious_violation_on_the_maintenance_pages(session_factory, live_server_url, theme):
    alice = session_factory("alice")
    alice.goto("/user/", live=False)
    alice.page.select_option("#id_theme", theme)
    alice.page.wait_for_function(f"() => document.documentElement.dataset.theme === '{theme}'")
    axe = Axe()
    found = {}
    _base, seed = live_server_url
    ongoing = seed["ongoing"]
    for path in [
        "/plannedmaintenance/",
        "/plannedmaintenance/past/",
        "/plannedmaintenance/create/",
        f"/plannedmaintenance/{ongoing}/",
        f"/plannedmaintenance/{ongoing}/update/",
    ]:
        alice.goto(path, live=False)
        violations = axe.run(alice.page, options=AXE_OPTIONS).response["violations"]
        serious = [
            f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']][:5]}"
            for v in violations
            if v["impact"] in SERIOUS
        ]
        if serious:
            found[path] = serious
    assert not found
