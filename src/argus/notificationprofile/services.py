"""Every write of timeslots, filters, destinations and notification profiles, and a user's defaults.

One function per change, keyword arguments, one transaction each. The v1 and v2 API, the admin and
the user services (``argus.auth.services``) call these. The rules:

* Names are unique per user (timeslots, filters), labels per user and medium (destinations). The
  database constraints decide, so a request that loses a race for a name gets the same domain error
  as one refused by the early check (the ``*_in_use`` queries, which the serializers also call to
  report a taken name together with the other field errors).
* A notification profile's name is unique across all users (the API's rule since Argus 1.37; the
  database constraint alone is per user), and its timeslot belongs to its user.
* A filter used by a profile, or by a future or current planned maintenance task, cannot be
  deleted. A destination cannot be deleted when its medium
  says so (``raise_if_not_deletable``: in use by a profile, or the synced email destination).
* The v1 API describes a profile's destinations as media codes plus one phone number
  (:func:`profile_create_with_media`, :func:`profile_update_with_media`).
* Every user has the timeslot "All the time" from creation on, and while they have an email
  address exactly one ``synced`` email destination holding it (:func:`user_defaults_keep`).
* A destination gets at most one test message per :data:`DESTINATION_TEST_INTERVAL`, and none
  while ``SEND_NOTIFICATIONS`` is off (:func:`destination_test_send`).

Refusals raise the errors of :mod:`argus.notificationprofile.errors`. Nothing needs an after-commit
side effect: database triggers stamp every change that matching reads (``MatchingConfigStamp``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from argus.notificationprofile.choices import (
    BUILTIN_MEDIA,
    DEFAULT_TIMESLOT_NAME,
    EMAIL_MEDIA_SLUG,
    EVERY_DAY,
    SMS_MEDIA_SLUG,
)
from argus.notificationprofile.errors import (
    DestinationExists,
    DestinationLabelTaken,
    DestinationNotDeletable,
    DestinationTestTooSoon,
    DestinationTestUnsupported,
    EmailAddressRequired,
    FilterInMaintenance,
    FilterInUse,
    FilterNameTaken,
    NotificationsOff,
    PhoneNumberRequired,
    ProfileNameTaken,
    TimeslotNameTaken,
    TimeslotNotOwned,
)
from argus.notificationprofile.models import (
    DestinationConfig,
    Filter,
    Media,
    NotificationProfile,
    TimeRecurrence,
    Timeslot,
)
from argus.notificationprofile.plugins import NotificationMedium, TestMessageResult, installed_media
from argus.plannedmaintenance.queries import tasks_keeping_filter
from argus.util.errors import DomainError

# --- queries: the rules' early checks, also for the serializers ------------------------------------


def _others(queryset: QuerySet, exclude) -> QuerySet:
    return queryset if exclude is None or exclude.pk is None else queryset.exclude(pk=exclude.pk)


def timeslot_name_in_use(*, user, name: str, exclude: Timeslot | None = None) -> bool:
    return _others(Timeslot.objects.filter(user=user, name=name), exclude).exists()


def filter_name_in_use(*, user, name: str, exclude: Filter | None = None) -> bool:
    return _others(Filter.objects.filter(user=user, name=name), exclude).exists()


def destination_label_in_use(
    *, user, media: Media, label: str | None, exclude: DestinationConfig | None = None
) -> bool:
    if label is None:
        return False
    return _others(DestinationConfig.objects.filter(user=user, media=media, label=label), exclude).exists()


def profile_name_in_use(*, name: str | None, exclude: NotificationProfile | None = None) -> bool:
    """Whether another profile, of any user, has this name (a missing name never collides)."""
    if name is None:
        return False
    return _others(NotificationProfile.objects.filter(name=name), exclude).exists()


def profiles_for_str(queryset: QuerySet) -> list[NotificationProfile]:
    """Profiles loaded with what ``str(profile)`` reads (timeslot and filters), in pk order."""
    return list(
        queryset.select_related("timeslot")
        .prefetch_related(Prefetch("filters", queryset=Filter.objects.order_by("pk")))
        .order_by("pk")
    )


def filter_check_deletable(*, filter: Filter) -> None:
    """Raise :class:`FilterInUse` when a notification profile uses ``filter``, else
    :class:`FilterInMaintenance` when a future or current planned maintenance task does."""
    profiles = profiles_for_str(filter.notification_profiles.all())
    if profiles:
        raise FilterInUse([str(profile) for profile in profiles])
    task_ids = tasks_keeping_filter(filter.pk)
    if task_ids:
        raise FilterInMaintenance(task_ids)


def destination_check_deletable(*, destination: DestinationConfig) -> None:
    """Raise :class:`DestinationNotDeletable` when the destination's medium refuses its deletion.

    A medium without an installed plugin keeps the base rule (not while a profile uses it).
    """
    medium = installed_media().get(destination.media_id, NotificationMedium)
    try:
        medium.raise_if_not_deletable(destination)
    except NotificationMedium.NotDeletableError as error:
        raise DestinationNotDeletable(str(error)) from None


def _save_unique(obj, *, taken: Callable[[], bool], error: Callable[[], DomainError], **save_kwargs) -> None:
    """Save ``obj`` in a savepoint; a unique constraint that fails because ``taken()`` raises ``error()``.

    The constraint is what makes a name unique under concurrency: the early check may pass for two
    requests at once, the database lets one of them in.
    """
    try:
        with transaction.atomic():
            obj.save(**save_kwargs)
    except IntegrityError:
        if taken():
            raise error() from None
        raise


# --- timeslots -----------------------------------------------------------------------------------


def _recurrences_create(timeslot: Timeslot, recurrences: Iterable[dict]) -> None:
    """``recurrences``: dicts of ``days`` (ISO weekdays), ``start`` and ``end``."""
    TimeRecurrence.objects.bulk_create(
        TimeRecurrence(
            timeslot=timeslot,
            days=sorted({int(day) for day in recurrence["days"]}),
            start=recurrence["start"],
            end=recurrence["end"],
        )
        for recurrence in recurrences
    )


def timeslot_create(*, user, name: str, time_recurrences: Iterable[dict] = ()) -> Timeslot:
    with transaction.atomic():
        timeslot = Timeslot(user=user, name=name)
        _save_unique(
            timeslot,
            taken=lambda: timeslot_name_in_use(user=user, name=name),
            error=lambda: TimeslotNameTaken(name, user.get_username()),
        )
        _recurrences_create(timeslot, time_recurrences)
    return timeslot


def timeslot_update(
    *, timeslot: Timeslot, name: str | None = None, time_recurrences: Iterable[dict] | None = None
) -> Timeslot:
    """Rename and/or replace *all* recurrences (they get new ids); None leaves a part as it is."""
    with transaction.atomic():
        if name is not None:
            timeslot.name = name
            _save_unique(
                timeslot,
                taken=lambda: timeslot_name_in_use(user=timeslot.user_id, name=name, exclude=timeslot),
                error=lambda: TimeslotNameTaken(name, timeslot.user.get_username()),
                update_fields=["name"],
            )
        if time_recurrences is not None:
            timeslot.time_recurrences.all().delete()
            _recurrences_create(timeslot, time_recurrences)
            getattr(timeslot, "_prefetched_objects_cache", {}).pop("time_recurrences", None)
    return timeslot


def timeslots_delete(*, timeslots: Iterable[Timeslot]) -> None:
    """Delete timeslots with their recurrences and the notification profiles using them."""
    with transaction.atomic():
        Timeslot.objects.filter(pk__in=[timeslot.pk for timeslot in timeslots]).delete()


def timeslot_delete(*, timeslot: Timeslot) -> None:
    timeslots_delete(timeslots=[timeslot])


def default_timeslot_create(*, user) -> Timeslot | None:
    """Give ``user`` the timeslot "All the time" (every day, whole day) unless it has a timeslot."""
    with transaction.atomic():
        if Timeslot.objects.filter(user=user).exists():
            return None
        whole_day = {"days": EVERY_DAY, "start": datetime.time.min, "end": datetime.time.max}
        return timeslot_create(user=user, name=DEFAULT_TIMESLOT_NAME, time_recurrences=[whole_day])


# --- filters -------------------------------------------------------------------------------------


def filter_create(*, user, name: str, blob: dict | None = None) -> Filter:
    """``blob`` is a validated filter blob (``argus.notificationprofile.filterblob``)."""
    with transaction.atomic():
        filter = Filter(user=user, name=name, filter={} if blob is None else blob)
        _save_unique(
            filter,
            taken=lambda: filter_name_in_use(user=user, name=name),
            error=lambda: FilterNameTaken(name, user.get_username()),
        )
    return filter


def filter_update(*, filter: Filter, name: str | None = None, blob: dict | None = None) -> Filter:
    """Rename and/or replace the whole blob (no merge); None leaves a part as it is."""
    with transaction.atomic():
        if name is not None:
            filter.name = name
        if blob is not None:
            filter.filter = blob
        _save_unique(
            filter,
            taken=lambda: filter_name_in_use(user=filter.user_id, name=filter.name, exclude=filter),
            error=lambda: FilterNameTaken(filter.name, filter.user.get_username()),
        )
    return filter


def filters_delete(*, filters: Iterable[Filter]) -> None:
    """Delete filters; none is deleted when one of them is in use (:class:`FilterInUse`,
    :class:`FilterInMaintenance`)."""
    with transaction.atomic():
        # Locked first: a profile being linked to one of them waits for this decision.
        locked = list(
            Filter.objects.select_for_update().filter(pk__in=[f.pk for f in filters]).order_by("pk")
        )
        for filter in locked:
            filter_check_deletable(filter=filter)
        Filter.objects.filter(pk__in=[filter.pk for filter in locked]).delete()


def filter_delete(*, filter: Filter) -> None:
    filters_delete(filters=[filter])


# --- destinations --------------------------------------------------------------------------------


def builtin_media(slug: str) -> Media:
    """The Media row of a built-in medium (``email``, ``sms``), made if no ``migrate`` made it."""
    media, _ = Media.objects.get_or_create(slug=slug, defaults={"name": BUILTIN_MEDIA[slug]})
    return media


def _save_destination(
    destination: DestinationConfig, save: Callable[[], DestinationConfig]
) -> DestinationConfig:
    """Run ``save`` in a savepoint; the label or settings constraints become domain errors."""
    try:
        with transaction.atomic():
            return save()
    except IntegrityError:
        media = destination.media
        if destination_label_in_use(
            user=destination.user_id, media=media, label=destination.label, exclude=destination
        ):
            raise DestinationLabelTaken(destination.label, media.name) from None
        # The other unique constraint: the user already has a destination with these settings.
        raise DestinationExists() from None


def destination_create(*, user, media: Media, settings: dict, label: str | None = None) -> DestinationConfig:
    """``settings`` as the medium's ``validate`` cleaned them; an empty label is no label."""
    with transaction.atomic():
        destination = DestinationConfig(user=user, media=media, label=label or None, settings=settings)

        def save():
            destination.save(force_insert=True)
            return destination

        return _save_destination(destination, save)


def destination_update(*, destination: DestinationConfig, data: dict) -> DestinationConfig:
    """Change ``label`` and/or ``settings`` (the keys of ``data``); the medium is fixed.

    A medium may update in its own way (the synced email destination keeps its address in a new
    row, see the email plugin); it returns the destination to show.
    """
    data = {key: value for key, value in data.items() if key in ("label", "settings")}
    if "label" in data:
        data["label"] = data["label"] or None
    medium = installed_media().get(destination.media_id)

    def save():
        updated = medium.update(destination, data) if medium is not None else None
        if updated is None:
            for attr, value in data.items():
                setattr(destination, attr, value)
            destination.save()
            updated = destination
        return updated

    with transaction.atomic():
        return _save_destination(destination, save)


def destinations_delete(*, destinations: Iterable[DestinationConfig]) -> None:
    """Delete destinations; none is deleted when a medium refuses one (:class:`DestinationNotDeletable`)."""
    with transaction.atomic():
        locked = list(
            DestinationConfig.objects.select_for_update()
            .filter(pk__in=[destination.pk for destination in destinations])
            .order_by("pk")
        )
        for destination in locked:
            destination_check_deletable(destination=destination)
        DestinationConfig.objects.filter(pk__in=[destination.pk for destination in locked]).delete()


def destination_delete(*, destination: DestinationConfig) -> None:
    destinations_delete(destinations=[destination])


#: A destination gets at most one test message per interval (a test posts to someone's endpoint).
DESTINATION_TEST_INTERVAL = datetime.timedelta(seconds=10)


def destination_test_send(*, destination: DestinationConfig, now=None) -> TestMessageResult:
    """Send one test message to ``destination`` now, bypassing profiles and timeslots; one attempt.

    Refused when sending is off (:class:`NotificationsOff`), when the medium cannot send a test
    (:class:`DestinationTestUnsupported`) and within :data:`DESTINATION_TEST_INTERVAL` of the
    destination's last test (:class:`DestinationTestTooSoon`). The test is recorded (one
    ``UPDATE``, so concurrent requests in any process get one test) before the message goes out,
    outside any transaction: the medium may wait for its receiver.
    """
    if not settings.SEND_NOTIFICATIONS:
        raise NotificationsOff()
    medium = installed_media().get(destination.media_id)
    if medium is None:
        raise DestinationTestUnsupported(f'Medium "{destination.media_id}" is not installed.')
    if not medium.CAN_SEND_TEST:
        raise DestinationTestUnsupported(f"{medium.MEDIA_NAME} destinations cannot be sent a test message.")
    now = now or timezone.now()
    earliest = now - DESTINATION_TEST_INTERVAL
    recorded = (
        DestinationConfig.objects.filter(pk=destination.pk)
        .filter(Q(last_tested_at__isnull=True) | Q(last_tested_at__lte=earliest))
        .update(last_tested_at=now)
    )
    if not recorded:
        last = (
            DestinationConfig.objects.filter(pk=destination.pk)
            .values_list("last_tested_at", flat=True)
            .first()
        )
        left = (last - earliest).total_seconds() if last else DESTINATION_TEST_INTERVAL.total_seconds()
        raise DestinationTestTooSoon(min(max(left, 0.0), DESTINATION_TEST_INTERVAL.total_seconds()))
    return medium.send_test(destination)


def email_destination_sync(*, user) -> DestinationConfig | None:
    """Keep exactly one ``synced: true`` email destination holding ``user.email``.

    * no email: a synced destination is deleted;
    * an email destination with that address exists: it becomes the (only) synced one;
    * otherwise a new synced destination is made; a previously synced one keeps its address and
      gets ``synced: false``.

    Returns the synced destination, or None when the user has no email.
    """
    with transaction.atomic():
        email_destinations = list(
            DestinationConfig.objects.filter(user=user, media_id=EMAIL_MEDIA_SLUG).order_by("pk")
        )
        synced = [d for d in email_destinations if d.settings.get("synced")]
        if not user.email:
            for destination in synced:
                destination.delete()
            return None
        matching = next(
            (d for d in email_destinations if d.settings.get("email_address") == user.email), None
        )
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
            user=user,
            media=builtin_media(EMAIL_MEDIA_SLUG),
            settings={"email_address": user.email, "synced": True},
        )


# --- notification profiles -----------------------------------------------------------------------


def _profile_check(*, user_id, timeslot: Timeslot | None, name: str | None, profile=None) -> None:
    """The timeslot must be the user's own; the name must be free among all users' profiles."""
    if timeslot is not None and timeslot.user_id != user_id:
        raise TimeslotNotOwned()
    if profile_name_in_use(name=name, exclude=profile):
        raise ProfileNameTaken(name)


def _profile_save(profile: NotificationProfile, *, filters=None, destinations=None) -> NotificationProfile:
    """Save the row and, when given, replace its filters and destinations."""

    def save():
        profile.save()
        if filters is not None:
            profile.filters.set(filters)
        if destinations is not None:
            profile.destinations.set(destinations)

    try:
        with transaction.atomic():
            save()
    except IntegrityError:
        # The database's per-user name constraint, when a concurrent request took the name.
        if profile.name is not None and profile_name_in_use(name=profile.name, exclude=profile):
            raise ProfileNameTaken(profile.name) from None
        raise
    return profile


def profile_create(
    *,
    user,
    timeslot: Timeslot,
    filters: Iterable[Filter],
    destinations: Iterable[DestinationConfig] = (),
    name: str | None = None,
    active: bool = True,
) -> NotificationProfile:
    with transaction.atomic():
        _profile_check(user_id=user.pk, timeslot=timeslot, name=name)
        profile = NotificationProfile(user=user, timeslot=timeslot, name=name, active=active)
        return _profile_save(profile, filters=list(filters), destinations=list(destinations))


PROFILE_FIELDS = ("name", "timeslot", "active")


def profile_update(*, profile: NotificationProfile, data: dict) -> NotificationProfile:
    """Change what ``data`` holds of ``name``, ``timeslot``, ``active``, ``filters``, ``destinations``.

    Filters and destinations given are the complete new sets.
    """
    with transaction.atomic():
        _profile_check(
            user_id=profile.user_id, timeslot=data.get("timeslot"), name=data.get("name"), profile=profile
        )
        for attr in PROFILE_FIELDS:
            if attr in data:
                setattr(profile, attr, data[attr])
        return _profile_save(profile, filters=data.get("filters"), destinations=data.get("destinations"))


def profiles_delete(*, profiles: Iterable[NotificationProfile]) -> None:
    with transaction.atomic():
        NotificationProfile.objects.filter(pk__in=[profile.pk for profile in profiles]).delete()


def profile_delete(*, profile: NotificationProfile) -> None:
    profiles_delete(profiles=[profile])


def profiles_set_active(*, profiles: QuerySet, active: bool) -> int:
    """Activate or deactivate every profile of ``profiles``; the number changed."""
    with transaction.atomic():
        return profiles.update(active=active)


def profiles_toggle_active(*, profiles: QuerySet) -> int:
    """Flip ``active`` of every profile of ``profiles``; the number changed."""
    with transaction.atomic():
        return profiles.update(active=Case(When(active=True, then=Value(False)), default=Value(True)))


# --- notification profiles through the v1 lens: media and one phone number --------------------------


def _media_check(
    *, user, media: Collection[str] | None, phone_number, phone_number_given: bool, current_sms
) -> None:
    """SMS needs a phone number (an update may keep the one it has); email needs the user's email."""
    if not media:
        return
    if SMS_MEDIA_SLUG in media and phone_number is None and (phone_number_given or not current_sms):
        raise PhoneNumberRequired()
    if EMAIL_MEDIA_SLUG in media and not user.email:
        raise EmailAddressRequired()


def _replace_first_sms(destinations: list, phone_number: DestinationConfig) -> list:
    """Put ``phone_number`` in place of the lowest-pk SMS destination (or add it when there is none)."""
    if phone_number in destinations:
        return destinations
    sms = sorted((d for d in destinations if d.media_id == SMS_MEDIA_SLUG), key=lambda d: d.pk)
    if not sms:
        return [*destinations, phone_number]
    return [phone_number if d == sms[0] else d for d in destinations]


def _destinations_for_media(*, user, current: list, media: Collection[str] | None, phone_number) -> list:
    """A profile's destinations after a v1 write of ``media`` (slugs) and ``phone_number``.

    * no media (omitted or empty, as Argus 1.37): destinations stay, but a phone number still
      replaces the first SMS destination when there is one;
    * SMS: the phone number replaces the first SMS destination (or is added); without SMS, SMS
      destinations go;
    * email: the user's synced email destination is added; without email, email destinations go.
    """
    destinations = list(current)
    if not media:
        if phone_number is not None and any(d.media_id == SMS_MEDIA_SLUG for d in destinations):
            destinations = _replace_first_sms(destinations, phone_number)
        return destinations
    if SMS_MEDIA_SLUG in media:
        if phone_number is not None:
            destinations = _replace_first_sms(destinations, phone_number)
    else:
        destinations = [d for d in destinations if d.media_id != SMS_MEDIA_SLUG]
    if EMAIL_MEDIA_SLUG in media:
        synced = email_destination_sync(user=user)
        if synced is not None and synced not in destinations:
            destinations.append(synced)
    else:
        destinations = [d for d in destinations if d.media_id != EMAIL_MEDIA_SLUG]
    return destinations


def profile_create_with_media(
    *,
    user,
    timeslot: Timeslot,
    filters: Iterable[Filter],
    media: Collection[str],
    phone_number: DestinationConfig | None = None,
    active: bool = True,
) -> NotificationProfile:
    """A profile whose destinations are given as media slugs and one SMS destination (v1)."""
    with transaction.atomic():
        _profile_check(user_id=user.pk, timeslot=timeslot, name=None)
        _media_check(
            user=user, media=media, phone_number=phone_number, phone_number_given=True, current_sms=[]
        )
        destinations = _destinations_for_media(user=user, current=[], media=media, phone_number=phone_number)
        profile = NotificationProfile(user=user, timeslot=timeslot, active=active)
        return _profile_save(profile, filters=list(filters), destinations=destinations)


def profile_update_with_media(*, profile: NotificationProfile, data: dict) -> NotificationProfile:
    """Change what ``data`` holds of ``timeslot``, ``active``, ``filters``, ``media`` and ``phone_number``.

    ``phone_number`` present and None means "no number" (refused with SMS); absent means "keep".
    """
    with transaction.atomic():
        user = profile.user
        _profile_check(user_id=user.pk, timeslot=data.get("timeslot"), name=None)
        current = list(profile.destinations.all())
        media = data.get("media")
        phone_number = data.get("phone_number")
        _media_check(
            user=user,
            media=media,
            phone_number=phone_number,
            phone_number_given="phone_number" in data,
            current_sms=[d for d in current if d.media_id == SMS_MEDIA_SLUG],
        )
        for attr in ("timeslot", "active"):
            if attr in data:
                setattr(profile, attr, data[attr])
        destinations = _destinations_for_media(
            user=user, current=current, media=media, phone_number=phone_number
        )
        return _profile_save(profile, filters=data.get("filters"), destinations=destinations)


# --- what every user has -------------------------------------------------------------------------

_CALLER_KEEPS_USER_DEFAULTS: ContextVar[bool] = ContextVar("argus_caller_keeps_user_defaults", default=False)


@contextmanager
def caller_keeps_user_defaults() -> Iterator[None]:
    """Mark user writes in this block as kept by their caller, which calls :func:`user_defaults_keep`.

    The user services save users inside this block; the ``post_save`` receiver (for users written
    outside our code) then stands aside, so the defaults are made once, by the service.
    """
    token = _CALLER_KEEPS_USER_DEFAULTS.set(True)
    try:
        yield
    finally:
        _CALLER_KEEPS_USER_DEFAULTS.reset(token)


def user_defaults_kept_by_caller() -> bool:
    return _CALLER_KEEPS_USER_DEFAULTS.get()


def user_defaults_keep(*, user, created: bool, update_fields: Iterable[str] | None = None) -> None:
    """What the notification app keeps for a user after it was saved.

    A new user gets the default timeslot; the synced email destination follows ``user.email``
    whenever the save may have changed it (a save of other fields only costs nothing). Idempotent.
    """
    if not (created or update_fields is None or "email" in update_fields):
        return
    with transaction.atomic():
        if created:
            default_timeslot_create(user=user)
        email_destination_sync(user=user)
