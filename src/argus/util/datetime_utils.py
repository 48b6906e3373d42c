"""The one place that knows how "infinity" (an open incident's end time) is represented.

Open incidents have ``end_time = INFINITY``. In the database that is stored as the largest
representable timestamp, ``9999-12-31 23:59:59.999999+00:00``, on SQLite and PostgreSQL alike, so
ordinary comparisons (``end_time > now``, ``end_time__gte=x``) behave as with a real infinity. In
the API it is the string ``"infinity"``.
"""

from datetime import UTC, datetime

from django.utils import timezone

INFINITY_REPR = "infinity"
NEGATIVE_INFINITY_REPR = "-infinity"

INFINITY = datetime.max.replace(tzinfo=UTC)
NEGATIVE_INFINITY = datetime.min.replace(tzinfo=UTC)

# The last (first) second of time reads back as (minus) infinity: the databases keep
# datetime.max to the microsecond, the margin only absorbs a rounding. Every other instant is a
# real timestamp; the API refuses those the server time zone cannot show (see
# argus.incident.api.fields.parse_api_datetime).
_INFINITY_THRESHOLD = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
_NEGATIVE_INFINITY_THRESHOLD = datetime(1, 1, 1, 0, 0, 1, tzinfo=UTC)


def is_infinite(value) -> bool:
    return value is not None and value >= _INFINITY_THRESHOLD


def is_negative_infinite(value) -> bool:
    return value is not None and value <= _NEGATIVE_INFINITY_THRESHOLD


def as_aware(value: datetime) -> datetime:
    """Make a naive datetime aware in the current (server) time zone."""
    if timezone.is_naive(value):
        return timezone.make_aware(value, timezone.get_current_timezone())
    return value


def to_localtime(value: datetime) -> datetime:
    return timezone.localtime(value)


def datetime_to_api(value):
    """Render a datetime the way every API datetime is rendered (server zone, offset)."""
    return api_datetime_formatter()(value)


def api_datetime_formatter():
    """:func:`datetime_to_api` for many values: the current time zone is looked up once, and a
    value equal to the one before is not formatted again (an incident's tags share one added time).

    (Looking the time zone up is a context-local read that cost more than the formatting itself
    when a response renders tens of thousands of datetimes.) Values are aware datetimes, as the
    database gives them; a naive one cannot be compared with infinity and fails as before.
    """
    zone = timezone.get_current_timezone()
    zulu = timezone.get_current_timezone_name() == "UTC"
    last = [None, None]  # the last value formatted, and its text

    def format_datetime(value):
        if value is None:
            return None
        if value == last[0]:
            return last[1]
        if value >= _INFINITY_THRESHOLD:
            return INFINITY_REPR
        if value <= _NEGATIVE_INFINITY_THRESHOLD:
            return NEGATIVE_INFINITY_REPR
        try:
            local = value.astimezone(zone)
        except OverflowError:  # stored before the API refused it (or through the admin): show it in UTC
            local = value.astimezone(UTC)
        text = local.isoformat()
        if zulu and text.endswith("+00:00"):
            text = text[:-6] + "Z"
        last[:] = value, text
        return text

    return format_datetime
