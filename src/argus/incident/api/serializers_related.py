"""Request serializers of the incident sub-resources (events, acks, tags, sources, bulk changes).

They validate and shape request bodies only; responses are built by
:mod:`argus.incident.representation` and every state change goes through
:mod:`argus.incident.services`.
"""

import re
from datetime import UTC

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework import serializers

from argus.incident.api.fields import ArgusDateTimeField
from argus.incident.api.serializers import NULL_CHARACTERS_MESSAGE
from argus.incident.choices import TAG_KEY_PATTERN, EventType
from argus.incident.models import SourceSystemType, Tag, validate_lowercase

TIMESTAMP_REQUIRED = "This field is required."
EXPIRATION_BEFORE_TIMESTAMP = "'expiration' is earlier than creation timestamp."
TAG_FORMAT_MESSAGE = 'Tags need to follow the format {"tag": key=value}'
INVALID_TAG_KEY_MESSAGE = "Enter a valid key consisting of lowercase letters, numbers and underscores."
INVALID_CHOICE_MESSAGE = "Select a valid choice. That choice is not one of the available choices."
USERNAME_MAX_LENGTH = 150
MAX_DATABASE_ID = 2**63 - 1

_tag_key = re.compile(TAG_KEY_PATTERN)


def parse_tag(tag: str) -> tuple[str, str]:
    """Split and check a ``key=value`` tag string.

    Raises ``ValueError`` whose message is the exact text the API reports (a plain string).
    """
    if "\x00" in tag:  # PostgreSQL text cannot hold NUL
        raise ValueError(NULL_CHARACTERS_MESSAGE)
    try:
        key, value = Tag.split(tag)
    except DjangoValidationError as error:
        raise ValueError(error.messages[0]) from None
    if not _tag_key.match(key):
        # The reference reports the repr of the validator's message list, brackets included.
        raise ValueError(str([INVALID_TAG_KEY_MESSAGE]))
    return key, value


def parse_pk(value) -> int | None:
    """A primary key from a URL or body, or None when it cannot name a database row."""
    try:
        pk = int(str(value))
    except (TypeError, ValueError):
        return None
    return pk if 0 < pk <= MAX_DATABASE_ID else None


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


class EventCreateSerializer(_TimestampRequiredForSourcesMixin, serializers.Serializer):
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


class AckEventV1Serializer(_TimestampRequiredForSourcesMixin, serializers.Serializer):
    """The ``event`` of a v1 ack body; its ``type`` is forced to ACK whatever is sent."""

    timestamp = ArgusDateTimeField(required=False)
    description = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, default="")


class AckCreateV1Serializer(serializers.Serializer):
    """v1 POST ``<pk>/acks/``: ``{"event": {"timestamp", "description"}, "expiration"}``."""

    event = AckEventV1Serializer()
    expiration = ArgusDateTimeField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        event = attrs.pop("event")
        attrs = {**event, **attrs}
        return _check_expiration(attrs)


class AckCreateV2Serializer(serializers.Serializer):
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
        except ValueError as error:
            raise serializers.ValidationError({"tag": str(error)})
        return {"key": key, "value": value}


class SourceSystemCreateSerializer(serializers.Serializer):
    """A new source system and its user (``username``, by default the source's name)."""

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

    def validate(self, attrs):
        """The system user's name (``username``, by default the source name) must be valid."""
        username = attrs.get("username") or attrs["name"]
        errors = []
        if len(username) > USERNAME_MAX_LENGTH:
            errors.append(
                f"Ensure this value has at most {USERNAME_MAX_LENGTH} characters (it has {len(username)})."
            )
        try:
            UnicodeUsernameValidator()(username)
        except DjangoValidationError as error:
            errors.extend(error.messages)
        if errors:
            raise serializers.ValidationError({"username": [f"username: {message}" for message in errors]})
        attrs["username"] = username
        return attrs


class SourceSystemUpdateSerializer(serializers.Serializer):
    """PUT/PATCH ``sources/<pk>/``: only ``name`` can change; everything else is ignored."""

    name = serializers.CharField(trim_whitespace=False)


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
