"""System checks: a broken notification configuration fails at startup, not at send time."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from argus.notificationprofile.filterblob import InvalidFilterBlob, validate_filter_blob
from argus.notificationprofile.media import load_plugin


@register(Tags.compatibility)
def check_media_plugins(app_configs=None, **kwargs):
    if not hasattr(settings, "MEDIA_PLUGINS"):
        return [
            Error(
                "The MEDIA_PLUGINS setting is missing.",
                hint="List the notification media, e.g. "
                '["argus.notificationprofile.media.email.EmailNotification"].',
                id="argus_notificationprofile.E001",
            )
        ]
    plugins = settings.MEDIA_PLUGINS
    if isinstance(plugins, str) or not isinstance(plugins, (list, tuple)):
        return [
            Error(
                "MEDIA_PLUGINS must be a list of dotted paths to notification medium classes.",
                id="argus_notificationprofile.E001",
            )
        ]
    errors = []
    slugs: dict[str, str] = {}
    for path in plugins:
        try:
            plugin = load_plugin(path)
        except (ImportError, TypeError, ValueError) as error:
            errors.append(
                Error(
                    f"MEDIA_PLUGINS entry {path!r} cannot be used: {error}",
                    hint="Each entry must be the dotted path of a NotificationMedium subclass "
                    "(argus.notificationprofile.media.base.NotificationMedium).",
                    id="argus_notificationprofile.E002",
                )
            )
            continue
        if plugin.MEDIA_SLUG in slugs:
            errors.append(
                Error(
                    f"MEDIA_PLUGINS entries {slugs[plugin.MEDIA_SLUG]!r} and {path!r} share the slug "
                    f"{plugin.MEDIA_SLUG!r}.",
                    id="argus_notificationprofile.E003",
                )
            )
        slugs.setdefault(plugin.MEDIA_SLUG, path)
    return errors


@register(Tags.compatibility)
def check_fallback_filter(app_configs=None, **kwargs):
    fallback = getattr(settings, "ARGUS_FALLBACK_FILTER", None)
    if fallback in (None, {}):
        return []
    try:
        validate_filter_blob(fallback)
    except InvalidFilterBlob as error:
        return [
            Warning(
                f"ARGUS_FALLBACK_FILTER is not a valid filter: {'; '.join(error.messages)}",
                id="argus_filter.W001",
            )
        ]
    return []


@register(Tags.compatibility)
def check_yield_settings(app_configs=None, **kwargs):
    """The worker's stepping aside (``yielding.py``) needs numbers; a share of 0 always waits."""
    problems = []
    values = {}
    for name in ("NOTIFICATION_YIELD_CPU", "NOTIFICATION_YIELD_SECONDS"):
        value = getattr(settings, name, None)
        if value is None:
            continue
        try:
            values[name] = float(value)
        except (TypeError, ValueError):
            problems.append(
                Error(
                    f"{name} must be a number, not {value!r}.",
                    hint="ARGUS_NOTIFICATION_YIELD_CPU_PERCENT and ARGUS_NOTIFICATION_YIELD_SECONDS "
                    "take whole numbers.",
                    id="argus_notificationprofile.E004",
                )
            )
    if values.get("NOTIFICATION_YIELD_CPU", 1) <= 0 and values.get("NOTIFICATION_YIELD_SECONDS", 1) > 0:
        problems.append(
            Warning(
                "NOTIFICATION_YIELD_CPU is 0: every notification is held back "
                "NOTIFICATION_YIELD_SECONDS, whatever the CPUs do.",
                hint="Use a share such as 0.8 (ARGUS_NOTIFICATION_YIELD_CPU_PERCENT=80), or "
                "ARGUS_NOTIFICATION_YIELD_SECONDS=0 to never hold notifications back.",
                id="argus_notificationprofile.W002",
            )
        )
    return problems
