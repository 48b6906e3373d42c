"""The UI's settings, read with their defaults (a site's own settings module may lack them)."""

from django.conf import settings

PREFERENCES_NAMESPACE = "argus_htmx"

DEFAULT_PAGE_SIZES = [10, 20, 50, 100]
DEFAULT_UPDATE_INTERVALS = ["live", "never", 5, 30, 60]
THEMES = ("light", "dark", "argus")
OLD_THEME_NAMES = {"sikt": "light", "sikt-dark": "dark"}
DATETIME_FORMATS = ("LOCALE", "ISO", "RFC5322", "EPOCH")
TABLE_LAYOUTS = ("compact", "standard")
KIOSK_PAGE_SIZE = 100
# "After filtering" is exact up to this many incidents, then shown as "10 000+".
COUNT_LIMIT = 10_000
# Seconds "Total, all time" may be old.
TOTAL_MAX_AGE = 60
EVENTS_PAGE = 100


def page_sizes() -> list[int]:
    return list(getattr(settings, "ARGUS_INCIDENTS_PAGE_SIZES", DEFAULT_PAGE_SIZES))


def default_page_size() -> int:
    return getattr(settings, "ARGUS_INCIDENTS_DEFAULT_PAGE_SIZE", page_sizes()[0])


def update_intervals() -> list[str]:
    """The choices as strings ("live", "never", "5", ...), as they travel in forms."""
    return [
        str(value)
        for value in getattr(settings, "ARGUS_INCIDENTS_UPDATE_INTERVALS", DEFAULT_UPDATE_INTERVALS)
    ]


def default_update_interval() -> str:
    return str(getattr(settings, "ARGUS_INCIDENTS_UPDATE_INTERVAL_DEFAULT", "live"))


def themes() -> list[str]:
    return [name for name in getattr(settings, "DAISYUI_THEMES", THEMES) if name in THEMES] or list(THEMES)


def default_theme() -> str:
    theme = getattr(settings, "ARGUS_THEME_DEFAULT", "argus")
    theme = OLD_THEME_NAMES.get(theme, theme)
    return theme if theme in themes() else themes()[0]


def default_datetime_format() -> str:
    name = getattr(settings, "ARGUS_FRONTEND_DATETIME_FORMAT", "LOCALE")
    return name if name in DATETIME_FORMATS else "LOCALE"


def default_table_layout() -> str:
    layout = getattr(settings, "ARGUS_INCIDENTS_TABLE_LAYOUT_DEFAULT", "compact")
    return layout if layout in TABLE_LAYOUTS else "compact"


def banner_message() -> str:
    return getattr(settings, "ARGUS_BANNER_MESSAGE", "") or ""


def readonly_group() -> str | None:
    return getattr(settings, "ARGUS_UI_READONLY_GROUP", None) or None
