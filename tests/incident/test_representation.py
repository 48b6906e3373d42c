"""The two ways of rendering v1 incidents agree: from model instances as dicts (pages, the
websocket) and from rows as JSON text (the unpaginated v1 lists), byte for byte once written, for
every kind of incident."""

import datetime
import json

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from argus.incident import services
from argus.incident.api.streaming import json_array_stream
from argus.incident.choices import EventType
from argus.incident.models import Incident
from argus.incident.queries import incident_rows_in_batches, incidents_for_representation
from argus.incident.representation import incident_rows_to_v1_json, incidents_to_v1
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
        make(based, 2, details_url="relative/2", description='Ünïcödé \u2028 \u2029 "quoted" \\ \t \x01 😀'),
        make(based, 3, details_url="  ", end_time=None),
        make(plain, 4, details_url="not a url", end_time=now - HOUR),
        make(
            plain,
            5,
            end_time=now + HOUR,
            tags=["k=v=w", 'q="x"\\y\u2028'],
            ticket_url="https://t.example.org/5",
        ),
        make(based, 5, level=1, tags=["host=b"]),  # same start time as the one before
        make(plain, 6, start_time=now - 6 * HOUR + datetime.timedelta(microseconds=1)),
    ]
    services.acknowledgement_create(incident=incidents[0], actor=user)
    services.acknowledgement_create(incident=incidents[1], actor=user, expiration=now - HOUR)
    services.event_create(incident=incidents[4], actor=user, type=EventType.OTHER)
    return incidents


def written_both_ways(queryset, batch_size, now) -> tuple[bytes, bytes]:
    by_models = incidents_to_v1(
        incidents_for_representation(queryset, now).order_by("-start_time", "-pk"), now
    )
    by_rows = json_array_stream(
        incident_rows_to_v1_json(rows, tags, now)
        for rows, tags in incident_rows_in_batches(queryset, batch_size)
    )
    return JSONRenderer().render(by_models), b"".join(by_rows)


@pytest.mark.parametrize("batch_size", [1, 2, 3, 500])
def test_rows_are_written_as_the_renderer_writes_the_models_in_any_batch_size(assorted, batch_size):
    by_models, by_rows = written_both_ways(Incident.objects.all(), batch_size, timezone.now())
    assert by_rows == by_models
    assert [incident["pk"] for incident in json.loads(by_rows)] == [
        i.pk for i in sorted(assorted, key=lambda i: (i.start_time, i.pk), reverse=True)
    ]


def test_an_empty_list_is_an_empty_array():
    assert b"".join(json_array_stream([])) == JSONRenderer().render([]) == b"[]"
    assert b"".join(json_array_stream([[], []])) == b"[]"


def test_infinity_and_the_server_time_zone_are_shown_as_everywhere(assorted, settings):
    settings.TIME_ZONE = "Europe/Oslo"
    timezone.deactivate()
    by_models, by_rows = written_both_ways(Incident.objects.filter(end_time=INFINITY), 500, timezone.now())
    assert by_rows == by_models
    first = json.loads(by_rows)[0]
    assert first["end_time"] == "infinity" and first["start_time"].endswith(("+01:00", "+02:00"))
