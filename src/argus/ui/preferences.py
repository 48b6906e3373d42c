"""The UI's per-user preferences, kept in the user's ``Preferences`` row of namespace ``argus_htmx``.

Upstream's keys (``theme``, ``datetime_format_name``, ``page_size``, ``update_interval``,
``incidents_table_layout``, ``incidents_table_column_name``, ``incident_filter``) plus ours:
``timezone`` and ``keyboard_shortcuts``. Stored values that are no longer valid choices (a page
size removed from the settings, say) read back as the default.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings

from argus.auth.models import Preferences
from argus.ui import conf
from argus.ui.columns import layouts
from argus.ui.formatting import DateFormatter, zone_or_default


@dataclass
class UiPreferences:
    theme: str
    datetime_format_name: str
    page_size: int
    update_interval: str
    incidents_table_layout: str
    incidents_table_column_name: str | None
    timezone: str
    keyboard_shortcuts: bool
    incident_filter: dict = field(default_factory=dict)

    @property
    def dates(self) -> DateFormatter:
        return DateFormatter(self.datetime_format_name, zone_or_default(self.timezone))


def timezone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def clean(stored: dict) -> UiPreferences:
    """Preferences from a stored dict, every invalid or missing value replaced by its default."""
    theme = conf.OLD_THEME_NAMES.get(stored.get("theme"), stored.get("theme"))
    page_size = stored.get("page_size")
    interval = str(stored.get("update_interval", ""))
    column_name = stored.get("incidents_table_column_name")
    tz_name = stored.get("timezone")
    incident_filter = stored.get("incident_filter")
    return UiPreferences(
        theme=theme if theme in conf.themes() else conf.default_theme(),
        datetime_format_name=(
            stored.get("datetime_format_name")
            if stored.get("datetime_format_name") in conf.DATETIME_FORMATS
            else conf.default_datetime_format()
        ),
        page_size=page_size if page_size in conf.page_sizes() else conf.default_page_size(),
        update_interval=interval if interval in conf.update_intervals() else conf.default_update_interval(),
        incidents_table_layout=(
            stored.get("incidents_table_layout")
            if stored.get("incidents_table_layout") in conf.TABLE_LAYOUTS
            else conf.default_table_layout()
        ),
        incidents_table_column_name=column_name if column_name in layouts() else None,
        timezone=tz_name
        if isinstance(tz_name, str) and tz_name in zoneinfo.available_timezones()
        else settings.TIME_ZONE,
        keyboard_shortcuts=stored.get("keyboard_shortcuts", True) is not False,
        incident_filter=incident_filter if isinstance(incident_filter, dict) else {},
    )


def stored_preferences(user) -> dict:
    row = (
        Preferences.objects.filter(user=user, namespace=conf.PREFERENCES_NAMESPACE)
        .only("preferences")
        .first()
    )
    stored = row.preferences if row is not None else {}
    return stored if isinstance(stored, dict) else {}


def preferences_of(request) -> UiPreferences:
    """The logged-in user's preferences, read once per request."""
    cached = getattr(request, "_ui_preferences", None)
    if cached is None:
        stored = stored_preferences(request.user) if request.user.is_authenticated else {}
        cached = request._ui_preferences = clean(stored)
    return cached
