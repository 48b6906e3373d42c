"""incidents/<pk>/acks/ (incidents.md §4.11)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from argus.incident.models import Acknowledgement, Event
from argus.incident.queries import incidents_for_representation
from tests.factories import AcknowledgementFactory, EventFactory
from tests.incident.api.related_helpers import VERSIONS, make_incident, url

pytestmark = pytest.mark.django_db

TS = "2026-11-22T11:40:00+01:00"
FUTURE = "2099-01-01T00:00:00Z"


@pytest.fixture(params=VERSIONS)
def version(request):
    return request.param


@pytest.fixture
def incident(source_system):
    return make_incident(source_system)


def ack_body(version, timestamp=TS, description="looking", **extra):
    """The same ack in the body shape of each version (v1 nested, v2 flat)."""
    event = {"description": description}
    if timestamp is not None:
        event["timestamp"] = timestamp
    if version == "v1":
        return {"event": event, **extra}
    return {**event, **extra}


def acked(incident) -> bool:
    return incidents_for_representation().get(pk=incident.pk).acked


# --- POST -----------------------------------------------------------------------------------------


def test_end_user_acks_an_incident(end_user_client, end_user, incident, version):
    response = end_user_client.post(
        url(version, f"{incident.pk}/acks/"), ack_body(version, expiration=FUTURE), format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert list(body) == ["pk", "event", "expiration"]
    assert body["pk"] == body["event"]["pk"]
    assert body["event"]["type"] == {"value": "ACK", "display": "Acknowledge"}
    assert body["event"]["actor"] == {"pk": end_user.pk, "username": end_user.username}
    assert body["event"]["timestamp"] == TS
    assert body["event"]["description"] == "looking"
    assert body["expiration"] == "2099-01-01T01:00:00+01:00"
    ack = Acknowledgement.objects.get(pk=body["pk"])
    assert ack.event.incident_id == incident.pk
    assert acked(incident)
    incident.refresh_from_db()
    assert incident.open  # an ack changes no state


def test_source_system_may_ack(source_client, incident, version):
    response = source_client.post(url(version, f"{incident.pk}/acks/"), ack_body(version), format="json")
    assert response.status_code == 201
    assert response.json()["expiration"] is None


def test_v1_event_type_is_forced_to_ack(end_user_client, incident):
    body = {"event": {"timestamp": TS, "description": "x", "type": "OTH"}}
    response = end_user_client.post(url("v1", f"{incident.pk}/acks/"), body, format="json")
    assert response.status_code == 201
    assert Event.objects.get(pk=response.json()["pk"]).type == "ACK"


def test_v1_end_user_timestamp_defaults_to_now(end_user_client, incident):
    before = timezone.now()
    response = end_user_client.post(url("v1", f"{incident.pk}/acks/"), {"event": {}}, format="json")
    assert response.status_code == 201
    assert Event.objects.get(pk=response.json()["pk"]).timestamp >= before


def test_v1_source_system_must_send_timestamp(source_client, incident):
    response = source_client.post(url("v1", f"{incident.pk}/acks/"), {"event": {}}, format="json")
    assert response.status_code == 400
    assert response.json() == {"event": {"timestamp": ["This field is required."]}}


def test_v1_missing_event_is_400(end_user_client, incident):
    response = end_user_client.post(url("v1", f"{incident.pk}/acks/"), {"expiration": None}, format="json")
    assert response.status_code == 400
    assert response.json() == {"event": ["This field is required."]}


def test_v2_timestamp_required_for_everybody(end_user_client, incident):
    response = end_user_client.post(url("v2", f"{incident.pk}/acks/"), {"description": "x"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"timestamp": ["This field is required."]}
    assert not Acknowledgement.objects.exists()


@pytest.mark.parametrize("expiration", [TS, "2026-11-22T11:00:00+01:00"])
def test_expiration_must_be_after_timestamp(end_user_client, incident, version, expiration):
    response = end_user_client.post(
        url(version, f"{incident.pk}/acks/"), ack_body(version, expiration=expiration), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["'expiration' is earlier than creation timestamp."]}
    assert not Acknowledgement.objects.exists()


def test_ack_born_expired_is_accepted_and_does_not_ack(end_user_client, incident, version):
    body = ack_body(version, timestamp="2020-01-01T00:00:00Z", expiration="2020-01-02T00:00:00Z")
    response = end_user_client.post(url(version, f"{incident.pk}/acks/"), body, format="json")
    assert response.status_code == 201
    assert not acked(incident)


def test_bad_expiration_format(end_user_client, incident, version):
    body = ack_body(version, expiration="soon")
    response = end_user_client.post(url(version, f"{incident.pk}/acks/"), body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["expiration"]


def test_post_to_unknown_incident_is_404(end_user_client, db, version):
    response = end_user_client.post(url(version, "999999/acks/"), ack_body(version), format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Incident matches the given query."}


def test_post_needs_authentication(api_client, incident):
    response = api_client.post(url("v2", f"{incident.pk}/acks/"), ack_body("v2"), format="json")
    assert response.status_code == 401


# --- GET --------------------------------------------------------------------------------------------


def test_list_is_plain_array_newest_first(end_user_client, incident, version):
    old = AcknowledgementFactory(
        event=EventFactory(incident=incident, type="ACK", timestamp=timezone.now() - timedelta(hours=1))
    )
    new = AcknowledgementFactory(event=EventFactory(incident=incident, type="ACK", timestamp=timezone.now()))
    AcknowledgementFactory()  # another incident's ack
    response = end_user_client.get(url(version, f"{incident.pk}/acks/"))
    assert response.status_code == 200
    assert [ack["pk"] for ack in response.json()] == [new.pk, old.pk]


def test_list_costs_constant_queries(end_user_client, incident, django_assert_max_num_queries):
    for _ in range(15):
        AcknowledgementFactory(event=EventFactory(incident=incident, type="ACK"))
    with django_assert_max_num_queries(3):
        response = end_user_client.get(url("v2", f"{incident.pk}/acks/"))
    assert len(response.json()) == 15


def test_list_of_unknown_incident_is_404(end_user_client, db, version):
    response = end_user_client.get(url(version, "999999/acks/"))
    assert response.status_code == 404
    assert response.json() == {"detail": "No Incident matches the given query."}


def test_detail(end_user_client, incident, version):
    ack = AcknowledgementFactory(event=EventFactory(incident=incident, type="ACK"))
    response = end_user_client.get(url(version, f"{incident.pk}/acks/{ack.pk}/"))
    assert response.status_code == 200
    assert response.json()["pk"] == ack.pk


def test_detail_of_non_ack_event_or_other_incident_is_404(end_user_client, incident, version):
    other_ack = AcknowledgementFactory()
    sta = incident.events.get()
    for pk in (other_ack.pk, sta.pk, 999999):
        response = end_user_client.get(url(version, f"{incident.pk}/acks/{pk}/"))
        assert response.status_code == 404
        assert response.json() == {"detail": "No Acknowledgement matches the given query."}


def test_detail_cannot_be_deleted(end_user_client, incident):
    ack = AcknowledgementFactory(event=EventFactory(incident=incident, type="ACK"))
    response = end_user_client.delete(url("v2", f"{incident.pk}/acks/{ack.pk}/"))
    assert response.status_code == 405
    assert Acknowledgement.objects.filter(pk=ack.pk).exists()


# --- PUT / PATCH ------------------------------------------------------------------------------------


@pytest.fixture
def ack(incident, end_user):
    return AcknowledgementFactory(event=EventFactory(incident=incident, type="ACK", actor=end_user))


@pytest.mark.parametrize("method", ["put", "patch"])
def test_anyone_may_change_expiration(other_end_user_client, incident, ack, version, method):
    response = getattr(other_end_user_client, method)(
        url(version, f"{incident.pk}/acks/{ack.pk}/"), {"expiration": FUTURE}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["expiration"] == "2099-01-01T01:00:00+01:00"
    ack.refresh_from_db()
    assert ack.expiration == datetime(2099, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("method", ["put", "patch"])
def test_missing_expiration_sets_null(end_user_client, incident, ack, method):
    ack.expiration = timezone.now() + timedelta(days=1)
    ack.save()
    response = getattr(end_user_client, method)(url("v2", f"{incident.pk}/acks/{ack.pk}/"), {}, format="json")
    assert response.status_code == 200
    assert response.json()["expiration"] is None
    ack.refresh_from_db()
    assert ack.expiration is None


def test_expiration_in_the_past_is_refused(end_user_client, incident, ack):
    response = end_user_client.patch(
        url("v2", f"{incident.pk}/acks/{ack.pk}/"), {"expiration": "2020-01-01T00:00:00Z"}, format="json"
    )
    assert response.status_code == 400
    (message,) = response.json()["expiration"]
    assert message.startswith("'expiration' must be later than current moment (")
    assert message.endswith("+00:00) or null.")
    now_text = message.split("(")[1].split(")")[0]
    assert abs(datetime.fromisoformat(now_text) - timezone.now()) < timedelta(minutes=1)
    assert " " in now_text  # printed like str(datetime): '2026-11-22 10:39:06.505401+00:00'
    ack.refresh_from_db()
    assert ack.expiration is None


def test_expired_ack_cannot_be_changed(end_user_client, incident, ack):
    ack.expiration = timezone.now() - timedelta(minutes=1)
    ack.save()
    response = end_user_client.patch(
        url("v2", f"{incident.pk}/acks/{ack.pk}/"), {"expiration": None}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == ["Cannot change expired Acknowledgement"]


def test_change_of_unknown_ack_is_404(end_user_client, incident):
    response = end_user_client.patch(url("v2", f"{incident.pk}/acks/999999/"), {}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Acknowledgement matches the given query."}


def test_options_describes_the_post_body_of_each_version(end_user_client, incident, version):
    response = end_user_client.options(url(version, f"{incident.pk}/acks/"))
    assert response.status_code == 200
    fields = response.json()["actions"]["POST"]
    expected = ["event", "expiration"] if version == "v1" else ["timestamp", "description", "expiration"]
    assert list(fields) == expected
