"""Request validation of the incident endpoints (create, update, ticket URL).

Serializers here only validate and shape input; the views hand the validated data to
``argus.incident.services``, and responses are built by ``argus.incident.representation``.
Error bodies are part of the contract, including the nested shapes of tag errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from argus.incident.choices import Level
from argus.incident.models import Incident
from argus.incident.tags import INVALID_KEY, InvalidTag, parse_tag
from argus.util.datetime_utils import INFINITY, is_negative_infinite
from argus.util.openapi import INFINITY_DATETIME_SCHEMA
from argus.util.parsers import TOO_DEEP_MESSAGE, exceeds_json_depth
from argus.util.serializers import SharedFieldsSerializer

from .fields import ArgusDateTimeField

TAG_FORMAT_MESSAGE = 'Tags need to follow the format {"tag": key=value}'
END_BEFORE_START_MESSAGE = "'end_time' cannot be before 'start_time'."
INVALID_URL_MESSAGE = "Enter a valid URL."
NULL_CHARACTERS_MESSAGE = "Null characters are not allowed."
NOT_CHANGEABLE_MESSAGE = "The field is not allowed to be changed."
DOES_NOT_EXIST_MESSAGE = "The field does not exist."

_url_validator = URLValidator()


def tag_error_message(error: InvalidTag) -> str:
    """The incident API's text for a refused tag (create, PATCH, ``<pk>/tags/``).

    A bad key is reported as the repr of a one-element message list: an upstream quirk that
    clients may match on.
    """
    if error.code == INVALID_KEY:
        return str([error.message])
    return error.message


@extend_schema_field(
    {"type": "array", "items": {"type": "object", "properties": {"tag": {"type": "string"}}}}
)
class TagListField(serializers.Field):
    """A list of ``{"tag": "key=value"}`` objects, to de-duplicated (key, value) pairs in order.

    Error shapes: not a list → ``{"non_field_errors": [...]}``; item not an object with
    ``tag`` → ``{"<i>": ["..."]}``; bad tag text → ``{"<i>": {"tag": "..."}}``.
    """

    default_error_messages = {"not_a_list": 'Expected a list of items but got type "{input_type}".'}

    def to_internal_value(self, data):
        if isinstance(data, (str, Mapping)) or not hasattr(data, "__iter__"):
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        self.error_messages["not_a_list"].format(input_type=type(data).__name__)
                    ]
                }
            )
        pairs, errors = [], {}
        for index, item in enumerate(data):
            if not isinstance(item, Mapping) or "tag" not in item:
                errors[str(index)] = [TAG_FORMAT_MESSAGE]
                continue
            tag = item["tag"]
            if not isinstance(tag, str):
                errors[str(index)] = {"tag": TAG_FORMAT_MESSAGE}
                continue
            try:
                pairs.append(parse_tag(tag))
            except InvalidTag as error:
                errors[str(index)] = {"tag": tag_error_message(error)}
        if errors:
            raise serializers.ValidationError(errors)
        return list(dict.fromkeys(pairs))

    def to_representation(self, value):
        return [{"tag": f"{key}={tag_value}"} for key, tag_value in value]


class TicketUrlField(serializers.CharField):
    """A ticket URL on incident POST/PATCH: must be a valid URL, ``""`` included."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        value = super().run_validation(data)
        if (
            data is not serializers.empty and value is not None
        ):  # CharField skips validators for blank values, so check here
            try:
                _url_validator(value)
            except DjangoValidationError:
                raise serializers.ValidationError(INVALID_URL_MESSAGE) from None
        return value


class StorableDateTimeField(ArgusDateTimeField):
    """An API timestamp that the database can store: refuses values that overflow in UTC
    (``0001-01-01T00:00`` read in Europe/Oslo, ``9999-12-31T23:00-05:00``) instead of a 500."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value is not None:
            try:
                value.astimezone(UTC)
            except (OverflowError, ValueError):
                self.fail("invalid")
        return value


def _contains_null_character(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_contains_null_character(k) or _contains_null_character(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_null_character(item) for item in value)
    return False


@extend_schema_field(INFINITY_DATETIME_SCHEMA)
class EndTimeField(StorableDateTimeField):
    """An incident's end on create: a timestamp, ``"infinity"`` (open) or null (stateless)."""

    def __init__(self, **kwargs):
        super().__init__(allow_infinity=True, allow_null=True, **kwargs)


class MetadataField(serializers.JSONField):
    """Any JSON value; strings may not hold NUL characters (PostgreSQL jsonb refuses them).

    A JSON body is already limited in depth by the request parser; a form field holds JSON text
    that is parsed here, so the same limit is applied to it.
    """

    def to_internal_value(self, data):
        try:
            value = super().to_internal_value(data)
        except RecursionError:
            raise serializers.ValidationError(TOO_DEEP_MESSAGE) from None
        if exceeds_json_depth(value):
            raise serializers.ValidationError(TOO_DEEP_MESSAGE)
        if _contains_null_character(value):
            raise serializers.ValidationError(NULL_CHARACTERS_MESSAGE)
        return value


class LevelField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Level.choices, **kwargs)


class IncidentCreateV1Serializer(SharedFieldsSerializer):
    start_time = StorableDateTimeField()
    end_time = EndTimeField(required=False, default=INFINITY)
    tags = TagListField()
    source_incident_id = serializers.CharField(required=False, allow_blank=True, default="")
    details_url = serializers.CharField(required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    level = LevelField(required=False, default=Level.INFORMATION)
    ticket_url = TicketUrlField(required=False, default="")

    def validate(self, attrs):
        end_time = attrs.get("end_time")
        if end_time is not None and (is_negative_infinite(end_time) or end_time < attrs["start_time"]):
            raise serializers.ValidationError(END_BEFORE_START_MESSAGE)
        return attrs


class IncidentCreateV2Serializer(IncidentCreateV1Serializer):
    # null is refused later, with a list-shaped body (the reference leaks a database error).
    metadata = MetadataField(required=False, allow_null=True, default=dict)


class IncidentUpdateSerializer(serializers.Serializer):
    """The editable fields of an incident; PUT requires ``tags``, PATCH none."""

    tags = TagListField(required=False)
    details_url = serializers.CharField(required=False, allow_blank=True)
    ticket_url = TicketUrlField(required=False)
    level = LevelField(required=False)
    metadata = MetadataField(required=False)
    description = serializers.CharField(required=False, allow_blank=True)

    def __init__(self, *args, require_tags: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if require_tags:
            self.fields["tags"].required = True


def non_editable_key_errors(data) -> dict:
    """``{"<key>": "<message>"}`` for every key a PATCH/PUT may not send (checked before the rest)."""
    editable = set(IncidentUpdateSerializer().fields)
    model_fields = {field.name for field in Incident._meta.get_fields()} | {"pk"}
    errors = {}
    for key in data:
        key = str(key)
        if key in editable:
            continue
        errors[key] = NOT_CHANGEABLE_MESSAGE if key in model_fields else DOES_NOT_EXIST_MESSAGE
    return errors


class TicketUrlUpdateSerializer(serializers.Serializer):
    """Any text, not validated as a URL; ``""`` removes the ticket URL."""

    ticket_url = serializers.CharField(allow_blank=True, trim_whitespace=False)
