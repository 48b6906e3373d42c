"""``Incident.acked_until`` always says what the acknowledgement rows say, whichever path wrote them."""

import datetime

import pytest
from django.utils import timezone

from argus.incident import services
from argus.incident.acks import refresh_acked_until
from argus.incident.models import Acknowledgement, Incident
from argus.incident.queries import acked_q
from argus.util.datetime_utils import INFINITY
from tests.factories import AcknowledgementFactory, IncidentFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()
HOUR = datetime.timedelta(hours=1)


def stored(incident):
    return Incident.objects.values_list("acked_until", flat=True).get(pk=incident.pk)


def is_acked(incident):
    return Incident.objects.filter(acked_q(), pk=incident.pk).exists()


def test_no_acknowledgement_is_null_and_not_acked():
    incident = IncidentFactory()
    assert stored(incident) is None and not is_acked(incident)
    assert Incident.objects.exclude(acked_q()).filter(pk=incident.pk).exists()


def test_latest_expiration_wins_and_none_means_forever():
    incident = IncidentFactory()
    AcknowledgementFactory(event__incident=incident, expiration=NOW + HOUR)
    AcknowledgementFactory(event__incident=incident, expiration=NOW + 2 * HOUR)
    assert stored(incident) == NOW + 2 * HOUR
    forever = AcknowledgementFactory(event__incident=incident, expiration=None)
    assert stored(incident) == INFINITY and is_acked(incident)
    forever.delete()
    assert stored(incident) == NOW + 2 * HOUR


def test_expired_acknowledgements_do_not_ack():
    incident = IncidentFactory()
    AcknowledgementFactory(event__incident=incident, expiration=NOW - HOUR)
    assert stored(incident) == NOW - HOUR and not is_acked(incident)


def test_the_services_keep_it(source_system, end_user):
    incident = IncidentFactory(source=source_system)
    ack = services.acknowledgement_create(incident=incident, actor=end_user, expiration=NOW + HOUR)
    assert stored(incident) == NOW + HOUR
    services.acknowledgement_update(ack=ack, expiration=None)
    assert stored(incident) == INFINITY
    other = IncidentFactory(source=source_system)
    services.bulk_acknowledgement_create(incidents=[other], actor=end_user, timestamp=NOW)
    services.bulk_event_create(incidents=[incident, other], actor=end_user, type="ACK", timestamp=NOW)
    assert stored(other) == INFINITY
    Acknowledgement.objects.filter(event__incident=other).delete()
    assert stored(other) is None


def test_the_callers_copy_is_updated_too():
    incident = IncidentFactory()
    AcknowledgementFactory(event__incident=incident, expiration=None)
    assert incident.acked_until == INFINITY


def test_refresh_repairs_a_drifted_value():
    incident = IncidentFactory()
    AcknowledgementFactory(event__incident=incident, expiration=None)
    Incident.objects.filter(pk=incident.pk).update(acked_until=None)
    refresh_acked_until([incident.pk])
    assert stored(incident) == INFINITY
