"""Webhook medium: one signed JSON POST per event to a URL of the user's choice.

Settings ``{"url": "https://…", "secret": "…"}`` (``secret`` optional, write-only: responses show
``"********"``, and a PATCH sending that mask keeps the stored one). Each message is a POST of
``{"delivery", "attempt", "event", "incident"}`` with the headers receivers rely on:
``X-Argus-Delivery`` (the delivery's id, the same on every attempt: receivers drop repeats),
``X-Argus-Event-Type``, ``X-Argus-Timestamp`` (Unix seconds of this attempt) and, with a secret,
``X-Argus-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``. How an attempt ends
(delivered, retried, failed for good) is :mod:`argus.notificationprofile.media.http`'s rule.

Destinations are de-duplicated by (URL, secret): two users pointing at the same URL with the same
secret get one POST per event. The address recorded on deliveries (and so in the delivery log and
the worker's log) is the redacted URL with a digest of both, never the URL or the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from rest_framework import serializers

from argus.incident.models import Event
from argus.incident.representation import event_to_dict, incident_to_v2
from argus.notificationprofile.choices import WEBHOOK_MEDIA_NAME, WEBHOOK_MEDIA_SLUG, WRITE_ONLY_MASK
from argus.notificationprofile.media.base import AddressMedium, PermanentFailure
from argus.notificationprofile.media.http import (
    fingerprint,
    json_body,
    post,
    redacted_url,
    url_origin,
)
from argus.notificationprofile.models import DestinationConfig
from argus.notificationprofile.plugins import TEST_MESSAGE_TITLE, TestMessageResult

logger = logging.getLogger(__name__)

URL = "url"
SECRET = "secret"
MAX_URL_LENGTH = 2000
MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 1000
TEST_EVENT_TYPE = "TEST"

SETTINGS_NOT_A_DICT = "Settings has to be a dictionary."
REQUIRED = "This field is required."
NOT_A_STRING = "Not a valid string."
INVALID_URL = "Enter a valid URL."
HTTPS_ONLY = "Only https:// URLs are allowed."
HTTP_OR_HTTPS_ONLY = "Only http:// and https:// URLs are allowed."
ALREADY_EXISTS = "Webhook already exists"


def allowed_schemes() -> tuple[str, ...]:
    return ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)


def url_errors(value) -> list[str]:
    """What is wrong with ``value`` as a webhook URL (nothing: ``[]``)."""
    if not isinstance(value, str):
        return [NOT_A_STRING]
    if len(value) > MAX_URL_LENGTH:
        return [f"Ensure this field has no more than {MAX_URL_LENGTH} characters."]
    try:
        URLValidator()(value)
    except DjangoValidationError:
        return [INVALID_URL]
    if value.split(":", 1)[0].lower() not in allowed_schemes():
        return [HTTP_OR_HTTPS_ONLY if settings.WEBHOOK_ALLOW_HTTP else HTTPS_ONLY]
    return []


def secret_errors(value) -> list[str]:
    if not isinstance(value, str):
        return [NOT_A_STRING]
    if len(value) < MIN_SECRET_LENGTH:
        return [f"Ensure this field has at least {MIN_SECRET_LENGTH} characters."]
    if len(value) > MAX_SECRET_LENGTH:
        return [f"Ensure this field has no more than {MAX_SECRET_LENGTH} characters."]
    return []


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 keyed with the secret over ``<timestamp>.<body>``."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def request_headers(*, delivery_id: str, event_type: str, body: bytes, secret: str | None) -> dict[str, str]:
    timestamp = str(int(time.time()))
    headers = {
        "X-Argus-Delivery": delivery_id,
        "X-Argus-Event-Type": event_type,
        "X-Argus-Timestamp": timestamp,
    }
    if secret:
        headers["X-Argus-Signature"] = signature(secret, timestamp, body)
    return headers


def message_body(event: Event, *, delivery_id: str, attempt: int) -> dict:
    """The JSON body about ``event``: the incident as the v2 API shows it when the message is built."""
    return {
        "delivery": delivery_id,
        "attempt": attempt,
        "event": event_to_dict(event),
        "incident": incident_to_v2(event.incident),
    }


class WebhookNotification(AddressMedium):
    ADDRESS_KEY = URL
    MEDIA_SLUG = WEBHOOK_MEDIA_SLUG
    MEDIA_NAME = WEBHOOK_MEDIA_NAME
    ACCEPTS_MESSAGE_ID = True
    ACCEPTS_ATTEMPT = True
    CAN_SEND_TEST = True
    MEDIA_JSON_SCHEMA = {
        "title": "Webhook Settings",
        "description": "Settings for a DestinationConfig using a webhook.",
        "type": "object",
        "required": [URL],
        "properties": {
            URL: {
                "type": "string",
                "title": "URL",
                "description": "An https:// address that accepts a POST of JSON.",
            },
            SECRET: {
                "type": "string",
                "title": "Secret",
                "description": "Optional, at least 16 characters: signs every request "
                "(X-Argus-Signature). Never shown again.",
                "writeOnly": True,
            },
        },
    }

    # --- destination settings ----------------------------------------------------------------------

    @classmethod
    def validate(cls, instance, dict: dict, user) -> dict:
        settings_in = dict.get("settings")
        if not isinstance(settings_in, Mapping):
            raise serializers.ValidationError({"non_field_errors": [SETTINGS_NOT_A_DICT]})
        current = getattr(instance, "instance", None)
        if not isinstance(current, DestinationConfig) or not current.pk:
            current = None
        errors = {}
        url = settings_in.get(URL)
        if url in (None, ""):
            errors[URL] = [REQUIRED]
        elif problems := url_errors(url):
            errors[URL] = problems
        secret = settings_in.get(SECRET)
        if secret == WRITE_ONLY_MASK and current is not None and current.settings.get(SECRET):
            secret = current.settings[SECRET]  # "********" sent back: keep the stored secret
        elif secret not in (None, "") and (problems := secret_errors(secret)):
            errors[SECRET] = problems
        if errors:
            raise serializers.ValidationError(errors)
        if cls.user_has_duplicate(user, {URL: url}, instance):
            raise serializers.ValidationError({URL: [ALREADY_EXISTS]})
        return {URL: url, SECRET: secret} if secret else {URL: url}

    @staticmethod
    def get_label(destination: DestinationConfig) -> str:
        origin = url_origin(destination.settings.get(URL) or "")
        return f"{WEBHOOK_MEDIA_NAME}: {origin}/…"

    @classmethod
    def get_address(cls, destination: DestinationConfig) -> str:
        url = destination.settings.get(URL) or ""
        secret = destination.settings.get(SECRET) or ""
        return f"{redacted_url(url)} #{fingerprint(url, secret)}"

    # --- sending -----------------------------------------------------------------------------------

    @classmethod
    def send(cls, event: Event, destinations: Iterable[DestinationConfig], **kwargs: Any) -> bool:
        """POST the event to each distinct (URL, secret); with the worker, that is one.

        Raises what :meth:`HttpOutcome.raise_unless_delivered` raises for the first failure.
        """
        grouped = cls.group_by_address(destinations)
        if not grouped:
            return False
        # One delivery id names one message: with several addresses (a direct call, not the
        # worker's one delivery per address) each gets its own.
        given_id = kwargs.get("message_id") if len(grouped) == 1 else None
        attempt = int(kwargs.get("attempt") or 1)
        for group in grouped.values():
            url, secret = cls._target(group[0])
            delivery_id = given_id or str(uuid.uuid4())
            body = json_body(message_body(event, delivery_id=delivery_id, attempt=attempt))
            headers = request_headers(
                delivery_id=delivery_id, event_type=event.type, body=body, secret=secret
            )
            post(url, body, headers).raise_unless_delivered()
        return True

    @classmethod
    def send_test(cls, destination: DestinationConfig) -> TestMessageResult:
        try:
            url, secret = cls._target(destination)
        except PermanentFailure as error:
            return TestMessageResult(delivered=False, detail=str(error))
        delivery_id = str(uuid.uuid4())
        body = json_body(
            {
                "delivery": delivery_id,
                "attempt": 1,
                "test": True,
                "title": TEST_MESSAGE_TITLE,
                "event": None,
                "incident": None,
            }
        )
        headers = request_headers(
            delivery_id=delivery_id, event_type=TEST_EVENT_TYPE, body=body, secret=secret
        )
        return post(url, body, headers).as_test_result()

    @classmethod
    def _target(cls, destination: DestinationConfig) -> tuple[str, str | None]:
        """URL and secret; a URL this server no longer accepts (http:// turned off) fails for good."""
        url = destination.settings.get(URL) or ""
        if url_errors(url):
            raise PermanentFailure(f"The URL is not accepted any more: {redacted_url(url)}")
        return url, destination.settings.get(SECRET) or None
