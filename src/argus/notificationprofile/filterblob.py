"""Filter blobs: the JSON object stored in ``Filter.filter``.

This module only knows the *shape* of a blob: which keys exist, which values they accept, how a blob
is rendered and how the legacy v1 ``filter_string`` maps onto it. What a blob *means* (which
incidents and events it selects) lives in :mod:`argus.notificationprofile.matching`.

The serializers here are usable as nested fields (``filter = FilterBlobSerializer(required=False)``)
so that errors come out in DRF's shape under ``"filter"``; :func:`validate_filter_blob` is the
plain-function entry point for code outside DRF.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from rest_framework import serializers

from argus.incident.choices import MAX_INCIDENT_LEVEL, MIN_INCIDENT_LEVEL, EventType
from argus.incident.models import SourceSystemType
from argus.incident.tags import KEY_TOO_LONG, VALUE_TOO_LONG, InvalidTag, parse_tag, split_tag
from argus.util import parsers
from argus.util.ids import MAX_DATABASE_ID

SOURCE_SYSTEM_IDS = "sourceSystemIds"
SOURCE_TYPES = "source_types"
TAGS = "tags"
OPEN = "open"
ACKED = "acked"
STATEFUL = "stateful"
MAXLEVEL = "maxlevel"
EVENT_TYPES = "event_types"

#: Output key order of a blob in the API.
BLOB_KEYS = (SOURCE_SYSTEM_IDS, SOURCE_TYPES, TAGS, OPEN, ACKED, STATEFUL, MAXLEVEL, EVENT_TYPES)
#: Keys that are always rendered, ``null`` when absent.
ALWAYS_RENDERED_KEYS = (OPEN, ACKED, STATEFUL, MAXLEVEL)
TRISTATE_KEYS = (OPEN, ACKED, STATEFUL)
LIST_KEYS = (SOURCE_SYSTEM_IDS, SOURCE_TYPES, TAGS, EVENT_TYPES)
#: Keys v1 neither shows nor accepts (a v1 write keeps a stored ``source_types``, see combine_v1_blob).
V2_ONLY_KEYS = (SOURCE_TYPES, EVENT_TYPES)

#: The only keys a v1 ``filter_string`` may (and must) contain.
FILTER_STRING_KEYS = (SOURCE_SYSTEM_IDS, TAGS)


class InvalidFilterBlob(ValidationError):
    """A blob failed validation. ``detail`` holds the errors in DRF's shape (dict or list)."""

    def __init__(self, detail):
        self.detail = detail
        super().__init__(_flatten_messages(detail))


def _flatten_messages(detail, prefix: str = "") -> list[str]:
    if isinstance(detail, Mapping):
        messages = []
        for key, value in detail.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            messages.extend(_flatten_messages(value, path))
        return messages
    if isinstance(detail, (list, tuple)):
        messages = []
        for item in detail:
            messages.extend(_flatten_messages(item, prefix))
        return messages
    return [f"{prefix}: {detail}" if prefix else str(detail)]


class EventTypesField(serializers.ListField):
    """A list of event type codes, de-duplicated keeping first-occurrence order.

    Errors are a flat list (``["\"XXX\" is not a valid choice."]``), as 1.37 reports them.
    """

    child = serializers.CharField()
    default_error_messages = {"invalid_choice": '"{input}" is not a valid choice.'}

    def to_internal_value(self, data):
        codes = super().to_internal_value(data)
        valid = set(EventType.values)
        for code in codes:
            if code not in valid:
                self.fail("invalid_choice", input=code)
        return list(dict.fromkeys(codes))


def unknown_source_type_message(name: str) -> str:
    return f'Unknown source system type "{name}".'


class SourceTypesField(serializers.ListField):
    """Names of existing source system types, de-duplicated keeping first-occurrence order.

    An unknown name is refused (``{"0": ['Unknown source system type "zabix".']}``), so a typo
    cannot silently select nothing; ``check_source_types=False`` in the context checks the shape
    only (the system check of ``ARGUS_FALLBACK_FILTER``, which must not read the database).
    """

    child = serializers.CharField()

    def to_internal_value(self, data):
        names = super().to_internal_value(data)
        if names and self.context.get("check_source_types", True):
            known = set(SourceSystemType.objects.filter(name__in=set(names)).values_list("name", flat=True))
            errors = {
                str(index): [unknown_source_type_message(name)]
                for index, name in enumerate(names)
                if name not in known
            }
            if errors:
                raise serializers.ValidationError(errors)
        return list(dict.fromkeys(names))


class FilterBlobSerializer(serializers.Serializer):
    """What a filter selects: every key given must match (unknown keys are dropped).

    ``sourceSystemIds``: any of these sources; ``source_types``: a source of any of these types;
    ``tags``: ``key=value`` tags the incident must all have; ``open``/``acked``/``stateful``: true
    or false, null for either; ``maxlevel``: this level or more severe; ``event_types``: only
    events of these types.
    """

    api_version = "v2"

    sourceSystemIds = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_DATABASE_ID), required=False
    )
    source_types = SourceTypesField(
        required=False, help_text="Names of source system types; shown only when the filter has them."
    )
    tags = serializers.ListField(child=serializers.CharField(min_length=3), required=False)
    open = serializers.BooleanField(required=False, allow_null=True)
    acked = serializers.BooleanField(required=False, allow_null=True)
    stateful = serializers.BooleanField(required=False, allow_null=True)
    maxlevel = serializers.IntegerField(
        required=False, allow_null=True, min_value=MIN_INCIDENT_LEVEL, max_value=MAX_INCIDENT_LEVEL
    )
    event_types = EventTypesField(required=False)

    def to_representation(self, instance):
        return represent_filter_blob(instance)

    def validate_tags(self, tags):
        """Tags over the tag length limits are refused. Other malformed tags are stored, as 1.37
        does (they match nothing), except where the context asks for ``strict_tags`` (preview)."""
        errors = {}
        for index, tag in enumerate(tags):
            try:
                parse_tag(tag)
            except InvalidTag as error:
                if self.context.get("strict_tags") or error.code in (KEY_TOO_LONG, VALUE_TOO_LONG):
                    errors[str(index)] = [error.message]
        if errors:
            raise serializers.ValidationError(errors)
        return tags

    def to_internal_value(self, data):
        validated = super().to_internal_value(data)
        # Keep the order of the input so the stored blob reads like what the user sent.
        order = list(data) if isinstance(data, Mapping) else []
        return {key: validated[key] for key in sorted(validated, key=lambda k: _position(order, k))}


class FilterBlobV1Serializer(FilterBlobSerializer):
    """What a filter selects: every key given must match (unknown keys are dropped).

    ``sourceSystemIds``: any of these sources; ``tags``: ``key=value`` tags the incident must all
    have; ``open``/``acked``/``stateful``: true or false, null for either; ``maxlevel``: this
    level or more severe.
    """

    api_version = "v1"
    schema_name = "FilterBlob"

    source_types = None
    event_types = None

    def to_representation(self, instance):
        return represent_filter_blob(instance, version=1)


def _position(order: list, key: str) -> int:
    return order.index(key) if key in order else len(order)


def validate_filter_blob(
    blob, *, version: int = 2, strict_tags: bool = False, check_source_types: bool = True
) -> dict:
    """Validate a blob with the v2 (or v1) rules and return the cleaned blob.

    Raises :class:`InvalidFilterBlob` (a Django ``ValidationError``) whose ``detail`` is the DRF error
    structure, e.g. ``{"sourceSystemIds": {"0": ["A valid integer is required."]}}``.
    ``strict_tags`` refuses every tag that is not a valid ``key=value`` tag (filter preview);
    ``check_source_types=False`` does not ask the database whether the source types exist.
    """
    serializer_class = FilterBlobV1Serializer if version == 1 else FilterBlobSerializer
    context = {"strict_tags": strict_tags, "check_source_types": check_source_types}
    serializer = serializer_class(data=blob, context=context)
    if not serializer.is_valid():
        raise InvalidFilterBlob(_plain(serializer.errors))
    return dict(serializer.validated_data)


def _plain(detail):
    """DRF ErrorDetail/ReturnDict structures to plain JSON-able dicts/lists/strings."""
    if isinstance(detail, Mapping):
        return {str(key): _plain(value) for key, value in detail.items()}
    if isinstance(detail, (list, tuple)):
        return [_plain(item) for item in detail]
    return str(detail)


def represent_filter_blob(blob: Mapping | None, *, version: int = 2) -> dict:
    """The API rendering of a stored blob: fixed key order, tri-states and maxlevel always present,
    list keys only when stored; v1 never shows the v2-only keys."""
    blob = blob or {}
    rendered = {}
    for key in BLOB_KEYS:
        if version == 1 and key in V2_ONLY_KEYS:
            continue
        if key in ALWAYS_RENDERED_KEYS:
            rendered[key] = blob.get(key)
        elif key in blob:
            rendered[key] = blob[key]
    return rendered


def is_empty_blob(blob: Mapping | None) -> bool:
    """True when no key would select anything: such a blob matches nothing."""
    blob = blob or {}
    if any(blob.get(key) is not None for key in TRISTATE_KEYS):
        return False
    return not any(blob.get(key) for key in (SOURCE_SYSTEM_IDS, SOURCE_TYPES, TAGS, EVENT_TYPES, MAXLEVEL))


def source_ids_of(blob: Mapping) -> list[int]:
    """The blob's source ids a database can hold (a blob stored before they were checked, or
    written in the admin, may hold others: they name no source, so they match nothing)."""
    return [
        source_id
        for source_id in blob.get(SOURCE_SYSTEM_IDS) or ()
        if type(source_id) is int and 0 < source_id <= MAX_DATABASE_ID
    ]


def source_types_of(blob: Mapping) -> list[str]:
    """The blob's source type names (anything else names no type, so it matches nothing)."""
    names = blob.get(SOURCE_TYPES) or ()
    return [name for name in names if type(name) is str] if isinstance(names, (list, tuple)) else []


def tags_by_key(tags) -> dict[str, set[str]] | None:
    """Group filter tags by key (OR within a key, AND across keys). None if any tag is malformed.

    Blobs may hold tags without a delimiter (the API stores them); they simply match nothing.
    Only the split is checked: a tag breaking the other rules names no stored tag anyway.
    """
    grouped: dict[str, set[str]] = {}
    for tag in tags or ():
        try:
            key, value = split_tag(str(tag))
        except InvalidTag:
            return None
        grouped.setdefault(key, set()).add(value)
    return grouped


# --- v1 filter_string ---------------------------------------------------------------------


def filter_string_for_blob(blob: Mapping | None) -> str:
    """The legacy ``filter_string``, always synthesised from the blob (``[]`` for a missing key)."""
    blob = blob or {}
    return json.dumps(
        {SOURCE_SYSTEM_IDS: blob.get(SOURCE_SYSTEM_IDS) or [], TAGS: blob.get(TAGS) or []},
        separators=(", ", ": "),
    )


def _error_detail_literal(message: str, code: str) -> str:
    # 1.37 wraps each message in the repr of a DRF ErrorDetail; clients may compare the text.
    return f"[ErrorDetail(string={message!r}, code={code!r})]"


def parse_filter_string(text) -> dict:
    """Parse a v1 ``filter_string`` into a blob with exactly ``sourceSystemIds`` and ``tags``.

    Raises :class:`InvalidFilterBlob` with a list of messages (rendered under ``filter_string`` by
    the v1 serializer). Unlike 1.37, non-object JSON and bad value types are refused here instead
    of being stored and crashing later reads.
    """
    if not isinstance(text, str):
        raise InvalidFilterBlob(["Not a valid string."])
    try:
        parsed = parsers.loads(text)
    except ValueError as error:
        raise InvalidFilterBlob([str(error)])
    if not isinstance(parsed, dict):
        raise InvalidFilterBlob(["The filter string must be a JSON object."])
    known = [key for key in parsed if key in FILTER_STRING_KEYS]
    missing = [key for key in FILTER_STRING_KEYS if key not in parsed]
    unknown = [key for key in parsed if key not in FILTER_STRING_KEYS]
    errors = []
    if not known:
        errors.append(_error_detail_literal("No known fieldnames in filterstring.", "none_found"))
    if missing:
        errors.append(
            _error_detail_literal(f"Filterstring is missing fieldname(s): {', '.join(missing)}", "missing")
        )
    if unknown:
        errors.append(
            _error_detail_literal(f"Unknown fieldname(s) in filterstring: {', '.join(unknown)}", "unknown")
        )
    if errors:
        raise InvalidFilterBlob(errors)
    try:
        cleaned = validate_filter_blob(parsed, version=1)
    except InvalidFilterBlob as error:
        raise InvalidFilterBlob(_flatten_messages(error.detail))
    return {key: cleaned[key] for key in FILTER_STRING_KEYS}


def combine_v1_blob(*, filter_blob: dict | None, filter_string_blob: dict | None, current: dict | None):
    """The stored blob after a v1 write of ``filter`` and/or ``filter_string``.

    ``filter_blob`` is the validated ``filter`` (v1 rules) or None when absent; ``filter_string_blob``
    the parsed ``filter_string`` or None; ``current`` the stored blob (None on create).

    A stored ``source_types`` is kept: v1 clients cannot see it, so a v1 write cannot mean to
    remove it (dropping it would silently widen a notification filter).
    """
    if filter_blob is None and filter_string_blob is None:
        return {} if current is None else dict(current)
    if filter_blob is None:
        combined = dict(filter_string_blob)
    else:
        combined = dict(filter_blob)
        if filter_string_blob:
            for key in FILTER_STRING_KEYS:
                if filter_string_blob.get(key) and key not in combined:
                    combined[key] = filter_string_blob[key]
    if current and current.get(SOURCE_TYPES):
        combined[SOURCE_TYPES] = current[SOURCE_TYPES]
    return combined
