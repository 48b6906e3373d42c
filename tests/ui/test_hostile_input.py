"""Junk in every field and query parameter of the maintenance, sources and destination pages:
always an answer below 500 (a form error, a message, a 404), never a server error."""

import pytest

from argus.notificationprofile.models import DestinationConfig
from tests.notificationprofile.factories import FilterFactory

pytestmark = pytest.mark.django_db

JUNK = [
    "",
    " ",
    "\x00",
    "²",
    "-1",
    "0",
    "1e309",
    "99999999999999999999999999",
    "9" * 5000,
    "x" * 100_000,
    "2026-13-45T25:61",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "<script>alert(1)</script>",
    "PT5M",
    "NaN",
]


@pytest.fixture
def task(staff):
    from django.utils import timezone

    from argus.plannedmaintenance.services import task_create

    return task_create(
        created_by=staff, filters=[FilterFactory(user=staff)], start_time=timezone.now(), end_time=None
    )


def assert_no_server_error(response, what):
    assert response.status_code < 500, (what, response.status_code)


@pytest.mark.parametrize("value", JUNK, ids=range(len(JUNK)))
def test_maintenance_forms_and_lists(staff_ui, task, value):
    form = {
        "start_time": value,
        "end_time": value,
        "description": value,
        "filters": [value, str(task.filters.first().pk)],
        "notify_when_ended": value,
        "next": value,
    }
    for url in ("/plannedmaintenance/create/", f"/plannedmaintenance/{task.pk}/update/"):
        assert_no_server_error(staff_ui.post(url, form), url)
    for url in (
        f"/plannedmaintenance/?page={value}",
        f"/plannedmaintenance/past/?page={value}",
        f"/plannedmaintenance/create/?copy_from={value}",
        f"/plannedmaintenance/filter-preview/?filters={value}",
        f"/incidents/?is_under_maintenance={value}",
    ):
        assert_no_server_error(staff_ui.get(url), url)
    assert_no_server_error(staff_ui.post(f"/plannedmaintenance/{task.pk}/cancel/", {"next": value}), "cancel")


@pytest.mark.parametrize("value", JUNK, ids=range(len(JUNK)))
def test_source_forms(staff_ui, value):
    form = {"name": value, "type": value, "base_url": value, "heartbeat_frequency": value, "username": value}
    assert_no_server_error(staff_ui.post("/sources/create/", form), "create")
    assert_no_server_error(staff_ui.post("/sources/types/create/", {"name": value}), "type")


@pytest.mark.parametrize("value", JUNK, ids=range(len(JUNK)))
def test_destination_forms(ui, user, value):
    synced = DestinationConfig.objects.get(user=user, settings__synced=True)
    data = {f"d{synced.pk}-label": value, f"d{synced.pk}-email_address": value, "media": value}
    assert_no_server_error(ui.post(f"/notifications/destinations/{synced.pk}/update/", data), "update")
    assert_no_server_error(
        ui.post("/notifications/destinations/create/", {"media": "email", **data}), "create"
    )
