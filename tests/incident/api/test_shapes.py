"""The shape serializers declare exactly the keys (in order) that the fast render functions produce.

The declared fields give the OpenAPI schema; the answers are rendered by the plain functions of
``argus.incident.representation`` (and the profile/destination renderers). Equal keys keep the
two from drifting apart.
"""

import pytest
from django.test import RequestFactory
from django.utils import timezone

from argus.incident.api import shapes
from argus.incident.queries import (
    acks_for_representation,
    events_for_representation,
    incidents_for_representation,
)
from argus.notificationprofile.api.serializers import (
    DestinationSerializer,
    FilterSerializer,
    NotificationProfileShapeSerializer,
    TimeslotSerializer,
)
from argus.notificationprofile.api.v1.serializers import (
    FilterV1Serializer,
    NotificationProfileV1ShapeSerializer,
)
from tests.factories import (
    AcknowledgementFactory,
    EventFactory,
    IncidentFactory,
    IncidentTagRelationFactory,
)
from tests.notificationprofile.factories import (
    EmailDestinationFactory,
    FilterFactory,
    NotificationProfileFactory,
    SMSDestinationFactory,
    TimeRecurrenceFactory,
)

pytestmark = pytest.mark.django_db


def declared(serializer_class) -> list[str]:
    return list(serializer_class().fields)


def rendered(serializer_class, instance, **context) -> list[str]:
    return list(serializer_class(instance, context=context).data)


@pytest.fixture
def incident():
    incident = IncidentFactory()
    IncidentTagRelationFactory(incident=incident)
    return incidents_for_representation().get(pk=incident.pk)


@pytest.mark.parametrize("shape", [shapes.IncidentSerializer, shapes.IncidentV1Serializer])
def test_incident_shapes_declare_the_rendered_keys(incident, shape):
    assert rendered(shape, incident) == declared(shape)


def test_v1_incident_is_the_v2_incident_without_metadata(incident):
    assert declared(shapes.IncidentV1Serializer) == [
        key for key in declared(shapes.IncidentSerializer) if key != "metadata"
    ]


def test_incident_tag_shape_declares_the_rendered_keys(incident):
    data = shapes.IncidentSerializer(incident).data
    assert list(data["tags"][0]) == declared(shapes.IncidentTagSerializer)


def test_source_system_shapes_declare_the_rendered_keys(incident):
    assert rendered(shapes.SourceSystemSerializer, incident.source) == declared(shapes.SourceSystemSerializer)
    assert list(shapes.SourceSystemMetadataSerializer([incident.source]).data) == ["sourceSystems"]


def test_event_and_acknowledgement_shapes_declare_the_rendered_keys(incident):
    event = EventFactory(incident=incident, type="ACK")
    AcknowledgementFactory(event=event, expiration=timezone.now())
    event = events_for_representation().get(pk=event.pk)
    ack = acks_for_representation().get(pk=event.pk)
    assert rendered(shapes.EventSerializer, event) == declared(shapes.EventSerializer)
    assert list(shapes.EventSerializer(event).data["actor"]) == declared(shapes.ActorSerializer)
    assert list(shapes.EventSerializer(event).data["type"]) == declared(shapes.EventTypeSerializer)
    assert rendered(shapes.AcknowledgementSerializer, ack) == declared(shapes.AcknowledgementSerializer)


def test_tag_shape_declares_the_rendered_keys(incident):
    tag = incident.incident_tag_relations.first().tag
    assert rendered(shapes.TagSerializer, tag) == declared(shapes.TagSerializer)


@pytest.fixture
def profile(end_user):
    recurrence = TimeRecurrenceFactory(timeslot__user=end_user)
    profile = NotificationProfileFactory(
        user=end_user,
        timeslot=recurrence.timeslot,
        filters=[FilterFactory(user=end_user)],
        destinations=[EmailDestinationFactory(user=end_user), SMSDestinationFactory(user=end_user)],
    )
    return profile


def test_notification_profile_shapes_declare_the_rendered_keys(profile):
    request = RequestFactory().get("/")
    request.user = profile.user
    for shape in (NotificationProfileShapeSerializer, NotificationProfileV1ShapeSerializer):
        assert rendered(shape, profile, request=request) == declared(shape)
    destination = profile.destinations.first()
    assert rendered(DestinationSerializer, destination) == declared(DestinationSerializer)
    assert rendered(TimeslotSerializer, profile.timeslot) == declared(TimeslotSerializer)
    for shape in (FilterSerializer, FilterV1Serializer):
        assert rendered(shape, profile.filters.first(), request=request) == declared(shape)
