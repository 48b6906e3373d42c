"""Slack medium: one message per event to a Slack incoming webhook (or an Apprise Slack URL).

Settings ``{"destination_url": "https://hooks.slack.com/…"}``. Such a URL gets one HTTPS POST of
``{"text": …}`` per message, through :mod:`argus.notificationprofile.media.http` (the webhook's
rules: timeouts, no redirects, retried on 408/425/429/5xx and connection trouble, failed for good
on other answers). ``slack://…`` URLs (Apprise's form, e.g. a bot token and a channel) are sent
through the optional ``apprise`` package: without it they are refused when a destination is saved,
and the server starts all the same.

The text is the mail subject, then ``Status``, ``Actor`` and the incident fields a person acts on
(:func:`argus.notificationprofile.rendering.chat_text`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from rest_framework import serializers

from argus.incident.models import Event
from argus.notificationprofile.choices import SLACK_MEDIA_NAME, SLACK_MEDIA_SLUG
from argus.notificationprofile.media.base import AddressMedium, PermanentFailure, RetryLater
from argus.notificationprofile.media.http import fingerprint, json_body, post, redacted_url
from argus.notificationprofile.models import DestinationConfig
from argus.notificationprofile.plugins import TEST_MESSAGE_TITLE, TestMessageResult
from argus.notificationprofile.rendering import chat_text

try:
    import apprise
except ImportError:  # optional: pip install "argus-server-ng[slack]"
    apprise = None

logger = logging.getLogger(__name__)

DESTINATION_URL = "destination_url"
INCOMING_WEBHOOK_PREFIX = "https://hooks.slack.com/"
APPRISE_PREFIX = "slack://"
MAX_URL_LENGTH = 2000

SETTINGS_NOT_A_DICT = "Settings has to be a dictionary."
REQUIRED = "This field is required."
NOT_A_STRING = "Not a valid string."
INVALID_URL = (
    "Not a valid Slack destination URL. Use a Slack incoming webhook (https://hooks.slack.com/...) "
    "or an Apprise Slack URL (slack://...)."
)
APPRISE_MISSING = "Apprise Slack URLs need the apprise package, which is not installed."
ALREADY_EXISTS = "Webhook already exists"
TEST_TEXT = f"{TEST_MESSAGE_TITLE}\nIf you can read this, Argus can post notifications here."


def apprise_installed() -> bool:
    return apprise is not None


def url_errors(value) -> list[str]:
    """What is wrong with ``value`` as a Slack destination URL (nothing: ``[]``)."""
    if not isinstance(value, str):
        return [NOT_A_STRING]
    if len(value) > MAX_URL_LENGTH:
        return [f"Ensure this field has no more than {MAX_URL_LENGTH} characters."]
    if value.startswith(INCOMING_WEBHOOK_PREFIX) and len(value) > len(INCOMING_WEBHOOK_PREFIX):
        try:
            URLValidator(schemes=["https"])(value)
        except DjangoValidationError:
            return [INVALID_URL]
        return []
    if value.startswith(APPRISE_PREFIX):
        if not apprise_installed():
            return [APPRISE_MISSING]
        return [] if _apprise_accepts(value) else [INVALID_URL]
    return [INVALID_URL]


def _apprise_accepts(url: str) -> bool:
    try:
        return apprise.Apprise.instantiate(url) is not None
    except Exception:  # Apprise refuses some malformed URLs by raising
        return False


def slack_escape(text: str) -> str:
    """Slack reads ``&``, ``<`` and ``>`` as markup (``<!channel>`` pings everyone): escape them."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackNotification(AddressMedium):
    ADDRESS_KEY = DESTINATION_URL
    MEDIA_SLUG = SLACK_MEDIA_SLUG
    MEDIA_NAME = SLACK_MEDIA_NAME
    CAN_SEND_TEST = True
    MEDIA_JSON_SCHEMA = {
        "title": "Slack Settings",
        "description": "Settings for a DestinationConfig using Slack.",
        "type": "object",
        "required": [DESTINATION_URL],
        "properties": {DESTINATION_URL: {"type": "string", "title": "Slack Webhook"}},
    }

    # --- destination settings ----------------------------------------------------------------------

    @classmethod
    def validate(cls, instance, dict: dict, user) -> dict:
        settings_in = dict.get("settings")
        if not isinstance(settings_in, Mapping):
            raise serializers.ValidationError({"non_field_errors": [SETTINGS_NOT_A_DICT]})
        url = settings_in.get(DESTINATION_URL)
        if url in (None, ""):
            raise serializers.ValidationError({DESTINATION_URL: [REQUIRED]})
        if problems := url_errors(url):
            raise serializers.ValidationError({DESTINATION_URL: problems})
        if cls.user_has_duplicate(user, {DESTINATION_URL: url}, instance):
            raise serializers.ValidationError({DESTINATION_URL: [ALREADY_EXISTS]})
        return {DESTINATION_URL: url}

    @staticmethod
    def get_label(destination: DestinationConfig) -> str:
        return f"{SLACK_MEDIA_NAME}: {destination.settings.get(DESTINATION_URL)}"

    @classmethod
    def get_address(cls, destination: DestinationConfig) -> str:
        url = destination.settings.get(DESTINATION_URL) or ""
        return f"{redacted_url(url)} #{fingerprint(url)}"

    # --- sending -----------------------------------------------------------------------------------

    @classmethod
    def send(cls, event: Event, destinations: Iterable[DestinationConfig], **kwargs: Any) -> bool:
        grouped = cls.group_by_address(destinations)
        if not grouped:
            return False
        text = chat_text(event)
        for group in grouped.values():
            url = group[0].settings.get(DESTINATION_URL) or ""
            if url.startswith(APPRISE_PREFIX):
                title, _newline, body = text.partition("\n")
                if not cls._notify_with_apprise(url, title, body):
                    raise RetryLater("Apprise could not deliver the message")
            elif url_errors(url):
                raise PermanentFailure(f"The URL is not accepted any more: {redacted_url(url)}")
            else:
                post(url, json_body({"text": slack_escape(text)})).raise_unless_delivered()
        return True

    @classmethod
    def send_test(cls, destination: DestinationConfig) -> TestMessageResult:
        url = destination.settings.get(DESTINATION_URL) or ""
        try:
            if url.startswith(APPRISE_PREFIX):
                title, _newline, body = TEST_TEXT.partition("\n")
                delivered = cls._notify_with_apprise(url, title, body)
                return TestMessageResult(delivered, "sent" if delivered else "Apprise could not deliver it")
            if url_errors(url):
                return TestMessageResult(False, "The URL is not accepted any more.")
            return post(url, json_body({"text": slack_escape(TEST_TEXT)})).as_test_result()
        except PermanentFailure as error:
            return TestMessageResult(False, str(error))

    @staticmethod
    def _notify_with_apprise(url: str, title: str, body: str) -> bool:
        if not apprise_installed():
            raise PermanentFailure(APPRISE_MISSING)
        notifier = apprise.Apprise()
        if not notifier.add(url):
            raise PermanentFailure("Apprise does not accept this Slack URL.")
        return bool(notifier.notify(body=body, title=title))
