"""Frames caused by REST calls (v1 and v2): one fresh frame per affected incident, per call."""

from datetime import timedelta

import pytest
from django.utils import timezone

from argus.incident import services
from argus.incident.queries import incidents_for_representation
from argus.incident.representation import incident_to_v2
from tests.ws.test_relay import frames_after

pytestmark = pytest.mark.django_db(transaction=True)

NOW = "2026-11-22T10:00:00+01:00"


def fresh(pk) -> dict:
    return incident_to_v2(incidents_for_representation().get(pk=pk))


def new_incident(source_system, **kwargs):
    kwargs.setdefault("start_time", timezone.now() - timedelta(minutes=1))
    kwargs.setdefault("description", "link down")
    return services.incident_create(actor=source_system.user, source=source_system, **kwargs)


def call(client, method, url, data=None, status=None):
    def action():
        response = getattr(client, method)(url, data, format="json")
        if status is not None:
            assert response.status_code == status, response.content
        return response

    return action


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_post_incident_sends_one_created_frame_with_tags(end_user_headers, source_client, version):
    response, (frame,) = frames_after(
        end_user_headers,
        call(
            source_client,
            "post",
            f"/api/{version}/incidents/",
            {"start_time": NOW, "description": "ws", "tags": [{"tag": "host=a.example"}]},
            201,
        ),
        1,
    )
    pk = response.json()["pk"]
    assert frame == {"type": "created", "payload": fresh(pk)}
    assert [tag["tag"] for tag in frame["payload"]["tags"]] == ["host=a.example"]


def test_post_ack_without_description_sends_acked(end_user_headers, end_user_client, source_system):
    incident = new_incident(source_system)
    _, (frame,) = frames_after(
        end_user_headers,
        call(end_user_client, "post", f"/api/v2/incidents/{incident.pk}/acks/", {"timestamp": NOW}, 201),
        1,
    )
    assert frame == {"type": "modified", "payload": fresh(incident.pk)}
    assert frame["payload"]["acked"] is True


def test_post_end_event_sends_one_frame(end_user_headers, source_client, source_system):
    incident = new_incident(source_system)
    _, (frame,) = frames_after(
        end_user_headers,
        call(
            source_client,
            "post",
            f"/api/v2/incidents/{incident.pk}/events/",
            {"type": "END", "timestamp": NOW, "description": "done"},
            201,
        ),
        1,
    )
    assert frame == {"type": "modified", "payload": fresh(incident.pk)}
    assert frame["payload"]["open"] is False


def test_patch_sends_one_frame_with_the_new_values(end_user_headers, source_client, source_system):
    incident = new_incident(source_system, level=3, tags=["host=a.example"])
    _, (frame,) = frames_after(
        end_user_headers,
        call(
            source_client,
            "patch",
            f"/api/v2/incidents/{incident.pk}/",
            {"level": 2, "tags": [{"tag": "host=b.example"}]},
            200,
        ),
        1,
    )
    assert frame["payload"] == fresh(incident.pk)
    assert frame["payload"]["level"] == 2
    assert [tag["tag"] for tag in frame["payload"]["tags"]] == ["host=b.example"]


def test_tag_endpoints_send_one_frame_each(end_user_headers, end_user_client, source_system):
    incident = new_incident(source_system)
    _, (added,) = frames_after(
        end_user_headers,
        call(end_user_client, "post", f"/api/v2/incidents/{incident.pk}/tags/", {"tag": "extra=1"}, 201),
        1,
    )
    assert [tag["tag"] for tag in added["payload"]["tags"]] == ["extra=1"]
    _, (removed,) = frames_after(
        end_user_headers,
        call(end_user_client, "delete", f"/api/v2/incidents/{incident.pk}/tags/extra=1/", status=204),
        1,
    )
    assert removed["payload"]["tags"] == []


def test_bulk_endpoints_send_one_frame_per_incident(end_user_headers, end_user_client, source_system):
    incidents = [new_incident(source_system, description=f"bulk {n}") for n in range(3)]
    ids = [incident.pk for incident in incidents]
    _, acked = frames_after(
        end_user_headers,
        call(
            end_user_client,
            "post",
            "/api/v2/incidents/acks/bulk/",
            {"ids": ids, "ack": {"timestamp": NOW, "description": "bulk ack", "expiration": None}},
        ),
        3,
    )
    assert [frame["payload"]["pk"] for frame in acked] == ids
    assert all(frame["payload"]["acked"] for frame in acked)
    _, closed = frames_after(
        end_user_headers,
        call(
            end_user_client,
            "post",
            "/api/v2/incidents/events/bulk/",
            {"ids": ids, "event": {"type": "CLO", "timestamp": NOW}},
        ),
        3,
    )
    assert [frame["payload"]["open"] for frame in closed] == [False] * 3
    _, ticketed = frames_after(
        end_user_headers,
        call(
            end_user_client,
            "post",
            "/api/v2/incidents/ticket_url/bulk/",
            {"ids": ids, "ticket_url": "https://t.example/1"},
        ),
        3,
    )
    assert [frame["payload"]["ticket_url"] for frame in ticketed] == ["https://t.example/1"] * 3
    assert [frame["payload"] for frame in ticketed] == [fresh(pk) for pk in ids]


def test_rejected_request_sends_nothing(end_user_headers, end_user_client, source_system):
    incident = new_incident(source_system)
    frames_after(
        end_user_headers,
        call(end_user_client, "post", f"/api/v2/incidents/{incident.pk}/events/", {"type": "END"}, 400),
        0,
    )


def test_rest_call_succeeds_when_redis_is_unreachable(settings, source_client, caplog):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [("127.0.0.1", 1)]},
        }
    }
    response = source_client.post(
        "/api/v2/incidents/", {"start_time": NOW, "description": "x", "tags": []}, format="json"
    )
    assert response.status_code == 201, response.content
    assert "Could not broadcast created" in caplog.text


def test_delete_sends_deleted_when_deletion_is_enabled(
    settings, end_user_headers, superuser_client, source_system
):
    settings.INDELIBLE_INCIDENTS = False
    incident = new_incident(source_system)
    _, (frame,) = frames_after(
        end_user_headers, call(superuser_client, "delete", f"/api/v2/incidents/{incident.pk}/", status=204), 1
    )
    assert frame == {"type": "deleted", "payload": {"pk": incident.pk}}


def test_refused_delete_sends_nothing(end_user_headers, superuser_client, source_system):
    incident = new_incident(source_system)
    frames_after(
        end_user_headers, call(superuser_client, "delete", f"/api/v2/incidents/{incident.pk}/", status=405), 0
    )
