"""Notification media as plugins: the interface every medium implements, and the installed ones.

A medium is a class named in ``settings.MEDIA_PLUGINS``. It validates the settings of its
destinations, labels them, tells which *address* a destination points at (messages are
de-duplicated by address, across users) and sends a message about an event. Sending is called by
the notification worker once per delivery, i.e. per (event, medium, address), so a plugin may
raise on failure: the worker records the error and retries later without repeating the other
addresses of the same event.

Plugins are keyed by their ``MEDIA_SLUG``. A misconfigured entry is reported at startup by the
system check in :mod:`argus.notificationprofile.checks`; :func:`installed_media` skips it (and
logs it), so a broken plugin never takes the other media down.

How an attempt ended is told by what ``send`` does: returning ``True`` means the medium accepted
the message; raising :class:`RetryLater` means "try again, not before N seconds" (a receiver that
is down or asks to slow down); raising :class:`PermanentFailure` means "failed for good, do not
retry" (a receiver that refuses the message); any other exception is retried after the engine's
backoff (SMTP errors, ...), and returning ``False`` means there was nothing to send.

Plugin authors import the interface from its public path, ``argus.notificationprofile.media.base``
(see that module for a minimal example); it lives here so that the notification engine, which
needs the installed plugins, does not depend on the ``media`` package and its module-level
helpers, which in turn use the engine.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.signals import setting_changed
from django.db.models import QuerySet
from django.dispatch import receiver
from django.utils.module_loading import import_string

from argus.notificationprofile.models import DestinationConfig, Media

if TYPE_CHECKING:
    from argus.incident.models import Event

logger = logging.getLogger(__name__)


# --- how an attempt ended (raised by ``send``) ------------------------------------------------------


class RetryLater(Exception):
    """This attempt failed; try again after the engine's backoff, and not before ``retry_after``.

    ``retry_after`` (seconds, e.g. from an HTTP ``Retry-After``) is a minimum: the delay is the
    longer of it and the backoff, capped by ``NOTIFICATION_MAX_RETRY_DELAY``. ``str(error)`` is
    recorded on the delivery and logged, so it must not hold secrets (a webhook's full URL).
    """

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentFailure(Exception):
    """The receiver refused the message for good (an HTTP 404, say): no other attempt is made.

    ``str(error)`` is recorded on the delivery and logged, so it must not hold secrets.
    """


@dataclass(frozen=True)
class TestMessageResult:
    """What became of a test message (see :meth:`NotificationMedium.send_test`)."""

    __test__ = False  # not a test case, whatever pytest thinks of the name

    delivered: bool
    #: A short account for the person testing: ``"HTTP 200"``, ``"HTTP 500"``, ``"timeout"``.
    detail: str


TEST_MESSAGE_TITLE = "Argus test message"


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
    #: True when ``send`` accepts ``attempt=``: which attempt at this message this is (1, 2, ...).
    ACCEPTS_ATTEMPT: bool = False
    #: True when the medium implements :meth:`send_test` (the destination test endpoint).
    CAN_SEND_TEST: bool = False

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

    @classmethod
    def user_has_duplicate(cls, user, settings: dict, serializer=None) -> bool:
        """Whether ``user`` has another destination of this medium with the same address
        (:meth:`has_duplicate`); the destination ``serializer`` is editing, if any, does not count.
        No user: nothing to compare with."""
        if user is None:
            return False
        others = DestinationConfig.objects.filter(user=user)
        current = getattr(serializer, "instance", None)
        if isinstance(current, DestinationConfig) and current.pk:
            others = others.exclude(pk=current.pk)
        return cls.has_duplicate(others, settings)

    @staticmethod
    @abstractmethod
    def get_label(destination: DestinationConfig) -> str:
        """A human label, ``"<media name>: <address>"`` for the built-in media."""

    @classmethod
    def get_address(cls, destination: DestinationConfig) -> str:
        """What messages are de-duplicated by. Default: the whole settings object.

        The address is stored on each delivery, shown in the delivery log and written to the
        worker's log: a medium whose settings hold secrets returns a form without them.
        """
        return json.dumps(destination.settings, sort_keys=True)

    @classmethod
    def public_settings(cls, destination: DestinationConfig) -> dict:
        """The settings as responses, pages and the admin show them: write-only values masked."""
        return destination.shown_settings

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
        passes ``connection=``, ``message_id=`` and ``attempt=`` only to media that say they accept
        them (:attr:`ACCEPTS_MAIL_CONNECTION`, :attr:`ACCEPTS_MESSAGE_ID`, :attr:`ACCEPTS_ATTEMPT`).
        Raise :class:`RetryLater` or :class:`PermanentFailure` to say how the attempt ended.
        """

    @classmethod
    def send_test(cls, destination: DestinationConfig) -> TestMessageResult:
        """Send one synthetic message (title :data:`TEST_MESSAGE_TITLE`) to ``destination`` now.

        One attempt, no retry, and no exception for a failed delivery: the result says what
        happened. Only called when :attr:`CAN_SEND_TEST` is true.
        """
        raise NotImplementedError(f"{cls.__name__} cannot send test messages")

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
    """A medium whose destinations hold one address under ``ADDRESS_KEY`` (email, SMS, Slack, webhook)."""

    ADDRESS_KEY: str = ""

    @classmethod
    def has_duplicate(cls, queryset: QuerySet, settings: dict) -> bool:
        lookup = {"media_id": cls.MEDIA_SLUG, f"settings__{cls.ADDRESS_KEY}": settings.get(cls.ADDRESS_KEY)}
        return queryset.filter(**lookup).exists()

    @classmethod
    def get_address(cls, destination: DestinationConfig) -> str:
        return destination.settings.get(cls.ADDRESS_KEY) or ""


# --- the installed plugins -------------------------------------------------------------------------


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
    for path in settings.MEDIA_PLUGINS or []:
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
    """Insert a Media row for every plugin and flag rows without a plugin (after ``migrate``)."""
    plugins = installed_media()
    existing = set(Media.objects.values_list("slug", flat=True))
    for slug, plugin in plugins.items():
        if slug not in existing:
            Media.objects.create(slug=slug, name=plugin.MEDIA_NAME, installed=True)
    Media.objects.filter(slug__in=list(plugins)).exclude(installed=True).update(installed=True)
    Media.objects.exclude(slug__in=list(plugins)).update(installed=False)


def medium_json_schema(request, medium: type[NotificationMedium]) -> dict:
    """The medium's settings schema with its ``$id``: the absolute URL of ``/json-schema/<slug>``.

    A copy: the plugin's class-level schema is never mutated, so ``/json-schema/<slug>``
    shows the ``$id`` from the first request on.
    """
    return {
        **medium.MEDIA_JSON_SCHEMA,
        "$id": request.build_absolute_uri(f"/json-schema/{medium.MEDIA_SLUG}"),
    }
