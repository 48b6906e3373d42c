"""System checks: a broken notification configuration fails at startup, not at send time."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from argus.notificationprofile.choices import SLACK_MEDIA_SLUG, WEBHOOK_MEDIA_SLUG
from argus.notificationprofile.filterblob import InvalidFilterBlob, validate_filter_blob
from argus.notificationprofile.plugins import installed_media, load_plugin


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
    fallback = settings.ARGUS_FALLBACK_FILTER
    if fallback in (None, {}):
        return []
    try:
        validate_filter_blob(fallback, check_source_types=False)  # checks do not read the database
    except InvalidFilterBlob as error:
        return [
            Warning(
                f"ARGUS_FALLBACK_FILTER is not a valid filter: {'; '.join(error.messages)}",
                id="argus_filter.W001",
            )
        ]
    return []


DELIVERY_TIMINGS = {
    "NOTIFICATION_LEASE": "ARGUS_NOTIFICATION_LEASE_SECONDS",
    "NOTIFICATION_SWEEP_INTERVAL": "ARGUS_NOTIFICATION_SWEEP_SECONDS",
    "NOTIFICATION_RETRY_DELAY": "ARGUS_NOTIFICATION_RETRY_DELAY_SECONDS",
    "NOTIFICATION_MAX_RETRY_DELAY": "ARGUS_NOTIFICATION_MAX_RETRY_DELAY_SECONDS",
    "WEBHOOK_TIMEOUT": "ARGUS_WEBHOOK_TIMEOUT",
}


@register(Tags.compatibility)
def check_delivery_settings(app_configs=None, **kwargs):
    """Lease, sweep interval and backoff are positive numbers of seconds; the lease outlasts a slow send."""
    problems = []
    values = {}
    for name, env in DELIVERY_TIMINGS.items():
        value = getattr(settings, name)
        if value is None:
            continue
        try:
            values[name] = float(value)
        except (TypeError, ValueError):
            values[name] = -1.0
        if not values[name] > 0:
            problems.append(
                Error(
                    f"{name} must be a positive number of seconds, not {value!r}.",
                    hint=f"Set {env} to a number greater than 0.",
                    id="argus_notificationprofile.E004",
                )
            )
    lease, timeout = values.get("NOTIFICATION_LEASE"), settings.EMAIL_TIMEOUT
    if lease and lease > 0 and isinstance(timeout, (int, float)) and lease < 2 * timeout:
        problems.append(
            Warning(
                f"NOTIFICATION_LEASE ({lease:g} s) is shorter than twice EMAIL_TIMEOUT ({timeout:g} s): "
                "a worker waiting on a slow mail server may lose its lease, and the mails it holds "
                "may be sent twice.",
                hint="Make ARGUS_NOTIFICATION_LEASE_SECONDS at least twice EMAIL_TIMEOUT.",
                id="argus_notificationprofile.W003",
            )
        )
    webhook_timeout = values.get("WEBHOOK_TIMEOUT")
    http_media = {SLACK_MEDIA_SLUG, WEBHOOK_MEDIA_SLUG}.intersection(installed_media())
    if lease and lease > 0 and webhook_timeout and http_media and lease < 2 * webhook_timeout:
        problems.append(
            Warning(
                f"NOTIFICATION_LEASE ({lease:g} s) is shorter than twice WEBHOOK_TIMEOUT "
                f"({webhook_timeout:g} s): a worker waiting on a slow receiver may lose its lease, and "
                "the messages it holds may be sent twice.",
                hint="Make ARGUS_NOTIFICATION_LEASE_SECONDS at least twice ARGUS_WEBHOOK_TIMEOUT.",
                id="argus_notificationprofile.W004",
            )
        )
    return problems
