"""factory-boy factories for timeslots, filters, destinations and notification profiles.

Other test packages (the notification engine's tests among them) import these; keep the names stable.
"""

import datetime

import factory
from django.utils import timezone

from argus.notificationprofile.choices import BUILTIN_MEDIA, EMAIL_MEDIA_SLUG, SMS_MEDIA_SLUG
from argus.notificationprofile.models import (
    Delivery,
    DestinationConfig,
    Filter,
    Media,
    NotificationProfile,
    PendingEvent,
    TimeRecurrence,
    Timeslot,
)
from tests.factories import EndUserFactory, EventFactory


def media_for(slug: str) -> Media:
    """The Media row for ``slug`` (email, sms), created if the data migration did not run."""
    media, _ = Media.objects.get_or_create(slug=slug, defaults={"name": BUILTIN_MEDIA.get(slug, slug)})
    return media


class TimeslotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Timeslot

    user = factory.SubFactory(EndUserFactory)
    name = factory.Sequence(lambda n: f"Timeslot {n}")


class TimeRecurrenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeRecurrence

    timeslot = factory.SubFactory(TimeslotFactory)
    days = factory.LazyFunction(lambda: [1, 2, 3, 4, 5, 6, 7])
    start = datetime.time.min
    end = datetime.time.max


class FilterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Filter

    user = factory.SubFactory(EndUserFactory)
    name = factory.Sequence(lambda n: f"Filter {n}")
    filter = factory.LazyFunction(dict)


class DestinationConfigFactory(factory.django.DjangoModelFactory):
    """An email destination by default; pass ``media=media_for(SMS_MEDIA_SLUG)`` and phone settings for SMS."""

    class Meta:
        model = DestinationConfig

    user = factory.SubFactory(EndUserFactory)
    media = factory.LazyFunction(lambda: media_for(EMAIL_MEDIA_SLUG))
    label = None
    settings = factory.Sequence(lambda n: {"email_address": f"destination{n}@example.org", "synced": False})


class EmailDestinationFactory(DestinationConfigFactory):
    pass


class SMSDestinationFactory(DestinationConfigFactory):
    media = factory.LazyFunction(lambda: media_for(SMS_MEDIA_SLUG))
    settings = factory.Sequence(lambda n: {"phone_number": f"+474747{n % 10000:04d}"})


class NotificationProfileFactory(factory.django.DjangoModelFactory):
    """A profile of ``user`` on one of the user's timeslots, with no filters unless given.

    ``filters`` and ``destinations`` take lists: ``NotificationProfileFactory(filters=[f1, f2])``.
    """

    class Meta:
        model = NotificationProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(EndUserFactory)
    timeslot = factory.SubFactory(TimeslotFactory, user=factory.SelfAttribute("..user"))
    name = None
    active = True

    @factory.post_generation
    def filters(self, create, extracted, **kwargs):
        if create and extracted:
            self.filters.set(extracted)

    @factory.post_generation
    def destinations(self, create, extracted, **kwargs):
        if create and extracted:
            self.destinations.set(extracted)


class PendingEventFactory(factory.django.DjangoModelFactory):
    """An event waiting for a worker (due now)."""

    class Meta:
        model = PendingEvent

    event = factory.SubFactory(EventFactory)
    due_at = factory.LazyFunction(timezone.now)


class DeliveryFactory(factory.django.DjangoModelFactory):
    """A pending delivery of an email, free to take now."""

    class Meta:
        model = Delivery

    event = factory.SubFactory(EventFactory)
    medium = "email"
    address = factory.Sequence(lambda n: f"user{n}@example.org")
    recipients = factory.Sequence(lambda n: f"user{n}")
    due_at = factory.LazyFunction(timezone.now)
