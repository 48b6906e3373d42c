"""bench/preload.py writes consistent rows (COPY on PostgreSQL, bulk_create elsewhere)."""

import pytest
from bench import preload
from django.utils import timezone

from argus.incident.choices import EventType
from argus.incident.models import Acknowledgement, Event, Incident, IncidentTagRelation
from argus.incident.queries import incidents_for_representation
from argus.incident.representation import incident_to_v2

pytestmark = pytest.mark.django_db


def test_preload_makes_complete_incidents(capsys):
    assert preload.main(["--incidents", "60", "--sources", "2", "--chunk", "25"]) == 0
    assert '"preloaded_incidents": 60' in capsys.readouterr().out
    assert Incident.objects.count() == 60
    assert IncidentTagRelation.objects.count() == 60 * 5
    for incident in incidents_for_representation():
        types = set(incident.events.values_list("type", flat=True))
        assert (EventType.STATELESS if incident.end_time is None else EventType.INCIDENT_START) in types
        if incident.stateful and not incident.open:
            assert EventType.INCIDENT_END in types and incident.end_time <= timezone.now()
        assert incident_to_v2(incident)["tags"]  # renders like any other incident
    assert set(Event.objects.filter(ack__isnull=False).values_list("type", flat=True)) <= {
        EventType.ACKNOWLEDGE
    }
    assert Acknowledgement.objects.count() == Event.objects.filter(type=EventType.ACKNOWLEDGE).count()
    # Sequences follow the copied ids: ordinary inserts still work.
    source = Incident.objects.first().source
    Incident.objects.create(start_time=timezone.now(), source=source)
