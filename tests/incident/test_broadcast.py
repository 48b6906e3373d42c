"""A broken channel layer never breaks an incident change (realtime.md §10 item 4)."""

import asyncio
import logging
import time

import pytest
from django.utils import timezone

from argus.incident import broadcast, services
from argus.incident.models import Incident
from argus.util.server_loop import serving_for
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db(transaction=True)


class BrokenChannelLayer:
    """A layer whose group_send fails like a misconfigured backend."""

    def __init__(self, **kwargs):
        pass

    async def group_send(self, group, message):
        raise RuntimeError("layer is broken")


class HangingChannelLayer:
    """A layer that never answers (e.g. Redis behind a black-holing firewall)."""

    def __init__(self, **kwargs):
        pass

    async def group_send(self, group, message):
        await asyncio.sleep(3600)


class RecordingChannelLayer:
    sent = []

    def __init__(self, **kwargs):
        pass

    async def group_send(self, group, message):
        type(self).sent.append((group, message))


def use_layer(settings, backend, config=None):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": backend, "CONFIG": config or {}}}


def create(source_system):
    return services.incident_create(
        actor=source_system.user, source=source_system, start_time=timezone.now(), description="x"
    )


def test_unreachable_redis_is_logged_and_the_change_is_kept(settings, source_system, caplog):
    use_layer(settings, "channels_redis.core.RedisChannelLayer", {"hosts": [("127.0.0.1", 1)]})
    with caplog.at_level(logging.ERROR, logger="argus.incident.broadcast"):
        incident = create(source_system)
    assert Incident.objects.filter(pk=incident.pk).exists()
    assert "Could not broadcast created of incidents" in caplog.text


def test_failing_layer_is_logged_and_the_change_is_kept(settings, source_system, caplog):
    use_layer(settings, "tests.incident.test_broadcast.BrokenChannelLayer")
    with caplog.at_level(logging.ERROR, logger="argus.incident.broadcast"):
        incident = create(source_system)
    assert Incident.objects.filter(pk=incident.pk).exists()
    assert "layer is broken" in caplog.text


def test_hanging_layer_is_given_up_on_after_the_timeout(settings, source_system, caplog):
    use_layer(settings, "tests.incident.test_broadcast.HangingChannelLayer")
    settings.ARGUS_WS_BROADCAST_TIMEOUT = 0.2
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="argus.incident.broadcast"):
        incident = create(source_system)
    assert time.monotonic() - started < 2
    assert Incident.objects.filter(pk=incident.pk).exists()
    assert "Could not broadcast" in caplog.text


def test_frames_keep_the_given_order_and_skip_vanished_incidents(settings):
    RecordingChannelLayer.sent = []
    use_layer(settings, "tests.incident.test_broadcast.RecordingChannelLayer")
    first, second = IncidentFactory(), IncidentFactory()
    broadcast.broadcast_now("modified", [second.pk, first.pk, 999999])
    assert [m["content"]["payload"]["pk"] for _, m in RecordingChannelLayer.sent] == [second.pk, first.pk]
    assert {group for group, _ in RecordingChannelLayer.sent} == {broadcast.GROUP_NAME}
    assert all(m["type"] == "notify" for _, m in RecordingChannelLayer.sent)


class GatedChannelLayer:
    """Records what it sends; its first send waits until the test opens ``gate``."""

    sent = []
    gate: asyncio.Event | None = None

    def __init__(self, **kwargs):
        pass

    async def group_send(self, group, message):
        cls = type(self)
        if not cls.sent and cls.gate is not None:
            await cls.gate.wait()
        cls.sent.append(message["content"]["payload"]["pk"])


def test_in_a_request_thread_frames_leave_in_order_without_holding_up_the_request(settings):
    GatedChannelLayer.sent = []
    use_layer(settings, "tests.incident.test_broadcast.GatedChannelLayer")

    async def main():
        loop = asyncio.get_running_loop()
        GatedChannelLayer.gate = asyncio.Event()

        def request_thread():
            with serving_for(loop):
                for pk in (1, 2, 3):
                    broadcast.broadcast_now("deleted", [pk])
                return list(GatedChannelLayer.sent)

        sent_while_serving = await loop.run_in_executor(None, request_thread)
        GatedChannelLayer.gate.set()
        for _ in range(500):
            if len(GatedChannelLayer.sent) == 3:
                break
            await asyncio.sleep(0.01)
        return sent_while_serving

    try:
        assert asyncio.run(main()) == []  # the request went on while the first send was held
    finally:
        GatedChannelLayer.gate = None
    assert GatedChannelLayer.sent == [1, 2, 3]


def test_in_a_request_thread_frames_behind_a_stalled_layer_are_given_up_on_in_time(settings, caplog):
    """A layer that stalls holds at most the timeout's worth of frames: each hand-over is given up
    on ARGUS_WS_BROADCAST_TIMEOUT after it was made, waiting for the earlier ones included."""
    GatedChannelLayer.sent = []
    use_layer(settings, "tests.incident.test_broadcast.GatedChannelLayer")
    settings.ARGUS_WS_BROADCAST_TIMEOUT = 0.2

    async def main():
        loop = asyncio.get_running_loop()
        GatedChannelLayer.gate = asyncio.Event()  # never opened: the first send stalls

        def request_thread():
            with serving_for(loop):
                for pk in (1, 2, 3):
                    broadcast.broadcast_now("deleted", [pk])

        with caplog.at_level(logging.ERROR, logger="argus.incident.broadcast"):
            await loop.run_in_executor(None, request_thread)
            for _ in range(500):
                if not broadcast._last_sent:
                    break
                await asyncio.sleep(0.01)
        return dict(broadcast._last_sent)

    try:
        left = asyncio.run(main())
    finally:
        GatedChannelLayer.gate = None
    assert GatedChannelLayer.sent == []
    assert [f"Could not broadcast deleted of incidents [{pk}]" in caplog.text for pk in (1, 2, 3)] == [
        True
    ] * 3
    assert left == {}  # nothing kept once the sends are over


def test_in_a_request_thread_a_failing_send_is_logged_and_the_next_frames_still_leave(settings, caplog):
    use_layer(settings, "tests.incident.test_broadcast.BrokenChannelLayer")

    async def main():
        loop = asyncio.get_running_loop()

        def request_thread():
            with serving_for(loop):
                broadcast.broadcast_now("deleted", [7])

        with caplog.at_level(logging.ERROR, logger="argus.incident.broadcast"):
            await loop.run_in_executor(None, request_thread)
            for _ in range(500):
                if "layer is broken" in caplog.text:
                    break
                await asyncio.sleep(0.01)

    asyncio.run(main())
    assert "Could not broadcast deleted of incidents [7]" in caplog.text


def test_broadcast_waits_for_commit_and_dedupes(settings):
    RecordingChannelLayer.sent = []
    use_layer(settings, "tests.incident.test_broadcast.RecordingChannelLayer")
    incident = IncidentFactory()
    from django.db import transaction

    with transaction.atomic():
        broadcast.broadcast_after_commit("modified", [incident.pk, incident.pk])
        assert RecordingChannelLayer.sent == []
    assert len(RecordingChannelLayer.sent) == 1


def test_rolled_back_change_sends_nothing(settings):
    RecordingChannelLayer.sent = []
    use_layer(settings, "tests.incident.test_broadcast.RecordingChannelLayer")
    incident = IncidentFactory()
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        broadcast.broadcast_after_commit("modified", [incident.pk])
        raise RuntimeError("roll back")
    assert RecordingChannelLayer.sent == []


# --- one frame per incident per transaction (realtime.md §10.3) -----------------------------------


def recorded():
    return [(m["content"]["type"], m["content"]["payload"]) for _, m in RecordingChannelLayer.sent]


@pytest.fixture
def recording(settings):
    RecordingChannelLayer.sent = []
    use_layer(settings, "tests.incident.test_broadcast.RecordingChannelLayer")


def test_created_then_tagged_in_one_transaction_is_one_fresh_created_frame(recording, source_system):
    from django.db import transaction

    with transaction.atomic():
        incident = create(source_system)
        services.incident_tag_add(incident=incident, actor=source_system.user, tag="object=1")
        other = create(source_system)
    assert [(change, payload["pk"]) for change, payload in recorded()] == [
        ("created", incident.pk),
        ("created", other.pk),
    ]
    assert recorded()[0][1]["tags"] == [
        {
            "added_by": source_system.user.pk,
            "added_time": recorded()[0][1]["tags"][0]["added_time"],
            "tag": "object=1",
        }
    ]


def test_changed_twice_is_one_modified_frame_and_deleted_wins(recording, source_system):
    from django.db import transaction

    first, second = create(source_system), create(source_system)
    second_pk = second.pk
    RecordingChannelLayer.sent = []
    with transaction.atomic():
        services.incident_tag_add(incident=first, actor=source_system.user, tag="a=1")
        services.incident_tag_add(incident=second, actor=source_system.user, tag="b=1")
        services.incident_tag_add(incident=first, actor=source_system.user, tag="a=2")
        services.incident_delete(incident=second)
    assert [(change, payload["pk"]) for change, payload in recorded()] == [
        ("modified", first.pk),
        ("deleted", second_pk),
    ]
    assert [tag["tag"] for tag in recorded()[0][1]["tags"]] == ["a=1", "a=2"]


def test_after_a_rolled_back_transaction_the_next_one_broadcasts(recording, source_system):
    from django.db import transaction

    incident = create(source_system)
    RecordingChannelLayer.sent = []
    with pytest.raises(RuntimeError), transaction.atomic():
        services.incident_tag_add(incident=incident, actor=source_system.user, tag="a=1")
        raise RuntimeError("roll back")
    assert recorded() == []
    with transaction.atomic():
        services.incident_tag_add(incident=incident, actor=source_system.user, tag="a=2")
    assert [(change, [t["tag"] for t in payload["tags"]]) for change, payload in recorded()] == [
        ("modified", ["a=2"])
    ]


def test_an_admin_save_of_several_changes_is_one_frame(recording, source_system, admin_client):
    from django.urls import reverse

    from argus.incident.models import IncidentTagRelation
    from tests.incident.test_admin import incident_form_data

    incident = create(source_system)
    services.incident_tag_add(incident=incident, actor=source_system.user, tag="a=1")
    relation = IncidentTagRelation.objects.get(incident=incident)
    RecordingChannelLayer.sent = []
    url = reverse("admin:argus_incident_incident_change", args=[incident.pk])
    data = incident_form_data(
        incident,
        start_time_0="2026-11-01",
        start_time_1="08:00:00",
        level=1,
        description="changed",
        **{
            "incident_tag_relations-TOTAL_FORMS": "1",
            "incident_tag_relations-INITIAL_FORMS": "1",
            "incident_tag_relations-0-id": relation.pk,
            "incident_tag_relations-0-incident": incident.pk,
            "incident_tag_relations-0-tag": relation.tag_id,
            "incident_tag_relations-0-DELETE": "on",
        },
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content[-2000:]
    assert [
        (change, payload["start_time"][:10], payload["level"], payload["description"], payload["tags"])
        for change, payload in recorded()
    ] == [("modified", "2026-11-01", 1, "changed", [])]


def test_the_admin_fake_incident_is_one_created_frame_with_all_its_tags(recording, admin_client, db):
    from django.urls import reverse

    response = admin_client.post(
        reverse("admin:argus_incident_incident_fake"), {"level": "2", "description": "fk", "tags": "fk=1"}
    )
    assert response.status_code == 302, response.content[-2000:]
    ((change, payload),) = recorded()
    assert change == "created"
    assert sorted(tag["tag"] for tag in payload["tags"]) == sorted(
        ["fk=1", "location=argus", f"object={payload['pk']}", "problem_type=test"]
    )
