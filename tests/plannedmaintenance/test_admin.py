"""The planned maintenance admin: list, filters, search, "End selected tasks now", writes through the services."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from argus.plannedmaintenance.models import PlannedMaintenanceLink, PlannedMaintenanceTask
from argus.util.datetime_utils import INFINITY
from tests.factories import EndUserFactory, IncidentFactory
from tests.notificationprofile.factories import FilterFactory
from tests.plannedmaintenance.factories import (
    PlannedMaintenanceLinkFactory,
    PlannedMaintenanceTaskFactory,
    minutes,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/argus_plannedmaintenance/plannedmaintenancetask/"


@pytest.fixture
def admin_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def now():
    return timezone.now()


def future(**kwargs):
    return PlannedMaintenanceTaskFactory(
        start_time=now() + minutes(60), end_time=now() + minutes(120), **kwargs
    )


def past(hours_ago=1, **kwargs):
    end = now() - datetime.timedelta(hours=hours_ago)
    return PlannedMaintenanceTaskFactory(start_time=end - minutes(30), end_time=end, **kwargs)


def listed(response) -> set[int]:
    assert response.status_code == 200
    return {task.pk for task in response.context["cl"].result_list}


def test_changelist_lists_every_task_with_a_constant_number_of_queries(
    admin_client, django_assert_max_num_queries
):
    tasks = [PlannedMaintenanceTaskFactory(), future(), past()]
    with django_assert_max_num_queries(12):
        response = admin_client.get(CHANGELIST)
    assert listed(response) == {task.pk for task in tasks}
    assert [t.pk for t in response.context["cl"].result_list] == sorted(
        (t.pk for t in tasks), key=lambda pk: PlannedMaintenanceTask.objects.get(pk=pk).start_time
    )
    assert "infinity" in response.content.decode()


@pytest.mark.parametrize("state", ["future", "current", "past"])
def test_state_filters_yes_and_no(admin_client, state):
    tasks = {"future": future(), "current": PlannedMaintenanceTaskFactory(), "past": past()}
    assert listed(admin_client.get(CHANGELIST, {state: "1"})) == {tasks[state].pk}
    assert listed(admin_client.get(CHANGELIST, {state: "0"})) == {
        t.pk for s, t in tasks.items() if s != state
    }


def test_creator_filter_and_search(admin_client):
    alice = EndUserFactory(username="alice", first_name="Alice", last_name="Liddell")
    mine = PlannedMaintenanceTaskFactory(created_by=alice, description="router upgrade")
    owner = EndUserFactory(username="bob")
    theirs = PlannedMaintenanceTaskFactory(
        description="fibre", filters=[FilterFactory(user=owner, name="bergen core")]
    )
    assert listed(admin_client.get(CHANGELIST, {"created_by__id__exact": alice.pk})) == {mine.pk}
    for term, expected in [
        ("router", mine),
        ("liddell", mine),
        ("alice", mine),
        ("bergen", theirs),
        ("bob", theirs),
    ]:
        assert listed(admin_client.get(CHANGELIST, {"q": term})) == {expected.pk}, term


def test_end_selected_tasks_now_ends_current_ones_and_reports_future_ones(admin_client):
    current, coming, ended = PlannedMaintenanceTaskFactory(), future(), past()
    response = admin_client.post(
        CHANGELIST,
        {"action": "end_now", "_selected_action": [current.pk, coming.pk, ended.pk]},
        follow=True,
    )
    text = [str(m) for m in response.context["messages"]]
    assert text == [
        f"Ended #{current.pk}.",
        f"Not started yet, left alone (delete them instead): #{coming.pk}.",
        f"Already ended: #{ended.pk}.",
    ]
    current.refresh_from_db()
    assert current.end_time <= now()
    assert PlannedMaintenanceTask.objects.filter(pk=coming.pk, end_time=coming.end_time).exists()


def test_add_form_defaults_the_creator_and_saves_through_the_service(admin_client, superuser):
    response = admin_client.get(f"{CHANGELIST}add/")
    assert response.context["adminform"].form.initial["created_by"] == superuser.pk
    incident = IncidentFactory()
    filter_ = FilterFactory(filter={"sourceSystemIds": [incident.source_id]})
    start = timezone.localtime(now() - minutes(5))
    response = admin_client.post(
        f"{CHANGELIST}add/",
        {
            "created_by": superuser.pk,
            "start_time_0": start.strftime("%Y-%m-%d"),
            "start_time_1": start.strftime("%H:%M:%S"),
            "end_time_0": "",
            "end_time_1": "",
            "description": "from the admin",
            "filters": [filter_.pk],
            "notify_when_ended": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    task = PlannedMaintenanceTask.objects.get()
    assert (task.created_by, task.end_time, task.description) == (superuser, INFINITY, "from the admin")
    assert list(task.filters.all()) == [filter_]
    assert PlannedMaintenanceLink.objects.filter(task=task, incident=incident).exists()  # linked at once


def test_refusals_are_form_errors(admin_client, superuser):
    filter_ = FilterFactory()
    start = timezone.localtime(now() + minutes(60))
    response = admin_client.post(
        f"{CHANGELIST}add/",
        {
            "created_by": superuser.pk,
            "start_time_0": start.strftime("%Y-%m-%d"),
            "start_time_1": start.strftime("%H:%M:%S"),
            "end_time_0": start.strftime("%Y-%m-%d"),
            "end_time_1": start.strftime("%H:%M:%S"),
            "filters": [filter_.pk],
        },
    )
    assert response.status_code == 200
    # The window constraint, worded as the service words it.
    assert response.context["adminform"].form.non_field_errors() == [
        "The end time must be after the start time."
    ]
    assert not PlannedMaintenanceTask.objects.exists()


def test_change_form_shows_linked_incidents_as_a_count_with_a_link(admin_client):
    task = PlannedMaintenanceTaskFactory()
    incidents = [IncidentFactory() for _ in range(3)]
    for incident in incidents[:2]:
        PlannedMaintenanceLinkFactory(task=task, incident=incident)
    page = admin_client.get(f"{CHANGELIST}{task.pk}/change/").content.decode()
    link = f"/admin/argus_incident/incident/?maintenance_tasks__id__exact={task.pk}"
    assert f'<a href="{link}">2 incident(s)</a>' in page
    assert str(incidents[0].description) not in page  # no widget listing incidents
    response = admin_client.get(link)
    assert response.status_code == 200
    assert {i.pk for i in response.context["cl"].result_list} == {i.pk for i in incidents[:2]}


def test_a_task_ended_long_ago_is_read_only(admin_client):
    task = past(hours_ago=13, description="history")
    response = admin_client.get(f"{CHANGELIST}{task.pk}/change/")
    assert "description" not in response.context["adminform"].form.fields
    response = admin_client.post(f"{CHANGELIST}{task.pk}/change/", {})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.description == "history"


def test_only_future_tasks_are_deleted(admin_client):
    coming, current = future(), PlannedMaintenanceTaskFactory()
    response = admin_client.post(f"{CHANGELIST}{current.pk}/delete/", {"post": "yes"}, follow=True)
    assert "It is not possible to delete past or ongoing planned maintenance tasks." in [
        str(m) for m in response.context["messages"]
    ]
    assert PlannedMaintenanceTask.objects.filter(pk=current.pk).exists()
    response = admin_client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [coming.pk, current.pk], "post": "yes"},
        follow=True,
    )
    assert PlannedMaintenanceTask.objects.count() == 2
    admin_client.post(f"{CHANGELIST}{coming.pk}/delete/", {"post": "yes"})
    assert not PlannedMaintenanceTask.objects.filter(pk=coming.pk).exists()


def test_the_filter_admin_refuses_deleting_a_filter_a_current_task_uses(admin_client):
    filter_ = FilterFactory()
    task = PlannedMaintenanceTaskFactory(filters=[filter_])
    response = admin_client.post(
        f"/admin/argus_notificationprofile/filter/{filter_.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert f"Cannot delete this filter since it is in use in planned maintenance task(s): #{task.pk}." in [
        str(m) for m in response.context["messages"]
    ]


def test_service_refusals_are_shown_on_their_field(admin_client, superuser):
    filter_ = FilterFactory()
    start, end = timezone.localtime(now() - minutes(60)), timezone.localtime(now() - minutes(30))
    form = {
        "created_by": superuser.pk,
        "start_time_0": start.strftime("%Y-%m-%d"),
        "start_time_1": start.strftime("%H:%M:%S"),
        "end_time_0": end.strftime("%Y-%m-%d"),
        "end_time_1": end.strftime("%H:%M:%S"),
        "filters": [filter_.pk],
    }
    response = admin_client.post(f"{CHANGELIST}add/", form)
    assert response.context["adminform"].form.errors["end_time"] == ["The end time must be in the future."]
    task = PlannedMaintenanceTaskFactory(filters=[filter_])
    response = admin_client.post(
        f"{CHANGELIST}{task.pk}/change/", {**form, "end_time_0": "", "end_time_1": ""}
    )
    assert response.context["adminform"].form.errors["start_time"] == [
        "The start time cannot be modified after the task has already started."
    ]
