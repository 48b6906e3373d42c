"""Installed notification media: the plugin classes named in ``settings.MEDIA_PLUGINS``.

Plugins are keyed by their ``MEDIA_SLUG``. A misconfigured entry is reported at startup by the
system check in :mod:`argus.notificationprofile.checks`; here it is skipped (and logged), so a broken
plugin never takes the other media down.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from argus.notificationprofile.media.base import NotificationMedium

logger = logging.getLogger(__name__)

__all__ = [
    "NotificationMedium",
    "MediumNotInstalled",
    "api_safely_get_medium_object",
    "background_send_notification",
    "find_destinations_for_event",
    "get_medium",
    "get_notification_media",
    "installed_media",
    "load_plugin",
    "send_notification",
    "send_notifications_to_users",
    "sync_media_table",
]


class MediumNotInstalled(LookupError):
    def __init__(self, slug: str):
        super().__init__(f'Medium "{slug}" is not installed.')
        self.slug = slug


def load_plugin(path: str) -> type[NotificationMedium]:
    """Import one ``MEDIA_PLUGINS`` entry; raises ImportError/TypeError when it is not a medium."""
    plugin = import_string(path)
    if not (isinstance(plugin, type) and issubclass(plugin, NotificationMedium)):
        raise TypeError(f"{path} is not a subclass of {NotificationMedium.__module__}.NotificationMedium")
    if not plugin.MEDIA_SLUG:
        raise TypeError(f"{path} has no MEDIA_SLUG")
    return plugin


@cache
def installed_media() -> dict[str, type[NotificationMedium]]:
    """slug → plugin class, in ``MEDIA_PLUGINS`` order; broken entries are logged and skipped."""
    media: dict[str, type[NotificationMedium]] = {}
    for path in getattr(settings, "MEDIA_PLUGINS", None) or []:
        try:
            plugin = load_plugin(path)
        except (ImportError, TypeError) as error:
            logger.error("Notification medium %r cannot be loaded: %s", path, error)
            continue
        media.setdefault(plugin.MEDIA_SLUG, plugin)
    return media


@receiver(setting_changed)
def _reset_media_cache(*, setting, **kwargs):
    if setting == "MEDIA_PLUGINS":
        installed_media.cache_clear()


def get_medium(slug: str) -> type[NotificationMedium]:
    """The plugin class for ``slug``; raises :class:`MediumNotInstalled`."""
    try:
        return installed_media()[slug]
    except KeyError:
        raise MediumNotInstalled(slug)


def api_safely_get_medium_object(slug: str) -> type[NotificationMedium]:
    """As :func:`get_medium`, but raises the DRF error 1.37 answers with (400, bare list)."""
    from rest_framework import serializers

    try:
        return get_medium(slug)
    except MediumNotInstalled as error:
        raise serializers.ValidationError(str(error))


def get_notification_media(destinations: Iterable) -> dict[str, type[NotificationMedium]]:
    """The installed plugins needed for ``destinations`` (media without a plugin are skipped)."""
    media = installed_media()
    return {
        destination.media_id: media[destination.media_id]
        for destination in destinations
        if destination.media_id in media
    }


def sync_media_after_migrate(sender, **kwargs) -> None:
    """``post_migrate`` receiver: the Media table follows ``MEDIA_PLUGINS`` after every ``migrate``."""
    sync_media_table()


def sync_media_table() -> None:
    """Insert a Media row for every plugin and flag rows without a plugin (§1.4, after ``migrate``)."""
    from argus.notificationprofile.models import Media

    plugins = installed_media()
    existing = set(Media.objects.values_list("slug", flat=True))
    for slug, plugin in plugins.items():
        if slug not in existing:
            Media.objects.create(slug=slug, name=plugin.MEDIA_NAME, installed=True)
    Media.objects.filter(slug__in=list(plugins)).exclude(installed=True).update(installed=True)
    Media.objects.exclude(slug__in=list(plugins)).update(installed=False)


# --- the module-level API of 1.37 (§13), on top of the matching module and the task queue -------


def find_destinations_for_event(event) -> list:
    """Destinations of every active profile that fires for ``event`` (each destination once)."""
    from argus.notificationprofile.matching import destinations_for_event

    return destinations_for_event(event)


def send_notification(destinations: Iterable, *events) -> None:
    """Send each event to ``destinations`` right now, medium by medium (no retries)."""
    destinations = list(destinations)
    for event in events:
        for slug, medium in get_notification_media(destinations).items():
            try:
                medium.send(event, destinations)
            except Exception:
                logger.exception("Notification: %s failed for event %s", slug, event.pk)


def background_send_notification(destinations: Iterable, *events) -> None:
    """Record the events for notification (matching happens again in the worker)."""
    from argus.notificationprofile.dispatch import enqueue_after_commit

    enqueue_after_commit([event.pk for event in events])


def send_notifications_to_users(*events, send=None) -> None:
    """For each event, send to the destinations of the firing profiles; ``send`` defaults to the queue."""
    from django.conf import settings as django_settings

    if not getattr(django_settings, "SEND_NOTIFICATIONS", False):
        return
    for event in events:
        destinations = find_destinations_for_event(event)
        if not destinations:
            continue
        if send is None:
            background_send_notification(destinations, event)
        else:
            send(destinations, event)


def medium_json_schema(request, medium: type[NotificationMedium]) -> dict:
    """The medium's settings schema with its ``$id``: the absolute URL of ``/json-schema/<slug>``.

    A copy: the plugin's class-level schema is never mutated (§15.13), so ``/json-schema/<slug>``
    shows the ``$id`` from the first request on.
    """
    return {
        **medium.MEDIA_JSON_SCHEMA,
        "$id": request.build_absolute_uri(f"/json-schema/{medium.MEDIA_SLUG}"),
    }
