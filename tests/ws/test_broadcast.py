"""A broken channel layer never breaks an incident change (realtime.md §10 item 4)."""

import asyncio
import logging
import time

import pytest
from django.utils import timezone

from argus.incident import services
from argus.incident.models import Incident
from argus.ws import broadcast
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
    with caplog.at_level(logging.ERROR, logger="argus.ws.broadcast"):
        incident = create(source_system)
    assert Incident.objects.filter(pk=incident.pk).exists()
    assert "Could not broadcast created of incidents" in caplog.text


def test_failing_layer_is_logged_and_the_change_is_kept(settings, source_system, caplog):
    use_layer(settings, "tests.ws.test_broadcast.BrokenChannelLayer")
    with caplog.at_level(logging.ERROR, logger="argus.ws.broadcast"):
        incident = create(source_system)
    assert Incident.objects.filter(pk=incident.pk).exists()
    assert "layer is broken" in caplog.text


def test_hanging_layer_is_given_up_on_after_the_timeout(settings, source_system, caplog):
    use_layer(settings, "tests.ws.test_broadcast.HangingChannelLayer")
    settings.ARGUS_WS_BROADCAST_TIMEOUT = 0.2
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="argus.ws.broadcast"):
        incident = create(source_system)
    assert time.monotonic() - started < 2
    assert Incident.objects.filter(pk=incident.pk).exists()
    assert "Could not broadcast" in caplog.text


def test_frames_keep_the_given_order_and_skip_vanished_incidents(settings):
    RecordingChannelLayer.sent = []
    use_layer(settings, "tests.ws.test_broadcast.RecordingChannelLayer")
    first, second = IncidentFactory(), IncidentFactory()
    broadcast.broadcast_now("modified", [second.pk, first.pk, 999999])
    assert [m["content"]["payload"]["pk"] for _, m in RecordingChannelLayer.sent] == [second.pk, first.pk]
    assert {group for group, _ in RecordingChannelLayer.sent} == {broadcast.GROUP_NAME}
    assert all(m["type"] == "notify" for _, m in RecordingChannelLayer.sent)


def test_broadcast_waits_for_commit_and_dedupes(settings):
    RecordingChannelLayer.sent = []
    use_layer(settings, "tests.ws.test_broadcast.RecordingChannelLayer")
    incident = IncidentFactory()
    from django.db import transaction

    with transaction.atomic():
        broadcast.broadcast_after_commit("modified", [incident.pk, incident.pk])
        assert RecordingChannelLayer.sent == []
    assert len(RecordingChannelLayer.sent) == 1


def test_rolled_back_change_sends_nothing(settings):
    RecordingChannelLayer.sent = []
    use_layer(settings, "tests.ws.test_broadcast.RecordingChannelLayer")
    incident = IncidentFactory()
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        broadcast.broadcast_after_commit("modified", [incident.pk])
        raise RuntimeError("roll back")
    assert RecordingChannelLayer.sent == []
