"""What every user gets from the notification app (notifications.md §1.1, §1.5).

These run on ``post_save`` of the user model so that users created *any* way (API, admin,
management commands, social login) are covered, which a service function could not guarantee.
Fixture loading (``raw=True``) is skipped, as in 1.37.
"""

import datetime

from django.db import transaction

from argus.notificationprofile.models import DestinationConfig, Media, TimeRecurrence, Timeslot

DEFAULT_TIMESLOT_NAME = "All the time"
EMAIL_MEDIA_SLUG = "email"
EMAIL_MEDIA_NAME = "Email"


def email_media() -> Media:
    media, _ = Media.objects.get_or_create(slug=EMAIL_MEDIA_SLUG, defaults={"name": EMAIL_MEDIA_NAME})
    return media


def create_default_timeslot(user) -> Timeslot | None:
    """Give ``user`` the "All the time" timeslot (days 1-7, whole day) unless it has a timeslot."""
    if Timeslot.objects.filter(user=user).exists():
        return None
    timeslot = Timeslot.objects.create(user=user, name=DEFAULT_TIMESLOT_NAME)
    TimeRecurrence.objects.create(
        timeslot=timeslot, days=[1, 2, 3, 4, 5, 6, 7], start=datetime.time.min, end=datetime.time.max
    )
    return timeslot


def sync_email_destination(user) -> DestinationConfig | None:
    """Keep exactly one ``synced: true`` email destination holding ``user.email`` (§1.5).

    Returns the synced destination, or None when the user has no email.
    """
    email_destinations = DestinationConfig.objects.filter(user=user, media_id=EMAIL_MEDIA_SLUG).order_by("pk")
    synced = [d for d in email_destinations if d.settings.get("synced")]
    if not user.email:
        for destination in synced:
            destination.delete()
        return None
    matching = next((d for d in email_destinations if d.settings.get("email_address") == user.email), None)
    for destination in synced:
        if destination is not matching:
            destination.settings = {**destination.settings, "synced": False}
            destination.save(update_fields=["settings"])
    if matching is not None:
        if not matching.settings.get("synced"):
            matching.settings = {**matching.settings, "synced": True}
            matching.save(update_fields=["settings"])
        return matching
    return DestinationConfig.objects.create(
        user=user, media=email_media(), settings={"email_address": user.email, "synced": True}
    )


def user_saved(sender, instance, created, raw=False, update_fields=None, **kwargs):
    email_may_have_changed = created or update_fields is None or "email" in update_fields
    if raw or not email_may_have_changed:
        return
    with transaction.atomic():
        if created:
            create_default_timeslot(instance)
        if email_may_have_changed:
            sync_email_destination(instance)
