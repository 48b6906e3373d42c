"""Email medium (notifications.md §12.6): one mail per distinct address, text + HTML."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from rest_framework import serializers

from argus.incident.models import Event
from argus.notificationprofile.media.base import AddressMedium
from argus.notificationprofile.media.rendering import (
    html_fields,
    notification_subject,
    notification_text,
)
from argus.notificationprofile.models import DestinationConfig

logger = logging.getLogger(__name__)

EMAIL_ADDRESS = "email_address"
SYNCED = "synced"


def rendered_email(event: Event) -> tuple[str, str, str]:
    """Subject, text and HTML of the mail about ``event``, rendered once per event object."""
    cached = getattr(event, "_argus_email_parts", None)
    if cached is None:
        html = render_to_string(
            "notificationprofile/email/notification.html",
            {"title": notification_subject(event, prefix=""), "event": event, "fields": html_fields(event)},
        )
        cached = (notification_subject(event), notification_text(event), html)
        event._argus_email_parts = cached
    return cached


class EmailDestinationForm(forms.Form):
    email_address = forms.EmailField()


def _form_errors(form: forms.Form) -> dict:
    return {field: [str(message) for message in messages] for field, messages in form.errors.items()}


class EmailNotification(AddressMedium):
    ADDRESS_KEY = EMAIL_ADDRESS
    MEDIA_SLUG = "email"
    ACCEPTS_MAIL_CONNECTION = True
    MEDIA_NAME = "Email"
    MEDIA_JSON_SCHEMA = {
        "title": "Email Settings",
        "description": "Settings for a DestinationConfig using email.",
        "type": "object",
        "required": ["email_address"],
        "properties": {"email_address": {"type": "string", "title": "Email address"}},
    }

    @classmethod
    def validate(cls, instance, dict: dict, user) -> dict:
        settings_in = dict.get("settings")
        if not isinstance(settings_in, Mapping):
            raise serializers.ValidationError({"non_field_errors": ["Settings has to be a dictionary."]})
        form = EmailDestinationForm(settings_in)
        if not form.is_valid():
            raise serializers.ValidationError(_form_errors(form))
        address = form.cleaned_data[EMAIL_ADDRESS]
        if user is not None and getattr(user, "email", None) and address == user.email:
            raise serializers.ValidationError(
                {"non_field_errors": ["This email address is already registered in another destination."]}
            )
        existing = DestinationConfig.objects.filter(
            user=user, media_id=cls.MEDIA_SLUG, settings__email_address=address
        )
        current = getattr(instance, "instance", None)
        if isinstance(current, DestinationConfig) and current.pk:
            existing = existing.exclude(pk=current.pk)
        if user is not None and existing.exists():
            raise serializers.ValidationError({EMAIL_ADDRESS: ["Email address already exists"]})
        return {EMAIL_ADDRESS: address, SYNCED: False}

    @staticmethod
    def get_label(destination: DestinationConfig) -> str:
        return f"{EmailNotification.MEDIA_NAME}: {destination.settings.get(EMAIL_ADDRESS)}"

    @classmethod
    def raise_if_not_deletable(cls, destination: DestinationConfig) -> None:
        super().raise_if_not_deletable(destination)
        if destination.settings.get(SYNCED):
            raise cls.NotDeletableError(
                "Cannot delete this email destination since it was defined by an outside source."
            )

    @staticmethod
    def update(destination: DestinationConfig, validated_data: dict) -> DestinationConfig | None:
        """Patching the synced destination keeps the synced address alive in a new row (§7)."""
        new_settings = validated_data.get("settings")
        if not destination.settings.get(SYNCED) or new_settings is None:
            return None
        old_settings = dict(destination.settings)
        with transaction.atomic():
            destination.settings = {**new_settings, SYNCED: False}
            if "label" in validated_data:
                destination.label = validated_data["label"]
            destination.save()
            DestinationConfig.objects.create(
                user=destination.user, media=destination.media, label=None, settings=old_settings
            )
        return destination

    @classmethod
    def send(cls, event: Event, destinations: Iterable[DestinationConfig], **kwargs: Any) -> bool:
        addresses = sorted(cls.get_relevant_addresses(destinations) - {""})
        if not addresses:
            return False
        subject, text, html = rendered_email(event)
        connection = kwargs.get("connection") or get_connection(fail_silently=False)
        messages = []
        for address in addresses:
            message = EmailMultiAlternatives(
                subject=subject,
                body=text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[address],
                connection=connection,
            )
            message.attach_alternative(html, "text/html")
            messages.append(message)
        connection.send_messages(messages)
        return True
