"""``Incident.acked_until`` says what the acknowledgement rows say: every service that writes
acknowledgements keeps it, and nothing else does (there are no model signals)."""

import datetime

import pytest
from django.utils import timezone

from argus.incident import services
from argus.incident.acks import refresh_acked_until
from argus.incident.choices import EventType
from argus.incident.models import Acknowledgement, Event, Incident
from argus.incident.queries import acked_q
from argus.util.datetime_utils import INFINITY
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()
HOUR = datetime.timedelta(hours=1)


def stored(incident):
    return Incident.objects.values_list("acked_until", flat=True).get(pk=incident.pk)


def is_acked(incident):
    return Incident.objects.filter(acked_q(), pk=incident.pk).exists()


@pytest.fixture
def incident(source_system):
    return IncidentFactory(source=source_system)


@pytest.fixture
def ack(end_user):
    def make(incident, expiration=None):
        return services.acknowledgement_create(incident=incident, actor=end_user, expiration=expiration)

    return make


def test_no_acknowledgement_is_null_and_not_acked(incident):
    assert stored(incident) is None and not is_acked(incident)
    assert Incident.objects.exclude(acked_q()).filter(pk=incident.pk).exists()


def test_acknowledgement_create_keeps_the_latest_expiration_and_none_means_forever(incident, ack):
    ack(incident, NOW + HOUR)
    assert stored(incident) == NOW + HOUR and is_acked(incident)
    ack(incident, NOW + 2 * HOUR)
    ack(incident, NOW + HOUR / 2)
    assert stored(incident) == NOW + 2 * HOUR
    ack(incident, None)
    assert stored(incident) == INFINITY


def test_acknowledgement_create_updates_the_returned_incident_too(incident, ack):
    created = ack(incident, None)
    assert created.event.incident.acked_until == INFINITY


def test_expired_acknowledgements_are_stored_but_do_not_ack(incident, ack):
    ack(incident, NOW - HOUR)
    assert stored(incident) == NOW - HOUR and not is_acked(incident)


def test_acknowledgement_update_recomputes(incident, ack):
    first = ack(incident, NOW + HOUR)
    ack(incident, NOW + 2 * HOUR)
    services.acknowledgement_update(ack=first, expiration=None)
    assert stored(incident) == INFINITY
    services.acknowledgement_update(ack=first, expiration=NOW + 3 * HOUR)
    assert stored(incident) == NOW + 3 * HOUR
    services.acknowledgement_update(ack=first, expiration=NOW + HOUR / 2)
    assert stored(incident) == NOW + 2 * HOUR  # the other one is now the latest


def test_acknowledgements_delete_recomputes_from_the_remaining_ones(incident, ack, source_system):
    forever = ack(incident, None)
    hour = ack(incident, NOW + HOUR)
    other = IncidentFactory(source=source_system)
    other_ack = ack(other, None)
    services.acknowledgements_delete(acks=[forever])
    assert stored(incident) == NOW + HOUR
    services.acknowledgements_delete(acks=[hour, other_ack])
    assert stored(incident) is None and stored(other) is None
    assert not Event.objects.filter(type=EventType.ACKNOWLEDGE).exists()


def test_bulk_acknowledgement_create_keeps_it(incident, source_system, end_user):
    other = IncidentFactory(source=source_system)
    services.bulk_acknowledgement_create(
        incidents=[incident, other], actor=end_user, timestamp=NOW, expiration=NOW + HOUR
    )
    assert stored(incident) == stored(other) == NOW + HOUR


def test_bulk_ack_events_are_acknowledgements_and_keep_it(incident, end_user):
    services.bulk_event_create(
        incidents=[incident], actor=end_user, type=EventType.ACKNOWLEDGE, timestamp=NOW
    )
    assert stored(incident) == INFINITY


def test_rows_written_around_the_services_leave_it_alone(incident, end_user):
    """No signal keeps it: code that writes ack rows itself calls refresh_acked_until."""
    event = Event.objects.create(incident=incident, actor=end_user, timestamp=NOW, type=EventType.ACKNOWLEDGE)
    Acknowledgement.objects.create(event=event)
    assert stored(incident) is None
    refresh_acked_until([incident.pk])
    assert stored(incident) == INFINITY


def test_refresh_repairs_a_drifted_value(incident, ack):
    ack(incident, None)
    Incident.objects.filter(pk=incident.pk).update(acked_until=None)
    refresh_acked_until([incident.pk])
    assert stored(incident) == INFINITY
