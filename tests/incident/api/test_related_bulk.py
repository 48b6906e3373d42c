"""v2 bulk endpoints: acks/bulk/, events/bulk/, ticket_url/bulk/ (incidents.md §4.16)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from argus.incident.models import Acknowledgement, Event, Incident
from argus.util.datetime_utils import INFINITY
from tests.incident.api.related_helpers import make_incident

pytestmark = pytest.mark.django_db

TS = "2026-11-22T11:45:00+01:00"
MISSING = 999999


@pytest.fixture
def incidents(source_system):
    return [make_incident(source_system) for _ in range(3)]


def post(client, path, body):
    return client.post(f"/api/v2/incidents/{path}", body, format="json")


def missing_entry(key, pk=MISSING):
    return {key: None, "status": 400, "errors": {"ids": f"Incident with id {pk} could not be found."}}


# --- request shape (all three endpoints) ---------------------------------------------------------------


BODIES = {
    "acks/bulk/": {"ack": {"timestamp": TS}},
    "events/bulk/": {"event": {"type": "OTH", "timestamp": TS}},
    "ticket_url/bulk/": {"ticket_url": "https://tickets.example.org/1"},
}


@pytest.mark.parametrize("path", BODIES)
@pytest.mark.parametrize(
    "ids, errors",
    [
        (None, {"ids": ["This field is required."]}),
        ([], {"ids": ["This list may not be empty."]}),
        (["x"], {"ids": {"0": ["A valid integer is required."]}}),
    ],
)
def test_ids_are_validated(end_user_client, incidents, path, ids, errors):
    body = dict(BODIES[path])
    if ids is not None:
        body["ids"] = ids
    events = Event.objects.count()
    response = post(end_user_client, path, body)
    assert response.status_code == 400
    assert response.json() == errors
    assert Event.objects.count() == events


@pytest.mark.parametrize("path", BODIES)
def test_bulk_needs_authentication(api_client, incidents, path):
    response = post(api_client, path, {"ids": [incidents[0].pk], **BODIES[path]})
    assert response.status_code == 401


@pytest.mark.parametrize("path", BODIES)
def test_bulk_is_v2_only(end_user_client, incidents, path):
    response = end_user_client.post(
        f"/api/v1/incidents/{path}", {"ids": [incidents[0].pk], **BODIES[path]}, format="json"
    )
    assert response.status_code in (404, 405)
    assert not Event.objects.filter(description="").exclude(type="STA").exists()


@pytest.mark.parametrize("path", BODIES)
def test_all_ids_missing_is_400(end_user_client, db, path):
    response = post(end_user_client, path, {"ids": [MISSING, 2**70], **BODIES[path]})
    assert response.status_code == 400
    key = path.split("/")[0].rstrip("s") if path != "ticket_url/bulk/" else "ticket_url"
    assert response.json() == {
        "changes": {str(MISSING): missing_entry(key), str(2**70): missing_entry(key, 2**70)}
    }


# --- acks/bulk/ ---------------------------------------------------------------------------------------


def test_bulk_ack_mixed_ids(end_user_client, end_user, incidents):
    target = incidents[0]
    body = {
        "ids": [target.pk, MISSING, target.pk],
        "ack": {"timestamp": TS, "description": "bulk ack", "expiration": None},
    }
    response = post(end_user_client, "acks/bulk/", body)
    assert response.status_code == 201
    changes = response.json()["changes"]
    assert list(changes) == [str(MISSING), str(target.pk)]
    assert changes[str(MISSING)] == missing_entry("ack")
    entry = changes[str(target.pk)]
    assert list(entry) == ["ack", "status", "errors"]
    assert entry["status"] == 201 and entry["errors"] is None
    ack = Acknowledgement.objects.get()
    assert entry["ack"]["pk"] == ack.pk
    assert entry["ack"]["event"]["incident"] == target.pk
    assert entry["ack"]["event"]["actor"] == {"pk": end_user.pk, "username": end_user.username}
    assert entry["ack"]["event"]["type"] == {"value": "ACK", "display": "Acknowledge"}
    assert entry["ack"]["event"]["description"] == "bulk ack"
    assert entry["ack"]["expiration"] is None


@pytest.mark.parametrize(
    "ack, errors",
    [
        (None, {"ack": ["This field is required."]}),
        ({"description": "x"}, {"ack": {"timestamp": ["This field is required."]}}),
        (
            {"timestamp": TS, "expiration": TS},
            {"ack": {"non_field_errors": ["'expiration' is earlier than creation timestamp."]}},
        ),
    ],
)
def test_bulk_ack_body_errors(end_user_client, incidents, ack, errors):
    body = {"ids": [incidents[0].pk]}
    if ack is not None:
        body["ack"] = ack
    response = post(end_user_client, "acks/bulk/", body)
    assert response.status_code == 400
    assert response.json() == errors
    assert not Acknowledgement.objects.exists()


@pytest.mark.parametrize("count", [1, 10])
def test_bulk_ack_costs_constant_queries(end_user_client, source_system, django_assert_num_queries, count):
    ids = [make_incident(source_system).pk for _ in range(count)]
    # token, incidents, savepoint+events, acks, acked_until update, the current maintenance tasks
    # (none), the events' pending-notification rows, release (+ broadcast and waking the workers run
    # after commit)
    with django_assert_num_queries(9):
        response = post(end_user_client, "acks/bulk/", {"ids": ids, "ack": {"timestamp": TS}})
    assert response.status_code == 201
    assert Acknowledgement.objects.count() == count


# --- events/bulk/ -----------------------------------------------------------------------------------------


def test_bulk_close_ends_only_open_incidents_but_records_all(end_user_client, source_system):
    open_incident = make_incident(source_system)
    stateless = make_incident(source_system, stateless=True)
    ended_at = timezone.now() - timedelta(minutes=10)
    closed = make_incident(source_system, end_time=ended_at)
    ids = [open_incident.pk, stateless.pk, closed.pk]
    response = post(end_user_client, "events/bulk/", {"ids": ids, "event": {"type": "CLO", "timestamp": TS}})
    assert response.status_code == 201
    changes = response.json()["changes"]
    assert [changes[str(pk)]["event"]["type"]["value"] for pk in ids] == ["CLO"] * 3
    assert Event.objects.filter(type="CLO").count() == 3
    state = {i.pk: i.end_time for i in Incident.objects.filter(pk__in=ids)}
    assert state[open_incident.pk] == datetime(2026, 11, 22, 10, 45, tzinfo=UTC)
    assert state[stateless.pk] is None
    assert state[closed.pk] == ended_at


def test_bulk_reopen_reopens_closed_incidents(end_user_client, source_system):
    closed = make_incident(source_system, end_time=timezone.now() - timedelta(minutes=10))
    open_incident = make_incident(source_system)
    response = post(
        end_user_client, "events/bulk/", {"ids": [closed.pk, open_incident.pk], "event": {"type": "REO"}}
    )
    assert response.status_code == 201
    closed.refresh_from_db()
    assert closed.end_time == INFINITY
    assert Event.objects.filter(type="REO").count() == 2


@pytest.mark.parametrize("event_type", ["END", "STA", "ACK", "OTH"])
def test_bulk_events_skip_per_user_and_state_rules(end_user_client, incidents, event_type):
    target = incidents[0]
    response = post(end_user_client, "events/bulk/", {"ids": [target.pk], "event": {"type": event_type}})
    assert response.status_code == 201
    assert response.json()["changes"][str(target.pk)]["event"]["type"]["value"] == event_type
    target.refresh_from_db()
    assert target.end_time == INFINITY  # only CLO/REO change state


def test_bulk_event_timestamp_required_for_source_systems(source_client, incidents):
    response = post(source_client, "events/bulk/", {"ids": [incidents[0].pk], "event": {"type": "OTH"}})
    assert response.status_code == 400
    assert response.json() == {"event": {"timestamp": ["This field is required."]}}


def test_bulk_event_end_user_timestamp_defaults_to_now(end_user_client, incidents):
    before = timezone.now()
    response = post(end_user_client, "events/bulk/", {"ids": [incidents[0].pk], "event": {"type": "OTH"}})
    assert response.status_code == 201
    assert Event.objects.get(type="OTH").timestamp >= before


@pytest.mark.parametrize(
    "event, errors",
    [
        (None, {"event": ["This field is required."]}),
        ({"type": "BAD", "timestamp": TS}, {"event": {"type": ['"BAD" is not a valid choice.']}}),
        ({"timestamp": TS}, {"event": {"type": ["This field is required."]}}),
    ],
)
def test_bulk_event_body_errors(end_user_client, incidents, event, errors):
    body = {"ids": [incidents[0].pk]}
    if event is not None:
        body["event"] = event
    response = post(end_user_client, "events/bulk/", body)
    assert response.status_code == 400
    assert response.json() == errors


@pytest.mark.parametrize("count", [1, 10])
def test_bulk_events_cost_constant_queries(end_user_client, source_system, django_assert_num_queries, count):
    ids = [make_incident(source_system).pk for _ in range(count)]
    # token (with the user's source, so the is-source check is free), incidents, savepoint, close
    # update, its copy onto the tag relations, events insert, the current maintenance tasks (none),
    # the events' pending-notification rows, release
    with django_assert_num_queries(9):
        response = post(end_user_client, "events/bulk/", {"ids": ids, "event": {"type": "CLO"}})
    assert response.status_code == 201
    assert Event.objects.filter(type="CLO").count() == count


# --- ticket_url/bulk/ ----------------------------------------------------------------------------------------


def test_bulk_ticket_url_sets_value_and_always_records_change(end_user_client, end_user, source_system):
    same = make_incident(source_system, ticket_url="not a url")
    empty = make_incident(source_system)
    body = {"ids": [same.pk, empty.pk, MISSING], "ticket_url": "not a url"}
    response = post(end_user_client, "ticket_url/bulk/", body)
    assert response.status_code == 201
    changes = response.json()["changes"]
    assert changes[str(same.pk)] == {"ticket_url": "not a url", "status": 201, "errors": None}
    assert changes[str(MISSING)] == missing_entry("ticket_url")
    assert Incident.objects.get(pk=empty.pk).ticket_url == "not a url"
    descriptions = sorted(
        Event.objects.filter(type="CHI", actor=end_user).values_list("description", flat=True)
    )
    assert descriptions == [
        'Change: "ticket_url":  → not a url',
        'Change: "ticket_url": not a url → not a url',
    ]


@pytest.mark.parametrize(
    "body, errors",
    [
        ({}, {"ticket_url": ["This field is required."]}),
        ({"ticket_url": None}, {"ticket_url": ["This field may not be null."]}),
    ],
)
def test_bulk_ticket_url_body_errors(end_user_client, incidents, body, errors):
    response = post(end_user_client, "ticket_url/bulk/", {"ids": [incidents[0].pk], **body})
    assert response.status_code == 400
    assert response.json() == errors
    assert not Event.objects.filter(type="CHI").exists()


@pytest.mark.parametrize("count", [1, 10])
def test_bulk_ticket_url_costs_constant_queries(
    end_user_client, source_system, django_assert_num_queries, count
):
    ids = [make_incident(source_system).pk for _ in range(count)]
    # token, incidents, savepoint, events insert, incidents update, the current maintenance tasks
    # (none), release
    with django_assert_num_queries(7):
        response = post(
            end_user_client, "ticket_url/bulk/", {"ids": ids, "ticket_url": "https://t.example.org/"}
        )
    assert response.status_code == 201
