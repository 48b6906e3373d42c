"""SMS as email: a plain mail per phone number to ``SMS_GATEWAY_ADDRESS``."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from rest_framework import serializers

from argus.incident.models import Event
from argus.notificationprofile.choices import SMS_MEDIA_NAME, SMS_MEDIA_SLUG
from argus.notificationprofile.media.base import TEST_MESSAGE_TITLE, AddressMedium, TestMessageResult
from argus.notificationprofile.media.email import mail_test_result, message_id_header
from argus.notificationprofile.models import DestinationConfig
from argus.util.phonenumbers import normalize_phone_number

logger = logging.getLogger(__name__)

PHONE_NUMBER = "phone_number"


class SMSNotification(AddressMedium):
    ADDRESS_KEY = PHONE_NUMBER
    MEDIA_SLUG = SMS_MEDIA_SLUG
    ACCEPTS_MAIL_CONNECTION = True
    ACCEPTS_MESSAGE_ID = True
    CAN_SEND_TEST = True
    MEDIA_NAME = SMS_MEDIA_NAME
    MEDIA_JSON_SCHEMA = {
        "title": "SMS Settings",
        "description": "Settings for a DestinationConfig using SMS.",
        "type": "object",
        "required": ["phone_number"],
        "properties": {
            "phone_number": {
                "type": "string",
                "title": "Phone number",
                "description": "The phone number is validated and the country code needs to be given.",
            }
        },
    }

    @classmethod
    def validate(cls, instance, dict: dict, user) -> dict:
        settings_in = dict.get("settings")
        if not isinstance(settings_in, Mapping):
            raise serializers.ValidationError({"non_field_errors": ["Settings has to be a dictionary."]})
        raw = settings_in.get(PHONE_NUMBER)
        if raw in (None, ""):
            raise serializers.ValidationError({PHONE_NUMBER: ["This field is required."]})
        try:
            number = normalize_phone_number(raw)
        except ValidationError as error:
            raise serializers.ValidationError({PHONE_NUMBER: list(error.messages)})
        if cls.user_has_duplicate(user, {PHONE_NUMBER: number}, instance):
            raise serializers.ValidationError({PHONE_NUMBER: ["Phone number already exists"]})
        return {PHONE_NUMBER: number}

    @staticmethod
    def get_label(destination: DestinationConfig) -> str:
        return f"{SMSNotification.MEDIA_NAME}: {destination.settings.get(PHONE_NUMBER)}"

    @classmethod
    def send(cls, event: Event, destinations: Iterable[DestinationConfig], **kwargs: Any) -> bool:
        gateway = settings.SMS_GATEWAY_ADDRESS
        if not gateway:
            logger.error(
                "SMS_GATEWAY_ADDRESS is not set, cannot dispatch SMS notifications using this plugin"
            )
            return False
        numbers = sorted(cls.get_relevant_addresses(destinations) - {""})
        if not numbers:
            return False
        connection = kwargs.get("connection") or get_connection(fail_silently=False)
        message_id = kwargs.get("message_id") if len(numbers) == 1 else None
        headers = {"Message-ID": message_id_header(message_id)} if message_id else None
        for number in numbers:
            # Stops at the first failure (the exception propagates to the caller, which retries).
            EmailMessage(
                subject=f"sms {number}",
                body=event.description or "",
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[gateway],
                connection=connection,
                headers=headers,
            ).send()
        return True

    @classmethod
    def send_test(cls, destination: DestinationConfig) -> TestMessageResult:
        gateway = settings.SMS_GATEWAY_ADDRESS
        if not gateway:
            return TestMessageResult(False, "SMS_GATEWAY_ADDRESS is not set on this server.")
        message = EmailMessage(
            subject=f"sms {destination.settings.get(PHONE_NUMBER)}",
            body=TEST_MESSAGE_TITLE,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[gateway],
        )
        return mail_test_result(message.send)
