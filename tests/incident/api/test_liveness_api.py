"""Source liveness through the API: implicit last_seen, the explicit heartbeat, the frequency
setting and the liveness list."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from argus.incident.models import SourceSystem
from argus.util.datetime_utils import datetime_to_api
from tests.factories import SourceSystemFactory, SourceSystemTypeFactory
from tests.incident.api.related_helpers import make_incident, url

pytestmark = pytest.mark.django_db

HEARTBEAT = "/api/v2/incidents/sources/heartbeat/"
LIVENESS = "/api/v2/incidents/sources/liveness/"


def stored(source) -> SourceSystem:
    return SourceSystem.objects.get(pk=source.pk)


def set_last_seen(source, value):
    SourceSystem.objects.filter(pk=source.pk).update(last_seen=value)


# --- the explicit heartbeat -----------------------------------------------------------------------


def test_a_heartbeat_records_the_source_as_seen_now(source_client, source_system):
    before = timezone.now()
    response = source_client.post(HEARTBEAT)
    assert response.status_code == 204
    assert response.content == b""
    assert before <= stored(source_system).last_seen <= timezone.now()


def test_a_heartbeat_is_written_even_right_after_another_sighting(source_client, source_system):
    recently = timezone.now() - timedelta(seconds=1)
    set_last_seen(source_system, recently)
    assert source_client.post(HEARTBEAT).status_code == 204
    assert stored(source_system).last_seen > recently


def test_a_heartbeat_ignores_its_body(source_client, source_system):
    response = source_client.generic("POST", HEARTBEAT, "{not json", content_type="application/json")
    assert response.status_code == 204
    assert stored(source_system).last_seen is not None


@pytest.mark.parametrize("client", ["end_user_client", "superuser_client"])
def test_only_source_systems_send_heartbeats(request, client):
    response = request.getfixturevalue(client).post(HEARTBEAT)
    assert response.status_code == 403
    assert response.json() == {"detail": "Only source system users can send heartbeats."}


def test_a_heartbeat_needs_authentication(api_client):
    response = api_client.post(HEARTBEAT)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    api_client.credentials(HTTP_AUTHORIZATION="Token nosuchtoken")
    assert api_client.post(HEARTBEAT).json() == {"detail": "Invalid token."}


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_other_methods_are_not_allowed_on_the_heartbeat(source_client, source_system, method):
    response = source_client.generic(method, HEARTBEAT)
    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method}" not allowed.'}


def test_options_on_the_heartbeat_answers(source_client):
    assert source_client.options(HEARTBEAT).status_code == 200


def test_a_heartbeat_is_one_update(source_client, source_system):
    source_client.get(url("v2", "sources/"))  # authenticate once, record the implicit sighting
    with CaptureQueriesContext(connection) as queries:
        assert source_client.post(HEARTBEAT).status_code == 204
    writes = [
        q["sql"] for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")
    ]
    assert len(writes) == 1
    assert writes[0].upper().startswith("UPDATE")


# --- implicit last_seen ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_any_api_request_of_a_source_records_it_as_seen(source_client, source_system, version):
    assert stored(source_system).last_seen is None
    started = timezone.now()
    assert source_client.get(f"/api/{version}/incidents/").status_code == 200
    assert stored(source_system).last_seen >= started


def test_a_refused_or_missing_request_still_proves_the_source_alive(source_client, source_system):
    response = source_client.post(url("v2", ""), {"description": "no start time"}, format="json")
    assert response.status_code == 400
    assert stored(source_system).last_seen is not None
    set_last_seen(source_system, None)
    assert source_client.get(url("v2", "999999/")).status_code == 404
    assert stored(source_system).last_seen is not None


def test_a_request_refused_by_permissions_does_not_count(source_client, source_system):
    SourceSystemTypeFactory(name="nav")
    response = source_client.post(url("v2", "sources/"), {"name": "x", "type": "nav"}, format="json")
    assert response.status_code == 403
    assert stored(source_system).last_seen is None


def test_end_users_requests_never_touch_last_seen(end_user_client, source_system):
    make_incident(source_system)
    assert end_user_client.get(url("v2", "")).status_code == 200
    assert stored(source_system).last_seen is None


def test_an_implicit_sighting_is_skipped_while_the_stored_one_is_younger_than_5_seconds(
    source_client, source_system
):
    young = timezone.now() - timedelta(seconds=4)
    set_last_seen(source_system, young)
    source_client.get(url("v2", ""))
    assert stored(source_system).last_seen == young
    old = timezone.now() - timedelta(seconds=6)
    set_last_seen(source_system, old)
    source_client.get(url("v2", ""))
    assert stored(source_system).last_seen > old


def test_an_implicit_sighting_writes_only_last_seen(source_client, source_system):
    with CaptureQueriesContext(connection) as queries:
        source_client.get(url("v2", "sources/"))
    (update,) = [q["sql"] for q in queries.captured_queries if q["sql"].upper().startswith("UPDATE")]
    assert "last_seen" in update
    assert "name" not in update.split("WHERE")[0] and "base_url" not in update


# --- setting the frequency ------------------------------------------------------------------------


@pytest.fixture
def nav():
    return SourceSystemTypeFactory(name="nav")


@pytest.mark.parametrize(
    "value, seconds", [(300, 300), ("PT5M", 300), ("P1D", 86400), (60, 60), ("120", 120), (None, None)]
)
def test_a_new_v2_source_may_get_a_heartbeat_frequency(superuser_client, nav, value, seconds):
    before = timezone.now()
    response = superuser_client.post(
        url("v2", "sources/"),
        {"name": "nav-oslo", "type": "nav", "heartbeat_frequency": value},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert set(response.json()) == {"pk", "name", "type", "user", "base_url"}
    source = SourceSystem.objects.get(pk=response.json()["pk"])
    if seconds is None:
        assert source.heartbeat_frequency is None and source.heartbeat_armed_at is None
    else:
        assert source.heartbeat_frequency == timedelta(seconds=seconds)
        assert source.heartbeat_armed_at >= before


@pytest.mark.parametrize(
    "value, message",
    [
        (59, "Ensure this value is at least 60 seconds."),
        ("PT59S", "Ensure this value is at least 60 seconds."),
        (86401, "Ensure this value is at most 86400 seconds (1 day)."),
        ("P2D", "Ensure this value is at most 86400 seconds (1 day)."),
        ("five minutes", "Enter a whole number of seconds or an ISO 8601 duration."),
        (True, "Enter a whole number of seconds or an ISO 8601 duration."),
        (60.5, "Enter a whole number of seconds or an ISO 8601 duration."),
        (-60, "Enter a whole number of seconds or an ISO 8601 duration."),
        ([60], "Enter a whole number of seconds or an ISO 8601 duration."),
    ],
)
def test_a_heartbeat_frequency_out_of_range_or_unreadable_is_refused(superuser_client, nav, value, message):
    response = superuser_client.post(
        url("v2", "sources/"),
        {"name": "nav-oslo", "type": "nav", "heartbeat_frequency": value},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"heartbeat_frequency": [message]}
    assert not SourceSystem.objects.filter(name="nav-oslo").exists()


def test_patching_the_frequency_arms_keeps_and_disarms_monitoring(superuser_client):
    source = SourceSystemFactory()
    detail = url("v2", f"sources/{source.pk}/")
    response = superuser_client.patch(detail, {"heartbeat_frequency": 300}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"pk", "name", "type", "user", "base_url"}
    armed = stored(source).heartbeat_armed_at
    assert armed is not None
    superuser_client.patch(detail, {"heartbeat_frequency": "PT10M"}, format="json")
    assert stored(source).heartbeat_frequency == timedelta(minutes=10)
    assert stored(source).heartbeat_armed_at == armed
    superuser_client.patch(detail, {"heartbeat_frequency": None}, format="json")
    assert stored(source).heartbeat_frequency is None
    assert stored(source).heartbeat_armed_at is None


def test_a_put_without_the_frequency_leaves_it_alone(superuser_client):
    source = SourceSystemFactory(heartbeat_frequency=timedelta(minutes=5), heartbeat_armed_at=timezone.now())
    response = superuser_client.put(url("v2", f"sources/{source.pk}/"), {"name": "renamed"}, format="json")
    assert response.status_code == 200
    assert stored(source).name == "renamed"
    assert stored(source).heartbeat_frequency == timedelta(minutes=5)


def test_v1_ignores_the_frequency(superuser_client, nav):
    response = superuser_client.post(
        url("v1", "sources/"), {"name": "nav-v1", "type": "nav", "heartbeat_frequency": 59}, format="json"
    )
    assert response.status_code == 201
    assert stored(SourceSystem(pk=response.json()["pk"])).heartbeat_frequency is None
    source = SourceSystem.objects.get(name="nav-v1")
    superuser_client.patch(url("v1", f"sources/{source.pk}/"), {"heartbeat_frequency": 300}, format="json")
    assert stored(source).heartbeat_frequency is None


def test_only_superusers_set_the_frequency(source_client, end_user_client, source_system):
    detail = url("v2", f"sources/{source_system.pk}/")
    assert end_user_client.patch(detail, {"heartbeat_frequency": 300}, format="json").status_code == 403
    assert stored(source_system).heartbeat_frequency is None


# --- the liveness list ----------------------------------------------------------------------------


def test_the_liveness_list_shows_every_source_by_name_then_pk(end_user_client):
    now = timezone.now()
    alive = SourceSystemFactory(
        name="b-alive", heartbeat_frequency=timedelta(minutes=5), heartbeat_armed_at=now - timedelta(hours=1)
    )
    set_last_seen(alive, now - timedelta(minutes=1))
    alive.refresh_from_db()
    off = SourceSystemFactory(name="a-off")
    response = end_user_client.get(LIVENESS)
    assert response.status_code == 200
    assert response.json() == [
        {
            "pk": off.pk,
            "name": "a-off",
            "type": "nav",
            "last_seen": None,
            "heartbeat_frequency": None,
            "next_heartbeat_due": None,
            "state": "off",
        },
        {
            "pk": alive.pk,
            "name": "b-alive",
            "type": "nav",
            "last_seen": datetime_to_api(alive.last_seen),
            "heartbeat_frequency": 300,
            "next_heartbeat_due": datetime_to_api(alive.last_seen + timedelta(minutes=5)),
            "state": "alive",
        },
    ]


def test_the_liveness_list_filters_on_state(end_user_client):
    now = timezone.now()
    dead = SourceSystemFactory(
        heartbeat_frequency=timedelta(minutes=1), heartbeat_armed_at=now - timedelta(hours=1)
    )
    SourceSystemFactory(heartbeat_frequency=timedelta(minutes=1), heartbeat_armed_at=now)  # waiting
    SourceSystemFactory()  # off
    assert [s["pk"] for s in end_user_client.get(LIVENESS + "?state=dead").json()] == [dead.pk]
    assert [s["state"] for s in end_user_client.get(LIVENESS + "?state=waiting").json()] == ["waiting"]


def test_a_bad_state_filter_is_refused(end_user_client):
    response = end_user_client.get(LIVENESS + "?state=zombie")
    assert response.status_code == 400
    assert response.json() == {
        "state": ["Select a valid choice. zombie is not one of the available choices."]
    }


def test_the_liveness_list_needs_authentication(api_client):
    assert api_client.get(LIVENESS).status_code == 401


def test_the_source_representation_has_no_new_key(end_user_client, source_system):
    source_system.heartbeat_frequency = timedelta(minutes=5)
    source_system.save()
    for version in ("v1", "v2"):
        (shown,) = end_user_client.get(url(version, "sources/")).json()
        assert set(shown) == {"pk", "name", "type", "user", "base_url"}
