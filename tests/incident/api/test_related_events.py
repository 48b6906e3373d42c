"""incidents/<pk>/events/ (incidents.md §4.10) and v2 incidents/events/ (§4.15)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from argus.incident.models import Event, Incident
from argus.util.datetime_utils import INFINITY
from tests.factories import EventFactory, IncidentFactory, SourceSystemFactory
from tests.incident.api.related_helpers import VERSIONS, make_incident, url

pytestmark = pytest.mark.django_db

TS = "2026-11-22T11:05:00+01:00"


@pytest.fixture(params=VERSIONS)
def version(request):
    return request.param


@pytest.fixture
def incident(source_system):
    return make_incident(source_system, description="link down")


def post_event(client, version, incident_pk, **body):
    return client.post(url(version, f"{incident_pk}/events/"), body, format="json")


# --- GET ---------------------------------------------------------------------------------------


def test_list_is_a_plain_array_newest_first_with_exact_keys(end_user_client, incident, version):
    older = EventFactory(incident=incident, timestamp=incident.start_time - timedelta(minutes=5))
    newer = EventFactory(incident=incident, timestamp=timezone.now(), description="later")
    response = end_user_client.get(url(version, f"{incident.pk}/events/"))
    assert response.status_code == 200
    body = response.json()
    assert [event["pk"] for event in body] == [newer.pk, incident.events.get(type="STA").pk, older.pk]
    sta = body[1]
    assert list(sta) == ["pk", "incident", "actor", "timestamp", "received", "type", "description"]
    assert sta["incident"] == incident.pk
    assert sta["actor"] == {"pk": incident.source.user.pk, "username": incident.source.user.username}
    assert sta["type"] == {"value": "STA", "display": "Incident start"}
    assert sta["description"] == "link down"


def test_list_costs_constant_queries(end_user_client, incident, django_assert_max_num_queries):
    for _ in range(20):
        EventFactory(incident=incident)
    with django_assert_max_num_queries(4):  # auth token, incident, events+actors
        response = end_user_client.get(url("v2", f"{incident.pk}/events/"))
    assert len(response.json()) == 21


def test_list_of_unknown_incident_is_404(end_user_client, db, version):
    response = end_user_client.get(url(version, "999999/events/"))
    assert response.status_code == 404
    assert response.json() == {"detail": "No Incident matches the given query."}


@pytest.mark.parametrize("pk", ["abc", "99999999999999999999999"])
def test_list_with_bad_pk_is_404_not_500(end_user_client, db, pk):
    response = end_user_client.get(url("v2", f"{pk}/events/"))
    assert response.status_code == 404


def test_list_needs_authentication(api_client, incident, version):
    response = api_client.get(url(version, f"{incident.pk}/events/"))
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_detail_returns_the_event_of_that_incident(end_user_client, incident, version):
    event = incident.events.get()
    response = end_user_client.get(url(version, f"{incident.pk}/events/{event.pk}/"))
    assert response.status_code == 200
    assert response.json()["pk"] == event.pk


def test_detail_of_event_of_another_incident_is_404(end_user_client, incident, version):
    other = EventFactory()
    response = end_user_client.get(url(version, f"{incident.pk}/events/{other.pk}/"))
    assert response.status_code == 404
    assert response.json() == {"detail": "No Event matches the given query."}


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_detail_cannot_be_changed(end_user_client, incident, method):
    event = incident.events.get()
    response = getattr(end_user_client, method)(url("v2", f"{incident.pk}/events/{event.pk}/"), {})
    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method.upper()}" not allowed.'}


# --- POST: who may post what (rule 1) -----------------------------------------------------------------


def test_source_system_ends_its_incident(source_client, incident, version):
    response = post_event(
        source_client, version, incident.pk, type="END", timestamp=TS, description="resolved"
    )
    assert response.status_code == 201
    body = response.json()
    assert list(body) == ["pk", "incident", "actor", "timestamp", "received", "type", "description"]
    assert body["type"] == {"value": "END", "display": "Incident end"}
    assert body["timestamp"] == TS
    assert body["description"] == "resolved"
    assert body["actor"]["pk"] == incident.source.user.pk
    incident.refresh_from_db()
    assert incident.end_time == datetime(2026, 11, 22, 10, 5, tzinfo=UTC)
    assert not incident.open
    assert "resolved" in incident.search_text


def test_source_system_must_send_timestamp(source_client, incident, version):
    response = post_event(source_client, version, incident.pk, type="OTH")
    assert response.status_code == 400
    assert response.json() == {"timestamp": ["This field is required."]}
    assert incident.events.count() == 1


def test_end_user_timestamp_defaults_to_now(end_user_client, end_user, incident, version):
    before = timezone.now()
    response = post_event(end_user_client, version, incident.pk, type="CLO", description="done")
    assert response.status_code == 201
    event = Event.objects.get(pk=response.json()["pk"])
    assert event.actor == end_user
    assert event.timestamp >= before
    incident.refresh_from_db()
    assert incident.end_time == event.timestamp


@pytest.mark.parametrize("event_type", ["CLO", "REO", "ACK"])
def test_source_system_cannot_post_end_user_types(source_client, incident, version, event_type):
    response = post_event(source_client, version, incident.pk, type=event_type, timestamp=TS)
    assert response.status_code == 400
    assert response.json() == {"type": f"A source system cannot post events of type '{event_type}'."}
    assert incident.events.count() == 1


@pytest.mark.parametrize("event_type", ["STA", "END", "CHI", "LES"])
def test_end_user_cannot_post_source_types(end_user_client, incident, version, event_type):
    response = post_event(end_user_client, version, incident.pk, type=event_type, timestamp=TS)
    assert response.status_code == 400
    assert response.json() == {"type": f"An end user cannot post events of type '{event_type}'."}


def test_superuser_without_source_is_an_end_user(superuser_client, incident):
    response = post_event(superuser_client, "v2", incident.pk, type="END", timestamp=TS)
    assert response.status_code == 400
    assert response.json() == {"type": "An end user cannot post events of type 'END'."}


def test_any_source_system_may_post_to_any_incident(client_for, incident):
    other_source = SourceSystemFactory()
    response = post_event(client_for(other_source.user), "v2", incident.pk, type="OTH", timestamp=TS)
    assert response.status_code == 201


# --- POST: state rules (rule 2) ---------------------------------------------------------------------


def test_end_user_cannot_close_a_closed_incident(end_user_client, incident, version):
    assert post_event(end_user_client, version, incident.pk, type="CLO").status_code == 201
    response = post_event(end_user_client, version, incident.pk, type="CLO")
    assert response.status_code == 400
    assert response.json() == {"type": "The incident is already closed."}


def test_end_user_reopens_a_closed_incident(end_user_client, source_system, version):
    incident = make_incident(source_system, end_time=timezone.now() - timedelta(minutes=1))
    response = post_event(end_user_client, version, incident.pk, type="REO", timestamp=TS)
    assert response.status_code == 201
    incident.refresh_from_db()
    assert incident.end_time == INFINITY


def test_end_user_cannot_reopen_an_open_incident(end_user_client, incident, version):
    response = post_event(end_user_client, version, incident.pk, type="REO")
    assert response.status_code == 400
    assert response.json() == {"type": "The incident is already open."}


def test_end_user_ack_is_sent_to_the_acks_endpoint_of_the_same_version(end_user_client, incident, version):
    response = post_event(end_user_client, version, incident.pk, type="ACK")
    assert response.status_code == 400
    expected = f"http://testserver/api/{version}/incidents/{incident.pk}/acks/"
    assert response.json() == {
        "type": f"Acknowledgements of this incidents should be posted through {expected}."
    }


@pytest.mark.parametrize("event_type", ["CLO", "REO"])
def test_end_user_cannot_change_state_of_stateless_incident(end_user_client, source_system, event_type):
    incident = make_incident(source_system, stateless=True)
    response = post_event(end_user_client, "v2", incident.pk, type=event_type)
    assert response.status_code == 400
    assert response.json() == {"type": "Cannot change the state of a stateless incident."}
    incident.refresh_from_db()
    assert incident.end_time is None


def test_end_user_may_post_other_on_any_incident(end_user_client, source_system):
    incident = make_incident(source_system, stateless=True)
    response = post_event(end_user_client, "v2", incident.pk, type="OTH", description="note")
    assert response.status_code == 201


def test_source_system_second_end_is_recorded_but_keeps_end_time(source_client, incident, version):
    assert post_event(source_client, version, incident.pk, type="END", timestamp=TS).status_code == 201
    response = post_event(
        source_client, version, incident.pk, type="END", timestamp="2026-11-22T12:00:00+01:00"
    )
    assert response.status_code == 201
    incident.refresh_from_db()
    assert incident.end_time == datetime(2026, 11, 22, 10, 5, tzinfo=UTC)
    assert incident.events.filter(type="END").count() == 2


def test_source_system_cannot_end_a_reopened_incident_twice(source_client, end_user_client, incident):
    post_event(source_client, "v2", incident.pk, type="END", timestamp=TS)
    assert post_event(end_user_client, "v2", incident.pk, type="REO").status_code == 201
    response = post_event(source_client, "v2", incident.pk, type="END", timestamp=TS)
    assert response.status_code == 201
    incident.refresh_from_db()
    assert incident.end_time == INFINITY


def test_source_system_second_start_is_recorded(source_client, incident):
    response = post_event(source_client, "v2", incident.pk, type="STA", timestamp=TS)
    assert response.status_code == 201
    assert incident.events.filter(type="STA").count() == 2


@pytest.mark.parametrize("event_type", ["END", "STA", "LES"])
def test_source_system_events_on_stateless_incident_change_no_state(source_client, source_system, event_type):
    incident = make_incident(source_system, stateless=True)
    response = post_event(source_client, "v2", incident.pk, type=event_type, timestamp=TS)
    assert response.status_code == 201
    incident.refresh_from_db()
    assert incident.end_time is None


def test_future_end_leaves_incident_open_until_then(source_client, incident):
    future = (timezone.now() + timedelta(hours=2)).isoformat()
    assert post_event(source_client, "v2", incident.pk, type="END", timestamp=future).status_code == 201
    incident.refresh_from_db()
    assert incident.open


# --- POST: body validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, errors",
    [
        ({"type": "XYZ"}, {"type": ['"XYZ" is not a valid choice.']}),
        ({"type": "RES"}, {"type": ['"RES" is not a valid choice.']}),
        ({}, {"type": ["This field is required."]}),
        ({"type": None}, {"type": ["This field may not be null."]}),
        ({"type": "OTH", "description": None}, {"description": ["This field may not be null."]}),
        ({"type": "OTH", "timestamp": None}, {"timestamp": ["This field may not be null."]}),
        (
            {"type": "OTH", "actor": "x"},
            {"actor": {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}},
        ),
        (
            {"type": "OTH", "timestamp": "1700000000"},
            {
                "timestamp": [
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z], or 'infinity'."
                ]
            },
        ),
    ],
)
def test_bad_bodies_are_400_and_change_nothing(end_user_client, incident, version, body, errors):
    response = end_user_client.post(url(version, f"{incident.pk}/events/"), body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert incident.events.count() == 1


def test_json_array_body_is_400(end_user_client, incident, version):
    response = end_user_client.post(url(version, f"{incident.pk}/events/"), [1], format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}


def test_ignored_keys_in_body(end_user_client, incident):
    response = post_event(
        end_user_client, "v2", incident.pk, type="OTH", actor={"pk": 1}, incident=12345, pk=7, received=TS
    )
    assert response.status_code == 201
    body = response.json()
    assert body["incident"] == incident.pk
    assert body["pk"] != 7


def test_post_to_unknown_incident_is_404_after_body_validation(end_user_client, db, version):
    response = post_event(end_user_client, version, 999999, type="OTH")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Incident matches the given query."}
    response = post_event(end_user_client, version, 999999, type="BAD")
    assert response.status_code == 400


# --- v2 GET incidents/events/ (§4.15) --------------------------------------------------------------------


def test_all_events_are_cursor_paginated_newest_first(end_user_client, db):
    base = timezone.now() - timedelta(days=1)
    events = [EventFactory(timestamp=base + timedelta(minutes=i)) for i in range(5)]
    response = end_user_client.get("/api/v2/incidents/events/?page_size=2")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["next", "previous", "results"]
    assert [e["pk"] for e in body["results"]] == [events[4].pk, events[3].pk]
    assert body["previous"] is None
    assert body["next"].startswith("http://testserver/api/v2/incidents/events/?cursor=")
    second = end_user_client.get(body["next"]).json()
    assert [e["pk"] for e in second["results"]] == [events[2].pk, events[1].pk]
    assert second["previous"] is not None
    assert list(second["results"][0]) == [
        "pk",
        "incident",
        "actor",
        "timestamp",
        "received",
        "type",
        "description",
    ]


@pytest.mark.parametrize("page_size", [1, 10, 100])
def test_all_events_cost_constant_queries(end_user_client, db, django_assert_num_queries, page_size):
    incident = IncidentFactory()
    for _ in range(30):
        EventFactory(incident=incident)
    with django_assert_num_queries(2):  # token, events joined with actors
        response = end_user_client.get(f"/api/v2/incidents/events/?page_size={page_size}")
    assert len(response.json()["results"]) == min(page_size, 30)


def test_all_events_invalid_cursor_is_404(end_user_client, db):
    response = end_user_client.get("/api/v2/incidents/events/?cursor=cD0yMDIw")
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}


def test_all_events_is_v2_only_and_authenticated(api_client, end_user_client, db):
    assert api_client.get("/api/v2/incidents/events/").status_code == 401
    assert end_user_client.get("/api/v1/incidents/events/").status_code == 404


def test_events_of_incident_count_is_unchanged_by_failed_posts(end_user_client, incident):
    post_event(end_user_client, "v2", incident.pk, type="END")
    assert Incident.objects.get(pk=incident.pk).open


def test_options_describes_the_post_body(end_user_client, incident, version):
    response = end_user_client.options(url(version, f"{incident.pk}/events/"))
    assert response.status_code == 200
    body = response.json()
    assert {"name", "description", "renders", "parses"} <= set(body)
    assert list(body["actions"]["POST"]) == ["type", "timestamp", "description", "actor"]
    assert body["actions"]["POST"]["type"]["required"] is True
