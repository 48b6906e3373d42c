"""Request serializers of the incident sub-resources (events, acks, tags, sources, bulk changes).

They validate and shape request bodies only; responses are built by
:mod:`argus.incident.representation` and every state change goes through
:mod:`argus.incident.services`.
"""

from datetime import UTC

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework import serializers

from argus.incident.api.fields import ArgusDateTimeField, HeartbeatFrequencyField
from argus.incident.api.serializers import TAG_FORMAT_MESSAGE, tag_error_message
from argus.incident.choices import EventType
from argus.incident.models import SourceSystemType, validate_lowercase
from argus.incident.tags import InvalidTag, parse_tag
from argus.util.serializers import SharedFieldsSerializer

TIMESTAMP_REQUIRED = "This field is required."
EXPIRATION_BEFORE_TIMESTAMP = "'expiration' is earlier than creation timestamp."
INVALID_CHOICE_MESSAGE = "Select a valid choice. That choice is not one of the available choices."


class IgnoredActorSerializer(serializers.Serializer):
    """``actor`` in an event body is ignored, but must be an object if sent (as the reference)."""

    pk = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)


class _TimestampRequiredForSourcesMixin:
    """``timestamp`` is required for source systems and defaults to now for end users."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("timestamp") is None:
            user = self.context["request"].user
            if getattr(user, "is_source_system", False):
                raise serializers.ValidationError({"timestamp": [TIMESTAMP_REQUIRED]})
        return attrs


class EventCreateSerializer(_TimestampRequiredForSourcesMixin, SharedFieldsSerializer):
    """POST ``<pk>/events/`` and the ``event`` of v2 ``events/bulk/``."""

    type = serializers.ChoiceField(choices=EventType.choices)
    timestamp = ArgusDateTimeField(required=False)
    description = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, default="")
    actor = IgnoredActorSerializer(required=False)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        attrs.pop("actor", None)
        return attrs


def _check_expiration(attrs):
    expiration = attrs.get("expiration")
    if expiration is not None:
        timestamp = attrs.get("timestamp") or timezone.now()
        if expiration <= timestamp:
            raise serializers.ValidationError(EXPIRATION_BEFORE_TIMESTAMP)
    return attrs


class AckEventV1Serializer(_TimestampRequiredForSourcesMixin, SharedFieldsSerializer):
    """The ``event`` of a v1 ack body; its ``type`` is forced to ACK whatever is sent."""

    timestamp = ArgusDateTimeField(required=False)
    description = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, default="")


class AckCreateV1Serializer(SharedFieldsSerializer):
    """v1 POST ``<pk>/acks/``: ``{"event": {"timestamp", "description"}, "expiration"}``."""

    event = AckEventV1Serializer()
    expiration = ArgusDateTimeField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        event = attrs.pop("event")
        attrs = {**event, **attrs}
        return _check_expiration(attrs)


class AckCreateV2Serializer(SharedFieldsSerializer):
    """v2 POST ``<pk>/acks/`` and the ``ack`` of ``acks/bulk/``: flat, ``timestamp`` required."""

    timestamp = ArgusDateTimeField()
    description = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, default="")
    expiration = ArgusDateTimeField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        return _check_expiration(attrs)


class AckUpdateSerializer(serializers.Serializer):
    """PUT/PATCH ``<pk>/acks/<ack_pk>/``; a missing ``expiration`` means null (reference quirk)."""

    expiration = ArgusDateTimeField(required=False, allow_null=True, default=None)

    def validate_expiration(self, value):
        if value is not None:
            now = timezone.now()
            if value <= now:
                raise serializers.ValidationError(
                    f"'expiration' must be later than current moment ({now.astimezone(UTC)}) or null."
                )
        return value


class TagSerializer(serializers.Serializer):
    """A tag to add, ``{"tag": "key=value"}``; tag errors are plain strings."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            message = self.error_messages["invalid"].format(datatype=type(data).__name__)
            raise serializers.ValidationError({"non_field_errors": [message]})
        if not isinstance(data.get("tag"), str):
            raise serializers.ValidationError({"non_field_errors": [TAG_FORMAT_MESSAGE]})
        try:
            key, value = parse_tag(data["tag"])
        except InvalidTag as error:
            raise serializers.ValidationError({"tag": tag_error_message(error)}) from None
        return {"key": key, "value": value}


class SourceSystemCreateSerializer(serializers.Serializer):
    """A new source system and its user (``username``, by default the source's name).

    The username rule (default, validity, suffix when taken) is ``services.source_system_create``'s.
    """

    name = serializers.CharField(
        trim_whitespace=False,
        error_messages={"blank": "This field is required.", "null": "This field is required."},
        allow_null=False,
    )
    type = serializers.CharField(trim_whitespace=False)
    username = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    base_url = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, default="")

    def validate_type(self, value):
        source_type = SourceSystemType.objects.filter(name=value).first()
        if source_type is None:
            raise serializers.ValidationError(INVALID_CHOICE_MESSAGE)
        return source_type


class SourceSystemUpdateSerializer(serializers.Serializer):
    """PUT/PATCH ``sources/<pk>/``: only ``name`` can change; everything else is ignored."""

    name = serializers.CharField(trim_whitespace=False)


# v2 also takes a source's heartbeat frequency (1.37 clients never send it, and the source's
# representation does not show it: GET sources/liveness/ does). Left out of the OpenAPI request
# bodies, which stay Argus 1.37's.


class SourceSystemCreateV2Serializer(SourceSystemCreateSerializer):
    heartbeat_frequency = HeartbeatFrequencyField()


class SourceSystemUpdateV2Serializer(SourceSystemUpdateSerializer):
    """PUT as PATCH for ``heartbeat_frequency``: left out, it stays as it is."""

    heartbeat_frequency = HeartbeatFrequencyField()


class SourceSystemTypeSerializer(serializers.Serializer):
    """POST ``source-types/`` (any authenticated user)."""

    name = serializers.CharField(trim_whitespace=False)

    def validate_name(self, value):
        try:
            validate_lowercase(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages)
        if SourceSystemType.objects.filter(name=value.lower()).exists():
            raise serializers.ValidationError("source system type with this name already exists.")
        return value


# --- v2 bulk ------------------------------------------------------------------------------------


class _BulkSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)


class BulkAckSerializer(_BulkSerializer):
    ack = AckCreateV2Serializer()


class BulkEventSerializer(_BulkSerializer):
    event = EventCreateSerializer()


class BulkTicketUrlSerializer(_BulkSerializer):
    ticket_url = serializers.CharField(allow_blank=True, trim_whitespace=False)
