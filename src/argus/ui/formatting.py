"""How the UI shows times, durations and levels, per the user's preferences.

Times are ``<time>`` elements: the machine-readable value carries the offset, the title shows the
absolute time with its offset (also for relative ages).
"""

from __future__ import annotations

import datetime
import email.utils
import zoneinfo
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.html import format_html

from argus.incident.choices import Level
from argus.util.datetime_utils import is_infinite

ISO_FORMAT = "%Y-%m-%d %H:%M:%S"
TITLE_FORMAT = "%Y-%m-%d %H:%M:%S %z"


def zone_or_default(name: str | None) -> datetime.tzinfo:
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return timezone.get_default_timezone()


def level_name(level: int) -> str:
    try:
        return Level(level).label
    except ValueError:
        return str(level)


def level_text(level: int) -> str:
    return f"{level} - {level_name(level)}"


def duration_text(delta: datetime.timedelta) -> str:
    """Two largest units: "3 d 4 h", "2 h 5 min", "4 min", "12 s"."""
    seconds = max(int(delta.total_seconds()), 0)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (seconds, "s")]
    shown = []
    for value, unit in parts:
        if value or shown:
            shown.append(f"{value} {unit}")
        if len(shown) == 2:
            break
    if shown and shown[-1].startswith("0 "):
        shown.pop()
    return " ".join(shown) or "0 s"


def frequency_text(frequency: datetime.timedelta | None) -> str:
    """A source's heartbeat frequency: "every 5 min", "every 1 h 30 min"; "Off" when not monitored."""
    if frequency is None:
        return "Off"
    return f"every {duration_text(frequency)}"


@dataclass(frozen=True)
class DateFormatter:
    format_name: str = "LOCALE"
    tz: datetime.tzinfo = datetime.UTC

    def local(self, value: datetime.datetime) -> datetime.datetime:
        return value.astimezone(self.tz)

    def text(self, value: datetime.datetime) -> str:
        local = self.local(value)
        if self.format_name == "ISO":
            return local.strftime(ISO_FORMAT)
        if self.format_name == "RFC5322":
            return email.utils.format_datetime(local)
        if self.format_name == "EPOCH":
            return str(int(value.timestamp()))
        return formats.date_format(timezone.make_naive(local, self.tz), "SHORT_DATETIME_FORMAT")

    def time(self, value: datetime.datetime | None, empty: str = "—"):
        """A ``<time>`` element, or ``empty`` for no time and for "infinity" (still open)."""
        if value is None or is_infinite(value):
            return empty
        local = self.local(value)
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            local.isoformat(),
            local.strftime(TITLE_FORMAT),
            self.text(value),
        )

    def age(self, start: datetime.datetime, end: datetime.datetime | None, now: datetime.datetime):
        """Time since start (open), start to end (closed), "-" (stateless); absolute start as title."""
        if end is None:
            return "-"
        until = now if is_infinite(end) else end
        delta = until - start
        return format_html(
            '<time datetime="PT{}S" title="Started {}">{}</time>',
            max(int(delta.total_seconds()), 0),
            self.local(start).strftime(TITLE_FORMAT),
            duration_text(delta),
        )


# --- timeslots ----------------------------------------------------------------------------------

DAY_NAMES = {
    1: "Monday",
    2: "Tuesday",
    3: "Wednesday",
    4: "Thursday",
    5: "Friday",
    6: "Saturday",
    7: "Sunday",
}


def clock_text(value: datetime.time) -> str:
    """``HH:MM``, with seconds only when they matter (the end of a minute shows as that minute)."""
    if value.second and not (value.second == 59 and value.microsecond == 999999):
        return value.strftime("%H:%M:%S")
    return value.strftime("%H:%M")


def _and_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def recurrence_text(recurrence) -> str:
    """ "08:00-16:00 on Monday and Friday", "around the clock, every day" is "24/7"."""
    days = sorted(set(recurrence.days or []))
    if not days:
        return "never (no days chosen)"
    around_the_clock = recurrence.start <= datetime.time(0, 0, 59) and recurrence.end >= datetime.time(23, 59)
    every_day = len(days) == 7
    if around_the_clock and every_day:
        return "24/7"
    when = (
        "around the clock"
        if around_the_clock
        else f"{clock_text(recurrence.start)}-{clock_text(recurrence.end)}"
    )
    on = "every day" if every_day else "on " + _and_list([DAY_NAMES.get(day, str(day)) for day in days])
    return f"{when} {on}"
