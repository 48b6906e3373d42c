"""System checks of the UI's settings: a bad column layout or page size stops the server at start."""

from django.conf import settings
from django.core.checks import Error, Warning, register

from argus.ui import conf
from argus.ui.columns import layouts, unknown_columns


@register()
def check_ui_settings(app_configs, **kwargs):
    problems = []
    for name, columns in layouts().items():
        unknown = unknown_columns(columns)
        if unknown:
            problems.append(
                Error(
                    f"Incident table layout {name!r} names unknown column(s): {', '.join(map(str, unknown))}",
                    hint="See docs/ui.md for the column names.",
                    id="argus_ui.E001",
                )
            )
    sizes = conf.page_sizes()
    if not sizes or not all(type(size) is int and size > 0 for size in sizes):
        problems.append(
            Error("ARGUS_INCIDENTS_PAGE_SIZES must be a list of positive whole numbers.", id="argus_ui.E002")
        )
    elif conf.default_page_size() not in sizes:
        problems.append(
            Error(
                "ARGUS_INCIDENTS_DEFAULT_PAGE_SIZE must be one of ARGUS_INCIDENTS_PAGE_SIZES.",
                id="argus_ui.E003",
            )
        )
    unknown_themes = [name for name in settings.DAISYUI_THEMES if name not in conf.THEMES]
    if unknown_themes:
        problems.append(
            Warning(
                f"DAISYUI_THEMES names theme(s) the UI does not have: {', '.join(map(str, unknown_themes))}",
                hint=f"Built-in themes: {', '.join(conf.THEMES)}.",
                id="argus_ui.W001",
            )
        )
    return problems
