"""State changes for users' tokens and v1 phone numbers (auth.md §4).

Every view, command and admin action that replaces a DRF token or writes a phone number goes
through these functions, so the rules (one DRF token per user, phone numbers are unique SMS
destinations per user) live in one place.
"""

from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token

from argus.notificationprofile.models import DestinationConfig, Media
from argus.util.phonenumbers import normalize_phone_number

SMS_MEDIA_SLUG = "sms"
SMS_MEDIA_NAME = "SMS"


class PhoneNumberExists(Exception):
    """The user already has an SMS destination with this number."""


def token_changed(*, user) -> None:
    """A user's DRF token was created, replaced or deleted (auth.md §7).

    For a source system this ends its open token-expiry incident: the warning was about the old
    token. End users have no such incidents.
    """
    from argus.incident.models import SourceSystem
    from argus.incident.token_expiry import end_token_expiry_incidents

    source_id = SourceSystem.objects.filter(user=user).values_list("pk", flat=True).first()
    if source_id is not None:
        end_token_expiry_incidents(source_id=source_id)


@transaction.atomic
def token_replace(*, user) -> Token:
    """Delete the user's DRF token (if any) and issue a new one: the 14-day clock restarts."""
    Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    token_changed(user=user)
    return token


@transaction.atomic
def token_get_or_create(*, user) -> Token:
    token, created = Token.objects.get_or_create(user=user)
    if created:
        token_changed(user=user)
    return token


@transaction.atomic
def token_delete(*, user) -> None:
    deleted, _ = Token.objects.filter(user=user).delete()
    if deleted:
        token_changed(user=user)


def sms_media() -> Media:
    media, _ = Media.objects.get_or_create(slug=SMS_MEDIA_SLUG, defaults={"name": SMS_MEDIA_NAME})
    return media


def phone_numbers_of(user):
    """The user's SMS destinations, the rows behind v1 phone numbers, in pk order."""
    return DestinationConfig.objects.filter(user=user, media_id=SMS_MEDIA_SLUG).order_by("pk")


def phone_number_exists(*, user, phone_number: str) -> bool:
    return phone_numbers_of(user).filter(settings__phone_number=phone_number).exists()


def _save_phone_number(destination: DestinationConfig, phone_number: str) -> DestinationConfig:
    phone_number = normalize_phone_number(phone_number)
    if phone_number_exists(user=destination.user, phone_number=phone_number):
        raise PhoneNumberExists(phone_number)
    destination.settings = {"phone_number": phone_number}
    try:
        with transaction.atomic():
            destination.save()
    except IntegrityError:
        # A concurrent request stored the same number between the check and the save.
        raise PhoneNumberExists(phone_number)
    return destination


def phone_number_create(*, user, phone_number: str) -> DestinationConfig:
    """Create an SMS destination for ``user``; raises ValidationError or PhoneNumberExists."""
    return _save_phone_number(DestinationConfig(user=user, media=sms_media()), phone_number)


def phone_number_update(*, destination: DestinationConfig, phone_number: str) -> DestinationConfig:
    """Change the number of an SMS destination; raises ValidationError or PhoneNumberExists."""
    return _save_phone_number(destination, phone_number)
