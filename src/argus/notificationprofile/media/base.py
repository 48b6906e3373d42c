"""The media plugin interface (notifications.md §13).

A medium is a class named in ``settings.MEDIA_PLUGINS``. It validates the settings of its
destinations, labels them, tells which *address* a destination points at (messages are
de-duplicated by address, across users) and sends a message about an event. Sending is called by
the notification worker once per delivery, i.e. per (event, medium, address), so a plugin may
raise on failure: the worker records the error and retries later without repeating the other
addresses of the same event.

A minimal webhook medium::

    class WebhookNotification(NotificationMedium):
        MEDIA_SLUG = "webhook"
        MEDIA_NAME = "Webhook"
        MEDIA_JSON_SCHEMA = {"title": "Webhook Settings", "type": "object", "required": ["url"],
                             "properties": {"url": {"type": "string", "title": "URL"}}}

        @classmethod
        def validate(cls, instance, dict, user):
            url = (dict.get("settings") or {}).get("url")
            if not url:
                raise serializers.ValidationError({"url": ["This field is required."]})
            return {"url": url}

        @classmethod
        def get_address(cls, destination):
            return destination.settings["url"]

        ACCEPTS_MESSAGE_ID = True

        @classmethod
        def send(cls, event, destinations, **kwargs):
            headers = {"X-Argus-Delivery": kwargs.get("message_id", "")}
            for url in cls.get_relevant_addresses(destinations):
                httpx.post(url, json={"event": event.pk, "type": event.type}, headers=headers,
                           timeout=10).raise_for_status()
            return True
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

if TYPE_CHECKING:
    from argus.incident.models import Event
    from argus.notificationprofile.models import DestinationConfig


class NotificationMedium(ABC):
    MEDIA_SLUG: str = ""
    MEDIA_NAME: str = ""
    MEDIA_JSON_SCHEMA: dict = {}
    #: True when ``send`` accepts ``connection=``: an open Django mail connection shared by the
    #: messages of a batch (see ``argus.notificationprofile.tasks``); without it, ``send`` opens its own.
    ACCEPTS_MAIL_CONNECTION: bool = False
    #: True when ``send`` accepts ``message_id=``: the id of the delivery record (a UUID string),
    #: the same on every attempt at this message. Put it where receivers can drop duplicates (the
    #: email ``Message-ID``, a webhook's delivery id): a worker that dies after the medium
    #: accepted a message but before that was recorded sends it once more.
    ACCEPTS_MESSAGE_ID: bool = False

    class NotDeletableError(Exception):
        """The destination cannot be deleted; ``str(error)`` is the user-facing reason."""

    # --- destination settings ------------------------------------------------------------------

    @classmethod
    @abstractmethod
    def validate(cls, instance, dict: dict, user) -> dict:
        """Clean ``dict["settings"]`` for a destination of this medium or raise DRF ``ValidationError``.

        ``instance`` is the request serializer (``instance.instance`` is the destination being
        updated, if any).
        """

    @classmethod
    @abstractmethod
    def has_duplicate(cls, queryset: QuerySet, settings: dict) -> bool:
        """Whether ``queryset`` holds a destination of this medium with the same address."""

    @staticmethod
    @abstractmethod
    def get_label(destination: DestinationConfig) -> str:
        """A human label, ``"<media name>: <address>"`` for the built-in media."""

    @classmethod
    def get_address(cls, destination: DestinationConfig) -> str:
        """What messages are de-duplicated by. Default: the whole settings object."""
        return json.dumps(destination.settings, sort_keys=True)

    @classmethod
    def get_relevant_destinations(cls, destinations: Iterable[DestinationConfig]) -> list[DestinationConfig]:
        return [destination for destination in destinations if destination.media_id == cls.MEDIA_SLUG]

    @classmethod
    def get_relevant_addresses(cls, destinations: Iterable[DestinationConfig]) -> set:
        return {cls.get_address(destination) for destination in cls.get_relevant_destinations(destinations)}

    @classmethod
    def group_by_address(
        cls, destinations: Iterable[DestinationConfig]
    ) -> dict[str, list[DestinationConfig]]:
        """This medium's destinations grouped by address, addresses in first-seen order."""
        grouped: dict[str, list[DestinationConfig]] = {}
        for destination in cls.get_relevant_destinations(destinations):
            grouped.setdefault(cls.get_address(destination), []).append(destination)
        return grouped

    # --- sending ----------------------------------------------------------------------------------

    @classmethod
    @abstractmethod
    def send(cls, event: Event, destinations: Iterable[DestinationConfig], **kwargs: Any) -> bool:
        """Send one message per relevant address about ``event``; False if nothing was sent.

        Raise on delivery failure (e.g. SMTP errors): the caller records it and retries. The worker
        passes ``connection=`` and ``message_id=`` only to media that say they accept them
        (:attr:`ACCEPTS_MAIL_CONNECTION`, :attr:`ACCEPTS_MESSAGE_ID`).
        """

    # --- deletion and update ----------------------------------------------------------------------

    @classmethod
    def raise_if_not_deletable(cls, destination: DestinationConfig) -> None:
        profiles = list(destination.notification_profiles.all())
        if profiles:
            names = ", ".join(str(profile) for profile in profiles)
            raise cls.NotDeletableError(
                f"Cannot delete this destination since it is in use in the notification profile(s): {names}."
            )

    @staticmethod
    def update(destination: DestinationConfig, validated_data: dict) -> DestinationConfig | None:
        """Medium-specific update; None means "use the normal update"."""
        return None


class AddressMedium(NotificationMedium):
    """A medium whose destinations hold one address under ``ADDRESS_KEY`` (email, SMS)."""

    ADDRESS_KEY: str = ""

    @classmethod
    def has_duplicate(cls, queryset: QuerySet, settings: dict) -> bool:
        lookup = {"media_id": cls.MEDIA_SLUG, f"settings__{cls.ADDRESS_KEY}": settings.get(cls.ADDRESS_KEY)}
        return queryset.filter(**lookup).exists()

    @classmethod
    def get_address(cls, destination: DestinationConfig) -> str:
        return destination.settings.get(cls.ADDRESS_KEY) or ""
