"""The two ways of rendering v1 incidents agree: from model instances (pages, the websocket) and
from rows (the unpaginated v1 lists), for every kind of incident."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from argus.incident import services
from argus.incident.api.streaming import json_array_stream
from argus.incident.choices import EventType
from argus.incident.models import Incident
from argus.incident.queries import incident_rows_in_batches, incidents_for_representation
from argus.incident.representation import incident_rows_to_v1, incidents_to_v1
from argus.util.datetime_utils import INFINITY
from tests.factories import EndUserFactory, SourceSystemFactory

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def assorted():
    """Open, closed, stateless, acked, future end, relative and absolute details URLs, unicode,
    several sources, equal start times."""
    now = timezone.now()
    plain = SourceSystemFactory(base_url="")
    based = SourceSystemFactory(base_url="https://nms.example.org/base/")
    user = EndUserFactory()

    def make(source, n, **fields):
        fields.setdefault("start_time", now - n * HOUR)
        return services.incident_create(actor=source.user, source=source, **fields)

    incidents = [
        make(plain, 1, tags=["host=a", "service=ssh"], details_url="https://x.example.org/1"),
        make(based, 2, details_url="relative/2", description="Ünïcödé \u2028 line"),
        make(based, 3, details_url="  ", end_time=None),
        make(plain, 4, details_url="not a url", end_time=now - HOUR),
        make(plain, 5, end_time=now + HOUR, tags=["k=v=w"], ticket_url="https://t.example.org/5"),
        make(based, 5, level=1, tags=["host=b"]),  # same start time as the one before
        make(plain, 6, start_time=now - 6 * HOUR + datetime.timedelta(microseconds=1)),
    ]
    services.acknowledgement_create(incident=incidents[0], actor=user)
    services.acknowledgement_create(incident=incidents[1], actor=user, expiration=now - HOUR)
    services.event_create(incident=incidents[4], actor=user, type=EventType.OTHER)
    return incidents


def rendered_both_ways(queryset, batch_size, now):
    by_models = incidents_to_v1(
        incidents_for_representation(queryset, now).order_by("-start_time", "-pk"), now
    )
    by_rows = [
        incident
        for rows, tags in incident_rows_in_batches(queryset, batch_size)
        for incident in incident_rows_to_v1(rows, tags, now)
    ]
    return by_models, by_rows


@pytest.mark.parametrize("batch_size", [1, 2, 3, 500])
def test_rows_render_as_the_models_do_in_any_batch_size(assorted, batch_size):
    now = timezone.now()
    by_models, by_rows = rendered_both_ways(Incident.objects.all(), batch_size, now)
    assert len(by_models) == len(assorted)
    assert by_rows == by_models
    assert [list(incident) for incident in by_rows] == [list(incident) for incident in by_models]  # key order


def test_the_streamed_array_is_byte_for_byte_what_the_renderer_writes(assorted):
    now = timezone.now()
    by_models, _ = rendered_both_ways(Incident.objects.all(), 2, now)
    batches = [
        incident_rows_to_v1(rows, tags, now)
        for rows, tags in incident_rows_in_batches(Incident.objects.all(), 2)
    ]
    assert b"".join(json_array_stream(batches)) == JSONRenderer().render(by_models)
    assert b"".join(json_array_stream([])) == JSONRenderer().render([]) == b"[]"
    assert b"".join(json_array_stream([[], []])) == b"[]"


def test_infinity_and_the_server_time_zone_are_shown_as_everywhere(assorted, settings):
    settings.TIME_ZONE = "Europe/Oslo"
    timezone.deactivate()
    now = timezone.now()
    by_models, by_rows = rendered_both_ways(Incident.objects.filter(end_time=INFINITY), 500, now)
    assert by_rows == by_models
    assert by_rows[0]["end_time"] == "infinity" and by_rows[0]["start_time"].endswith(("+01:00", "+02:00"))
