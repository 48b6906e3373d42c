"""Response shapes of the incident API, declared once as serializers.

Each serializer's declared fields are the keys of the JSON object, in order, and give the
OpenAPI schema; its ``to_representation`` is the plain-dict function of
:mod:`argus.incident.representation` that the views (and the websocket) use to render, so
list pages stay free of nested DRF serializers. ``tests/incident/api/test_shapes.py`` checks
that the rendered keys are the declared ones.
"""

from rest_framework import serializers

from argus.incident.choices import EventType, Level, LivenessState
from argus.incident.representation import (
    ack_to_dict,
    event_to_dict,
    incident_to_v1,
    incident_to_v2,
    source_liveness_to_dict,
    source_system_to_dict,
)

from .fields import ArgusDateTimeField
from .serializers import EndTimeField
from .serializers_related import SourceSystemTypeSerializer


class SourceSystemSerializer(serializers.Serializer):
    pk = serializers.IntegerField()
    name = serializers.CharField()
    type = SourceSystemTypeSerializer()
    user = serializers.IntegerField(help_text="The source system's own user.")
    base_url = serializers.CharField(allow_blank=True)

    def to_representation(self, instance):
        return source_system_to_dict(instance)


class SourceLivenessSerializer(serializers.Serializer):
    """Whether a source reports as often as it promised (``heartbeat_frequency``)."""

    pk = serializers.IntegerField()
    name = serializers.CharField()
    type = serializers.CharField(help_text="The source's type.")
    last_seen = ArgusDateTimeField(
        allow_null=True, help_text="Its last API request or heartbeat; null: never seen."
    )
    heartbeat_frequency = serializers.IntegerField(
        allow_null=True, help_text="Seconds between heartbeats it promised; null: not monitored."
    )
    next_heartbeat_due = ArgusDateTimeField(
        allow_null=True, help_text="When its next heartbeat is due; null when not monitored or never due."
    )
    state = serializers.ChoiceField(
        choices=LivenessState.choices,
        help_text="off: not monitored; waiting: nothing heard since monitoring was switched on; "
        "alive; dead: overdue by more than 10 s.",
    )

    def to_representation(self, instance):
        return source_liveness_to_dict(instance, self.context.get("now"))


class SourceSystemMetadataSerializer(serializers.Serializer):
    sourceSystems = SourceSystemSerializer(many=True)  # noqa: N815 (the key clients read)

    def to_representation(self, instance):
        return {"sourceSystems": [source_system_to_dict(source) for source in instance]}


class IncidentTagSerializer(serializers.Serializer):
    """A tag on an incident, with who added it and when."""

    added_by = serializers.IntegerField()
    added_time = ArgusDateTimeField()
    tag = serializers.CharField(help_text="key=value")


class TagSerializer(serializers.Serializer):
    """A tag, ``{"tag": "key=value"}``."""

    tag = serializers.CharField(help_text="key=value")

    def to_representation(self, instance):
        return {"tag": instance.representation}


class IncidentSerializer(serializers.Serializer):
    """An incident as v2 shows it."""

    api_version = "v2"

    pk = serializers.IntegerField()
    start_time = ArgusDateTimeField()
    end_time = EndTimeField()
    source = SourceSystemSerializer()
    source_incident_id = serializers.CharField(allow_blank=True)
    details_url = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    level = serializers.ChoiceField(choices=Level.choices, help_text="1 (critical) to 5 (information)")
    ticket_url = serializers.CharField(allow_blank=True)
    metadata = serializers.JSONField()
    tags = IncidentTagSerializer(many=True)
    stateful = serializers.BooleanField(help_text="False when the incident has no end time (stateless).")
    open = serializers.BooleanField()
    acked = serializers.BooleanField(help_text="True while an acknowledgement has not expired.")

    def to_representation(self, instance):
        return incident_to_v2(instance)


class IncidentV1Serializer(IncidentSerializer):
    """An incident as v1 shows it (no ``metadata``)."""

    api_version = "v1"
    schema_name = "Incident"

    metadata = None

    def to_representation(self, instance):
        return incident_to_v1(instance)


class PaginatedIncidentListSerializer(serializers.Serializer):
    """One page of incidents, newest first; ``next``/``previous`` link the neighbouring pages."""

    api_version = "v2"

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = IncidentSerializer(many=True)


class PaginatedIncidentListV1Serializer(PaginatedIncidentListSerializer):
    api_version = "v1"
    schema_name = "PaginatedIncidentList"

    results = IncidentV1Serializer(many=True)


class IncidentCountSerializer(serializers.Serializer):
    """The answer when the ``count`` parameter is given."""

    count = serializers.IntegerField(help_text="The number of incidents the filters select.")
    params = serializers.DictField(
        child=serializers.CharField(allow_blank=True), help_text="The query parameters, last value per name."
    )


class ActorSerializer(serializers.Serializer):
    pk = serializers.IntegerField()
    username = serializers.CharField()


class EventTypeSerializer(serializers.Serializer):
    value = serializers.ChoiceField(choices=EventType.choices)
    display = serializers.CharField()


class EventSerializer(serializers.Serializer):
    pk = serializers.IntegerField()
    incident = serializers.IntegerField()
    actor = ActorSerializer()
    timestamp = ArgusDateTimeField()
    received = ArgusDateTimeField()
    type = EventTypeSerializer()
    description = serializers.CharField(allow_blank=True)

    def to_representation(self, instance):
        return event_to_dict(instance)


class AcknowledgementSerializer(serializers.Serializer):
    pk = serializers.IntegerField()
    event = EventSerializer()
    expiration = ArgusDateTimeField(allow_null=True, help_text="null: the acknowledgement never expires.")

    def to_representation(self, instance):
        return ack_to_dict(instance)


class TicketUrlSerializer(serializers.Serializer):
    ticket_url = serializers.CharField(allow_blank=True)


# --- v2 bulk answers: one entry per requested incident id ------------------------------------------


class _BulkChangeSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="201 when this incident was changed, 400 when not.")
    errors = serializers.DictField(
        child=serializers.CharField(), allow_null=True, help_text="Why this incident was not changed."
    )


class BulkAckChangeSerializer(_BulkChangeSerializer):
    ack = AcknowledgementSerializer(allow_null=True)


class BulkEventChangeSerializer(_BulkChangeSerializer):
    event = EventSerializer(allow_null=True)


class BulkTicketUrlChangeSerializer(_BulkChangeSerializer):
    ticket_url = serializers.CharField(allow_null=True, allow_blank=True)


class BulkAckResultSerializer(serializers.Serializer):
    changes = serializers.DictField(child=BulkAckChangeSerializer(), help_text="By incident id.")


class BulkEventResultSerializer(serializers.Serializer):
    changes = serializers.DictField(child=BulkEventChangeSerializer(), help_text="By incident id.")


class BulkTicketUrlResultSerializer(serializers.Serializer):
    changes = serializers.DictField(child=BulkTicketUrlChangeSerializer(), help_text="By incident id.")
