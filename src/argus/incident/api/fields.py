"""Timestamp and duration parsing for the incident API: bodies and query strings."""

import re
from datetime import UTC, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime, parse_duration
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from argus.incident.models import validate_heartbeat_frequency
from argus.util.datetime_utils import (
    INFINITY,
    INFINITY_REPR,
    NEGATIVE_INFINITY,
    NEGATIVE_INFINITY_REPR,
    as_aware,
    datetime_to_api,
    is_infinite,
    is_negative_infinite,
)

WRONG_FORMAT = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z], or 'infinity'."
)
INVALID_QUERY_DATETIME = "Enter a valid date/time."
_NUMBER = re.compile(r"[+-]?\d+(\.\d*)?")


def _parse_iso(value: str) -> datetime | None:
    """ISO 8601 as Python's fromisoformat reads it, then Django's regex parser as fallback."""
    text = value.strip()
    if not text or (_NUMBER.fullmatch(text) and len(text) != 8):  # epoch numbers are refused
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return parse_datetime(text)
    except ValueError:  # well formed but out of range, e.g. T25:00
        return None


def parse_api_datetime(value, allow_infinity: bool = False) -> datetime:
    """Parse a request-body timestamp; naive values are read in the server time zone.

    Raises ``ValueError`` with the spec's message when the value is not accepted.
    """
    if isinstance(value, str):
        if allow_infinity and value == INFINITY_REPR:
            return INFINITY
        if allow_infinity and value == NEGATIVE_INFINITY_REPR:
            return NEGATIVE_INFINITY
        parsed = _parse_iso(value)
        if parsed is not None:
            aware = as_aware(parsed)
            try:  # the database stores UTC: 0001-01-01T00:00 in Europe/Oslo does not exist there
                aware.astimezone(UTC)
            except (OverflowError, ValueError):
                raise ValueError(WRONG_FORMAT) from None
            if is_infinite(aware) or is_negative_infinite(aware):
                # The last (first) second of time is how infinity is stored: no real timestamp.
                if not allow_infinity:
                    raise ValueError(WRONG_FORMAT)
                return INFINITY if is_infinite(aware) else NEGATIVE_INFINITY
            try:  # the API shows the server's zone: 9999-12-31T23:30Z does not exist in Oslo
                timezone.localtime(aware)
            except (OverflowError, ValueError):
                raise ValueError(WRONG_FORMAT) from None
            return aware
    raise ValueError(WRONG_FORMAT)


def parse_query_datetime(value: str) -> datetime:
    """Parse a query-string datetime like a Django form DateTimeField (no infinity)."""
    try:
        parsed = forms.DateTimeField().clean(value)
    except DjangoValidationError:
        raise ValueError(INVALID_QUERY_DATETIME) from None
    if parsed is None:
        raise ValueError(INVALID_QUERY_DATETIME)
    return as_aware(parsed)


@extend_schema_field(OpenApiTypes.DATETIME)
class ArgusDateTimeField(serializers.Field):
    """A DRF field for API timestamps (ISO 8601 in and out), optionally also "infinity"."""

    default_error_messages = {"invalid": WRONG_FORMAT}

    def __init__(self, *, allow_infinity: bool = False, **kwargs):
        self.allow_infinity = allow_infinity
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            return parse_api_datetime(data, allow_infinity=self.allow_infinity)
        except ValueError:
            self.fail("invalid")

    def to_representation(self, value):
        return datetime_to_api(value)


INVALID_DURATION = "Enter a whole number of seconds or an ISO 8601 duration."
_WHOLE_SECONDS = re.compile(r"[0-9]+")


def parse_api_duration(value) -> timedelta:
    """Integer seconds (a JSON number or a string of digits) or an ISO 8601 duration (``PT5M``,
    ``P1D``); fractions of a second are dropped. ``ValueError`` otherwise."""
    if isinstance(value, bool):
        raise ValueError(INVALID_DURATION)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        if not 0 <= value <= 10**9:
            raise ValueError(INVALID_DURATION)
        return timedelta(seconds=value)
    if isinstance(value, str):
        text = value.strip()
        if _WHOLE_SECONDS.fullmatch(text) and len(text) <= 10:
            return timedelta(seconds=int(text))
        if text.upper().startswith("P"):
            try:
                duration = parse_duration(text.upper())
            except (OverflowError, ValueError):
                duration = None
            if duration is not None and duration >= timedelta(0):
                return duration - timedelta(microseconds=duration.microseconds)
    raise ValueError(INVALID_DURATION)


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string", "example": "PT5M"}],
        "nullable": True,
        "description": "Whole seconds (60 to 86400) or an ISO 8601 duration; null: not monitored.",
    }
)
class HeartbeatFrequencyField(serializers.Field):
    """How often a source must report: seconds or an ISO 8601 duration, 1 minute to 1 day, or null."""

    default_error_messages = {"invalid": INVALID_DURATION}

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            duration = parse_api_duration(data)
        except ValueError:
            self.fail("invalid")
        try:
            validate_heartbeat_frequency(duration)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        return duration

    def to_representation(self, value):
        return None if value is None else int(value.total_seconds())
