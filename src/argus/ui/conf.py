"""The UI's settings, checked as they are read (their defaults are in the settings module), and its constants."""

from django.conf import settings

PREFERENCES_NAMESPACE = "argus_htmx"

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
    return list(settings.ARGUS_INCIDENTS_PAGE_SIZES)


def default_page_size() -> int:
    return settings.ARGUS_INCIDENTS_DEFAULT_PAGE_SIZE or page_sizes()[0]


def update_intervals() -> list[str]:
    """The choices as strings ("live", "never", "5", ...), as they travel in forms."""
    return [str(value) for value in settings.ARGUS_INCIDENTS_UPDATE_INTERVALS]


def default_update_interval() -> str:
    return str(settings.ARGUS_INCIDENTS_UPDATE_INTERVAL_DEFAULT)


def themes() -> list[str]:
    return [name for name in settings.DAISYUI_THEMES if name in THEMES] or list(THEMES)


def default_theme() -> str:
    theme = settings.ARGUS_THEME_DEFAULT
    theme = OLD_THEME_NAMES.get(theme, theme)
    return theme if theme in themes() else themes()[0]


def default_datetime_format() -> str:
    name = settings.ARGUS_FRONTEND_DATETIME_FORMAT
    return name if name in DATETIME_FORMATS else "LOCALE"


def default_table_layout() -> str:
    layout = settings.ARGUS_INCIDENTS_TABLE_LAYOUT_DEFAULT
    return layout if layout in TABLE_LAYOUTS else "compact"


def banner_message() -> str:
    return settings.ARGUS_BANNER_MESSAGE or ""


def readonly_group() -> str | None:
    return settings.ARGUS_UI_READONLY_GROUP or None
