"""The module-level notification API of Argus 1.37, kept for code written against it.

``send_notifications_to_users``, ``find_destinations_for_event``, ``send_notification``,
``background_send_notification``, ``get_notification_media`` and ``api_safely_get_medium_object``
are importable from here as in 1.37. They sit on top of the notification engine: matching
(:mod:`argus.notificationprofile.matching`), the delivery queue
(:mod:`argus.notificationprofile.dispatch`) and the plugins
(:mod:`argus.notificationprofile.plugins`), which the engine itself uses; the built-in media are
the modules of this package (``email``, ``sms_as_email``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from rest_framework import serializers

from argus.notificationprofile.dispatch import enqueue_after_commit
from argus.notificationprofile.matching import destinations_for_event
from argus.notificationprofile.plugins import (
    MediumNotInstalled,
    NotificationMedium,
    get_medium,
    get_notification_media,
    installed_media,
    load_plugin,
    sync_media_table,
)

logger = logging.getLogger(__name__)

__all__ = [
    "MediumNotInstalled",
    "NotificationMedium",
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


def api_safely_get_medium_object(slug: str) -> type[NotificationMedium]:
    """As :func:`get_medium`, but raises the DRF error 1.37 answers with (400, bare list)."""
    try:
        return get_medium(slug)
    except MediumNotInstalled as error:
        raise serializers.ValidationError(str(error)) from None


def find_destinations_for_event(event) -> list:
    """Destinations of every active profile that fires for ``event`` (each destination once)."""
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
    enqueue_after_commit([event.pk for event in events])


def send_notifications_to_users(*events, send=None) -> None:
    """For each event, send to the destinations of the firing profiles; ``send`` defaults to the queue."""
    if not settings.SEND_NOTIFICATIONS:
        return
    for event in events:
        destinations = find_destinations_for_event(event)
        if not destinations:
            continue
        if send is None:
            background_send_notification(destinations, event)
        else:
            send(destinations, event)
