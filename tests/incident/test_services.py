import pytest
from django.utils import timezone

from argus.incident import services
from argus.incident.models import Event, Incident
from argus.util.datetime_utils import INFINITY
from tests.factories import SourceSystemFactory

pytestmark = pytest.mark.django_db


def test_incident_create_adds_tags_and_start_event():
    source = SourceSystemFactory()
    incident = services.incident_create(
        actor=source.user,
        source=source,
        start_time=timezone.now(),
        description="link down",
        tags=["host=a.example", "location=oslo", "host=a.example"],
    )
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.end_time == INFINITY
    assert incident.open
    assert sorted(str(r.tag) for r in incident.incident_tag_relations.all()) == [
        "host=a.example",
        "location=oslo",
    ]
    (event,) = incident.events.all()
    assert event.type == Event.Type.INCIDENT_START
    assert event.actor == source.user
    assert incident.search_text == " link down"


def test_duplicate_source_incident_id_names_the_existing_incident():
    source = SourceSystemFactory()
    first = services.incident_create(
        actor=source.user, source=source, start_time=timezone.now(), source_incident_id="A1"
    )
    with pytest.raises(services.DuplicateSourceIncidentId) as excinfo:
        services.incident_create(
            actor=source.user, source=source, start_time=timezone.now(), source_incident_id="A1"
        )
    assert f"(pk={first.pk})" in excinfo.value.message
    assert Incident.objects.count() == 1


def test_source_system_can_end_incident_once():
    source = SourceSystemFactory()
    incident = services.incident_create(actor=source.user, source=source, start_time=timezone.now())
    end = timezone.now()
    services.event_create(incident=incident, actor=source.user, type="END", timestamp=end)
    incident.refresh_from_db()
    assert not incident.open
    assert incident.end_time == end
