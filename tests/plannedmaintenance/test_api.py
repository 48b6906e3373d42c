"""/api/v2/plannedmaintenance/: every row of the contract, through the public API."""

import datetime

import pytest
from django.utils import timezone

from argus.incident.models import Incident
from argus.plannedmaintenance.models import PlannedMaintenanceLink, PlannedMaintenanceTask
from argus.util.datetime_utils import INFINITY, datetime_to_api
from tests.factories import EndUserFactory, IncidentFactory, IncidentTagRelationFactory, TagFactory
from tests.notificationprofile.factories import FilterFactory, NotificationProfileFactory
from tests.plannedmaintenance.factories import (
    PlannedMaintenanceLinkFactory,
    PlannedMaintenanceTaskFactory,
    minutes,
)

pytestmark = pytest.mark.django_db

URL = "/api/v2/plannedmaintenance/"
KEYS = [
    "pk",
    "created_by",
    "created",
    "start_time",
    "end_time",
    "description",
    "filters",
    "notify_when_ended",
    "state",
    "modifiable",
]
FORBIDDEN = {"detail": "You do not have permission to perform this action."}
NOT_FOUND = {"detail": "No PlannedMaintenanceTask matches the given query."}


def iso(moment) -> str:
    return moment.isoformat()


def later(n_minutes) -> datetime.datetime:
    return timezone.now() + minutes(n_minutes)


@pytest.fixture
def staff(superuser):
    return superuser


@pytest.fixture
def staff_client(superuser_client):
    return superuser_client


@pytest.fixture
def oslo_filter(end_user):
    return FilterFactory(user=end_user, name="oslo core", filter={"tags": ["location=oslo"]})


def task_for(**kwargs):
    return PlannedMaintenanceTaskFactory(**kwargs)


def future_task(**kwargs):
    return task_for(start_time=later(60), end_time=later(120), **kwargs)


def past_task(hours_ago=1, **kwargs):
    end = timezone.now() - datetime.timedelta(hours=hours_ago)
    return task_for(start_time=end - minutes(30), end_time=end, **kwargs)


# --- the representation ------------------------------------------------------------------------


def test_created_task_has_the_documented_representation(staff_client, staff, oslo_filter):
    start, end = later(60).replace(microsecond=0), later(300).replace(microsecond=0)
    response = staff_client.post(
        URL,
        {
            "start_time": iso(start),
            "end_time": iso(end),
            "description": "Core router upgrade, Oslo",
            "filters": [oslo_filter.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert list(body) == KEYS
    task = PlannedMaintenanceTask.objects.get()
    assert body == {
        "pk": task.pk,
        "created_by": {"pk": staff.pk, "username": staff.username},
        "created": datetime_to_api(task.created),
        "start_time": datetime_to_api(start),
        "end_time": datetime_to_api(end),
        "description": "Core router upgrade, Oslo",
        "filters": [
            {
                "pk": oslo_filter.pk,
                "name": "oslo core",
                "filter": {
                    "tags": ["location=oslo"],
                    "open": None,
                    "acked": None,
                    "stateful": None,
                    "maxlevel": None,
                },
            }
        ],
        "notify_when_ended": True,
        "state": "future",
        "modifiable": True,
    }
    assert body["start_time"].endswith("+01:00") or body["start_time"].endswith("+02:00")


def test_open_ended_task_shows_infinity_and_defaults(staff_client, oslo_filter):
    before = timezone.now()
    body = staff_client.post(URL, {"filters": [oslo_filter.pk]}, format="json").json()
    assert body["end_time"] == "infinity"
    assert body["state"] == "current" and body["modifiable"] is True
    assert body["description"] == "" and body["notify_when_ended"] is True
    task = PlannedMaintenanceTask.objects.get()
    assert before <= task.start_time <= timezone.now()


def test_null_end_time_means_infinity(staff_client, oslo_filter):
    body = staff_client.post(URL, {"filters": [oslo_filter.pk], "end_time": None}, format="json").json()
    assert body["end_time"] == "infinity"


def test_deleted_creator_shows_as_null_and_the_task_stays(staff_client, oslo_filter):
    creator = EndUserFactory(is_staff=True)
    task = task_for(created_by=creator, filters=[oslo_filter])
    creator.delete()
    body = staff_client.get(f"{URL}{task.pk}/").json()
    assert body["created_by"] is None


def test_filters_of_any_user_are_accepted_and_shown_in_the_v2_shape(staff_client, other_end_user):
    foreign = FilterFactory(user=other_end_user, filter={"sourceSystemIds": [2], "event_types": ["STA"]})
    body = staff_client.post(URL, {"filters": [foreign.pk]}, format="json").json()
    assert body["filters"] == [
        {
            "pk": foreign.pk,
            "name": foreign.name,
            "filter": {
                "sourceSystemIds": [2],
                "open": None,
                "acked": None,
                "stateful": None,
                "maxlevel": None,
                "event_types": ["STA"],
            },
        }
    ]


# --- reading -----------------------------------------------------------------------------------


def test_any_user_lists_tasks_latest_start_first(end_user_client):
    a = task_for(start_time=timezone.now() - minutes(5))
    b = future_task()
    c = past_task()
    d = task_for(start_time=a.start_time)
    response = end_user_client.get(URL)
    assert response.status_code == 200
    assert [t["pk"] for t in response.json()] == [b.pk, d.pk, a.pk, c.pk]


@pytest.mark.parametrize("state", ["future", "current", "past"])
def test_list_by_state(end_user_client, state):
    tasks = {"future": future_task(), "current": task_for(), "past": past_task()}
    body = end_user_client.get(URL, {"state": state}).json()
    assert [(t["pk"], t["state"]) for t in body] == [(tasks[state].pk, state)]


def test_empty_state_is_no_filter(end_user_client):
    task_for()
    past_task()
    assert len(end_user_client.get(URL, {"state": ""}).json()) == 2


def test_unknown_state_is_a_400(end_user_client):
    response = end_user_client.get(URL, {"state": "x"})
    assert response.status_code == 400
    assert response.json() == {"state": ["Select a valid choice. x is not one of the available choices."]}


def test_list_costs_a_constant_number_of_queries(end_user_client, django_assert_num_queries):
    for _ in range(3):
        task_for(filters=[FilterFactory(), FilterFactory()])
    # token+user, tasks with their creators, their filters
    with django_assert_num_queries(3):
        response = end_user_client.get(URL)
    assert len(response.json()) == 3


def test_detail(end_user_client):
    task = task_for()
    body = end_user_client.get(f"{URL}{task.pk}/").json()
    assert body["pk"] == task.pk and body["state"] == "current"


@pytest.mark.parametrize("pk", ["999999", "99999999999999999999999"])
def test_unknown_task_is_a_404(end_user_client, pk):
    response = end_user_client.get(f"{URL}{pk}/")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_past_task_ended_long_ago_is_not_modifiable(end_user_client):
    recent, old = past_task(hours_ago=11), past_task(hours_ago=13)
    assert end_user_client.get(f"{URL}{recent.pk}/").json()["modifiable"] is True
    assert end_user_client.get(f"{URL}{old.pk}/").json()["modifiable"] is False


def test_anonymous_gets_a_401(api_client):
    task = task_for()
    for method, url in [("get", URL), ("get", f"{URL}{task.pk}/"), ("post", URL), ("post", f"{URL}preview/")]:
        response = getattr(api_client, method)(url)
        assert response.status_code == 401, (method, url)
        assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_not_under_v1(end_user_client):
    assert end_user_client.get("/api/v1/plannedmaintenance/").status_code == 404


# --- staff-only writes ---------------------------------------------------------------------------


def test_non_staff_gets_403_on_every_write(end_user_client, oslo_filter):
    task = task_for(filters=[oslo_filter])
    future = future_task(filters=[oslo_filter])
    writes = [
        ("post", URL, {"filters": [oslo_filter.pk]}),
        ("put", f"{URL}{task.pk}/", {"start_time": iso(task.start_time), "filters": [oslo_filter.pk]}),
        ("patch", f"{URL}{task.pk}/", {"description": "x"}),
        ("delete", f"{URL}{future.pk}/", None),
        ("post", f"{URL}{task.pk}/end/", None),
        ("post", f"{URL}preview/", {"filters": [oslo_filter.pk]}),
    ]
    for method, url, data in writes:
        response = getattr(end_user_client, method)(url, data, format="json")
        assert response.status_code == 403, (method, url)
        assert response.json() == FORBIDDEN
    assert PlannedMaintenanceTask.objects.count() == 2
    assert PlannedMaintenanceTask.objects.get(pk=task.pk).end_time == INFINITY


def test_non_staff_reads_tasks_and_their_incidents(end_user_client):
    link = PlannedMaintenanceLinkFactory()
    assert end_user_client.get(f"{URL}{link.task_id}/").status_code == 200
    assert end_user_client.get(f"{URL}{link.task_id}/incidents/").status_code == 200


# --- create: errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, errors",
    [
        ({}, {"filters": ["This field is required."]}),
        ({"filters": []}, {"filters": ["This list may not be empty."]}),
        ({"filters": [999999]}, {"filters": ['Invalid pk "999999" - object does not exist.']}),
        ({"filters": ["x"]}, {"filters": ["Incorrect type. Expected pk value, received str."]}),
        ({"filters": [True]}, {"filters": ["Incorrect type. Expected pk value, received bool."]}),
        ({"filters": 7}, {"filters": ['Expected a list of items but got type "int".']}),
    ],
)
def test_bad_filters_are_refused(staff_client, body, errors):
    response = staff_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not PlannedMaintenanceTask.objects.exists()


def test_huge_filter_pk_is_an_unknown_one(staff_client):
    response = staff_client.post(URL, {"filters": [2**70]}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["filters"]


def test_end_not_after_start_is_refused(staff_client, oslo_filter):
    start = later(60)
    for end in (start, start - minutes(1)):
        response = staff_client.post(
            URL, {"filters": [oslo_filter.pk], "start_time": iso(start), "end_time": iso(end)}, format="json"
        )
        assert response.status_code == 400
        assert response.json() == {"end_time": ["The end time must be after the start time."]}


def test_end_in_the_past_is_refused_on_create(staff_client, oslo_filter):
    body = {"filters": [oslo_filter.pk], "start_time": iso(later(-120)), "end_time": iso(later(-60))}
    response = staff_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"end_time": ["The end time must be in the future."]}
    assert not PlannedMaintenanceTask.objects.exists()


def test_start_in_the_past_is_fine(staff_client, oslo_filter):
    body = {"filters": [oslo_filter.pk], "start_time": iso(later(-120))}
    response = staff_client.post(URL, body, format="json")
    assert response.status_code == 201 and response.json()["state"] == "current"


def test_long_description_is_refused(staff_client, oslo_filter):
    response = staff_client.post(URL, {"filters": [oslo_filter.pk], "description": "x" * 256}, format="json")
    assert response.status_code == 400
    assert response.json() == {"description": ["Ensure this field has no more than 255 characters."]}


@pytest.mark.parametrize("field", ["start_time", "end_time"])
def test_bad_datetime_is_refused(staff_client, oslo_filter, field):
    response = staff_client.post(URL, {"filters": [oslo_filter.pk], field: "tomorrow"}, format="json")
    assert response.status_code == 400
    (message,) = response.json()[field]
    assert message.startswith("Datetime has wrong format.")


def test_read_only_and_unknown_keys_are_ignored(staff_client, staff, oslo_filter, other_end_user):
    body = {
        "filters": [oslo_filter.pk],
        "pk": 4242,
        "created": "2000-01-01T00:00:00+01:00",
        "created_by": other_end_user.pk,
        "state": "past",
        "modifiable": False,
        "bogus": 1,
    }
    created = staff_client.post(URL, body, format="json").json()
    assert created["pk"] != 4242 and created["created_by"]["pk"] == staff.pk
    assert created["state"] == "current" and not created["created"].startswith("2000")


# --- update ------------------------------------------------------------------------------------


def test_put_replaces_and_needs_start_time_and_filters(staff_client, oslo_filter):
    task = future_task(filters=[oslo_filter])
    response = staff_client.put(f"{URL}{task.pk}/", {"description": "only"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "start_time": ["This field is required."],
        "filters": ["This field is required."],
    }
    other = FilterFactory()
    start = later(30)
    response = staff_client.put(
        f"{URL}{task.pk}/", {"start_time": iso(start), "filters": [other.pk]}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["start_time"] == datetime_to_api(start)
    assert body["end_time"] == "infinity"  # omitted: infinity
    assert [f["pk"] for f in body["filters"]] == [other.pk]


def test_patch_changes_only_what_it_names(staff_client, oslo_filter):
    task = future_task(filters=[oslo_filter], description="before")
    response = staff_client.patch(
        f"{URL}{task.pk}/", {"description": "after", "notify_when_ended": False}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["description"], body["notify_when_ended"]) == ("after", False)
    assert body["start_time"] == datetime_to_api(task.start_time)
    assert [f["pk"] for f in body["filters"]] == [oslo_filter.pk]


def test_patch_end_before_start_is_refused(staff_client):
    task = future_task()
    response = staff_client.patch(f"{URL}{task.pk}/", {"end_time": iso(task.start_time)}, format="json")
    assert response.status_code == 400
    assert response.json() == {"end_time": ["The end time must be after the start time."]}


def test_start_of_a_started_task_cannot_change(staff_client):
    task = task_for()
    response = staff_client.patch(f"{URL}{task.pk}/", {"start_time": iso(later(-1))}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "start_time": ["The start time cannot be modified after the task has already started."]
    }


def test_sending_the_unchanged_start_is_fine(staff_client, oslo_filter):
    task = task_for(filters=[oslo_filter])
    shown = staff_client.get(f"{URL}{task.pk}/").json()
    response = staff_client.put(
        f"{URL}{task.pk}/",
        {"start_time": shown["start_time"], "filters": [oslo_filter.pk], "description": "moved on"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["description"] == "moved on"


def test_start_of_a_future_task_can_change(staff_client):
    task = future_task()
    response = staff_client.patch(f"{URL}{task.pk}/", {"start_time": iso(later(5))}, format="json")
    assert response.status_code == 200


@pytest.mark.parametrize("method", ["put", "patch"])
def test_task_ended_more_than_12_hours_ago_cannot_change(staff_client, oslo_filter, method):
    task = past_task(hours_ago=13, filters=[oslo_filter])
    body = {"start_time": iso(task.start_time), "filters": [oslo_filter.pk], "description": "late"}
    response = getattr(staff_client, method)(f"{URL}{task.pk}/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "This planned maintenance task is no longer modifiable as it ended more than 12 hours ago."
        ]
    }


def test_recently_ended_task_can_be_extended(staff_client):
    task = past_task(hours_ago=1)
    response = staff_client.patch(f"{URL}{task.pk}/", {"end_time": "infinity"}, format="json")
    assert response.status_code == 200
    assert response.json()["state"] == "current"


def test_unknown_task_is_a_404_on_writes(staff_client):
    for method in ("put", "patch", "delete"):
        response = getattr(staff_client, method)(f"{URL}999999/", {}, format="json")
        assert response.status_code == 404 and response.json() == NOT_FOUND
    response = staff_client.post(f"{URL}999999/end/")
    assert response.status_code == 404 and response.json() == NOT_FOUND


# --- delete and end ----------------------------------------------------------------------------


def test_future_task_can_be_deleted(staff_client):
    task = future_task()
    response = staff_client.delete(f"{URL}{task.pk}/")
    assert response.status_code == 204 and not response.content
    assert not PlannedMaintenanceTask.objects.exists()


@pytest.mark.parametrize("make", [task_for, past_task])
def test_current_or_past_task_cannot_be_deleted(staff_client, make):
    task = make()
    response = staff_client.delete(f"{URL}{task.pk}/")
    assert response.status_code == 400
    assert response.json() == ["It is not possible to delete past or ongoing planned maintenance tasks."]
    assert PlannedMaintenanceTask.objects.filter(pk=task.pk).exists()


def test_end_ends_a_current_task_now(staff_client):
    task = task_for()
    before = timezone.now()
    response = staff_client.post(f"{URL}{task.pk}/end/")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == KEYS and body["state"] == "past"
    task.refresh_from_db()
    assert before <= task.end_time <= timezone.now()


def test_end_of_a_future_task_is_refused(staff_client):
    response = staff_client.post(f"{URL}{future_task().pk}/end/")
    assert response.status_code == 400
    assert response.json() == ["The task has not started yet; delete it instead."]


def test_end_of_a_past_task_is_refused(staff_client):
    response = staff_client.post(f"{URL}{past_task().pk}/end/")
    assert response.status_code == 400
    assert response.json() == ["The task has already ended."]


def test_end_of_a_task_ended_long_ago_is_not_modifiable(staff_client):
    response = staff_client.post(f"{URL}{past_task(hours_ago=13).pk}/end/")
    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]


def test_end_only_takes_post(staff_client):
    task = task_for()
    assert staff_client.get(f"{URL}{task.pk}/end/").status_code == 405


# --- linked incidents --------------------------------------------------------------------------


def test_incidents_are_the_linked_ones_newest_first_in_the_v2_shape(end_user_client):
    task = task_for()
    old = IncidentFactory(start_time=timezone.now() - minutes(30))
    new = IncidentFactory()
    IncidentFactory()  # not linked
    PlannedMaintenanceLinkFactory(task=task, incident=old)
    PlannedMaintenanceLinkFactory(task=task, incident=new)
    body = end_user_client.get(f"{URL}{task.pk}/incidents/").json()
    assert list(body) == ["next", "previous", "results"]
    assert [i["pk"] for i in body["results"]] == [new.pk, old.pk]
    assert "metadata" in body["results"][0]


def test_incidents_are_cursor_paginated(end_user_client):
    task = task_for()
    for n in range(3):
        PlannedMaintenanceLinkFactory(
            task=task, incident=IncidentFactory(start_time=timezone.now() - minutes(n))
        )
    first = end_user_client.get(f"{URL}{task.pk}/incidents/", {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["next"] and first["previous"] is None
    second = end_user_client.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None


def test_incidents_of_an_unknown_task_is_a_404(end_user_client):
    response = end_user_client.get(f"{URL}999999/incidents/")
    assert response.status_code == 404 and response.json() == NOT_FOUND


# --- preview -----------------------------------------------------------------------------------


def tagged(tag, **kwargs):
    incident = IncidentFactory(**kwargs)
    key, value = tag.split("=")
    IncidentTagRelationFactory(incident=incident, tag=TagFactory(key=key, value=value))
    return incident


def test_preview_counts_open_incidents_and_those_every_filter_matches(staff_client):
    in_oslo = [tagged("location=oslo", start_time=timezone.now() - minutes(n)) for n in range(3)]
    tagged("location=oslo", end_time=timezone.now() - minutes(1))  # closed: not counted
    IncidentFactory()  # open, elsewhere
    oslo = FilterFactory(filter={"tags": ["location=oslo"]})
    severe = FilterFactory(filter={"maxlevel": 5})
    response = staff_client.post(
        f"{URL}preview/", {"filters": [oslo.pk, severe.pk], "limit": 2}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["open_incidents", "matching", "incidents"]
    assert (body["open_incidents"], body["matching"]) == (4, 3)
    assert [i["pk"] for i in body["incidents"]] == [in_oslo[0].pk, in_oslo[1].pk]


def test_preview_shows_five_by_default_and_none_with_limit_0(staff_client):
    for _ in range(6):
        IncidentFactory()
    every = FilterFactory(filter={"maxlevel": 5})
    assert (
        len(staff_client.post(f"{URL}preview/", {"filters": [every.pk]}, format="json").json()["incidents"])
        == 5
    )
    body = staff_client.post(f"{URL}preview/", {"filters": [every.pk], "limit": 0}, format="json").json()
    assert body["incidents"] == [] and body["matching"] == 6


@pytest.mark.parametrize(
    "body, errors",
    [
        ({}, {"filters": ["This field is required."]}),
        ({"filters": []}, {"filters": ["This list may not be empty."]}),
        ({"filters": [999999]}, {"filters": ['Invalid pk "999999" - object does not exist.']}),
        ({"filters": "FILTER", "limit": 101}, None),
    ],
)
def test_preview_refuses_bad_bodies(staff_client, body, errors):
    response = staff_client.post(f"{URL}preview/", body, format="json")
    assert response.status_code == 400
    if errors is not None:
        assert response.json() == errors


def test_preview_limit_bounds(staff_client, oslo_filter):
    response = staff_client.post(f"{URL}preview/", {"filters": [oslo_filter.pk], "limit": 101}, format="json")
    assert response.json() == {"limit": ["Ensure this value is less than or equal to 100."]}
    response = staff_client.post(f"{URL}preview/", {"filters": [oslo_filter.pk], "limit": -1}, format="json")
    assert response.json() == {"limit": ["Ensure this value is greater than or equal to 0."]}


def test_preview_is_a_post(staff_client):
    assert staff_client.get(f"{URL}preview/").status_code == 405


# --- filters used by tasks -----------------------------------------------------------------------


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_filter_used_by_a_future_or_current_task_cannot_be_deleted(end_user_client, end_user, version):
    filter_ = FilterFactory(user=end_user)
    first, second = task_for(filters=[filter_]), future_task(filters=[filter_])
    past_task(filters=[filter_])
    response = end_user_client.delete(f"/api/{version}/notificationprofiles/filters/{filter_.pk}/")
    assert response.status_code == 400
    assert response.json() == (
        f"Cannot delete this filter since it is in use in planned maintenance task(s): #{first.pk}, #{second.pk}."
    )
    assert filter_.__class__.objects.filter(pk=filter_.pk).exists()


def test_filter_of_past_tasks_only_can_be_deleted(end_user_client, end_user, staff_client):
    filter_, other = FilterFactory(user=end_user), FilterFactory()
    task = past_task(filters=[filter_, other])
    response = end_user_client.delete(f"/api/v2/notificationprofiles/filters/{filter_.pk}/")
    assert response.status_code == 204
    assert [f["pk"] for f in staff_client.get(f"{URL}{task.pk}/").json()["filters"]] == [other.pk]


def test_profile_refusal_comes_first(end_user_client, end_user):
    filter_ = FilterFactory(user=end_user)
    NotificationProfileFactory(user=end_user, filters=[filter_])
    task_for(filters=[filter_])
    response = end_user_client.delete(f"/api/v2/notificationprofiles/filters/{filter_.pk}/")
    assert response.status_code == 400
    assert response.json().startswith(
        "Cannot delete this filter since it is in use in the notification profile(s)"
    )


# --- under_maintenance on the incident lists -------------------------------------------------------


@pytest.fixture
def maintained(source_system):
    """Three open incidents of ``source_system``: linked to a current task, to a past one, to none."""
    current, past = task_for(), past_task()
    incidents = {name: IncidentFactory(source=source_system) for name in ("current", "past", "none")}
    PlannedMaintenanceLinkFactory(task=current, incident=incidents["current"])
    PlannedMaintenanceLinkFactory(task=past, incident=incidents["past"])
    return incidents


@pytest.mark.parametrize("path", ["incidents/", "incidents/mine/"])
@pytest.mark.parametrize(
    "value, expected", [("true", {"current"}), ("1", {"current"}), ("False", {"past", "none"}), ("x", None)]
)
def test_under_maintenance_filter_on_v2(source_client, maintained, path, value, expected):
    body = source_client.get(f"/api/v2/{path}", {"under_maintenance": value}).json()
    names = {
        name for name, incident in maintained.items() if incident.pk in {i["pk"] for i in body["results"]}
    }
    assert names == (expected if expected is not None else set(maintained))


def test_under_maintenance_counts(source_client, maintained):
    body = source_client.get("/api/v2/incidents/", {"under_maintenance": "true", "count": ""}).json()
    assert body["count"] == 1


def test_under_maintenance_is_not_a_v1_filter(source_client, maintained):
    body = source_client.get("/api/v1/incidents/", {"under_maintenance": "true"}).json()
    assert len(body["results"]) == 3


def test_representation_of_incidents_is_unchanged(source_client, maintained):
    incident = source_client.get(f"/api/v2/incidents/{maintained['current'].pk}/").json()
    assert "under_maintenance" not in incident and "maintenance" not in str(list(incident))


def test_linking_needs_no_incident_listing_rows(maintained):
    assert PlannedMaintenanceLink.objects.count() == 2
    assert Incident.objects.filter(maintenance_tasks__isnull=False).count() == 2
