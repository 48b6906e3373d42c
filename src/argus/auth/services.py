"""State changes for users, their preferences and v1 phone numbers.

Every view, command and admin action that creates or changes a user, writes a user's preferences
or writes a phone number goes through these functions, so the rules (every user has the
notification defaults, one preferences row per user and namespace, phone numbers are unique SMS
destinations per user) live in one place. Tokens have their own module, :mod:`argus.auth.tokens`.
"""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from argus.auth.models import Preferences
from argus.notificationprofile import services as notification_services
from argus.notificationprofile.choices import SMS_MEDIA_SLUG
from argus.notificationprofile.models import DestinationConfig, Media
from argus.util.phonenumbers import normalize_phone_number


class PhoneNumberExists(Exception):
    """The user already has an SMS destination with this number."""


# --- users ---------------------------------------------------------------------------------------


def user_save(*, user, update_fields: Iterable[str] | None = None):
    """Save a new or changed ``user`` (as a form or a command left it) with its notification defaults.

    A new user gets the default timeslot and, with an email address, the synced email destination;
    a changed email moves the synced destination along (``argus.notificationprofile.services``).
    """
    created = user.pk is None
    with transaction.atomic(), notification_services.caller_keeps_user_defaults():
        user.save(update_fields=update_fields)
        notification_services.user_defaults_keep(user=user, created=created, update_fields=update_fields)
    return user


def user_create(*, username: str, email: str = "", password: str | None = None, **fields):
    """Create a user (``fields``: other model fields, e.g. ``is_superuser``); no password: unusable."""
    user_model = get_user_model()
    user = user_model(
        username=user_model.normalize_username(username),
        email=user_model.objects.normalize_email(email or ""),
        **fields,
    )
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    return user_save(user=user)


def user_set_superuser(*, user, superuser: bool):
    """Grant (or revoke) superuser powers, and with them access to the admin (``is_staff``)."""
    user.is_staff = superuser
    user.is_superuser = superuser
    return user_save(user=user, update_fields=["is_staff", "is_superuser"])


def user_set_password(*, user, password: str):
    user.set_password(password)
    return user_save(user=user, update_fields=["password"])


# --- preferences -----------------------------------------------------------------------------------


def preferences_update(*, user, namespace: str, changes: dict) -> dict:
    """Merge ``changes`` into the user's preferences of ``namespace`` (the row is made on first use);
    the merged dict. Other keys are kept, so two pages saving different keys do not undo each other.
    """
    for _attempt in range(2):
        try:
            with transaction.atomic():
                row, _created = Preferences.objects.select_for_update().get_or_create(
                    user=user, namespace=namespace
                )
                stored = row.preferences if isinstance(row.preferences, dict) else {}
                merged = {**stored, **changes}
                if merged != row.preferences:
                    row.preferences = merged
                    row.save(update_fields=["preferences"])
                return merged
        except IntegrityError:  # a concurrent request created the row first: update that one
            continue
    raise RuntimeError(f"Could not save the preferences of {user} in {namespace}")


# --- v1 phone numbers (SMS destinations) ---------------------------------------------------------


def sms_media() -> Media:
    return notification_services.builtin_media(SMS_MEDIA_SLUG)


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
