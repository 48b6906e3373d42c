"""Timeslots, filters, media, destinations and notification profiles."""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from argus.notificationprofile.choices import WRITE_ONLY_MASK, WRITE_ONLY_SETTINGS
from argus.util.jsonb import JsonbOrderedJSONField

TIME_MIN = datetime.time.min
TIME_MAX = datetime.time.max


class Timeslot(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="timeslots")
    name = models.CharField(max_length=40)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name", "user"], name="timeslot_unique_name_per_user")]

    def __str__(self):
        return self.name


class TimeRecurrence(models.Model):
    class Day(models.IntegerChoices):
        MONDAY = 1, "Monday"
        TUESDAY = 2, "Tuesday"
        WEDNESDAY = 3, "Wednesday"
        THURSDAY = 4, "Thursday"
        FRIDAY = 5, "Friday"
        SATURDAY = 6, "Saturday"
        SUNDAY = 7, "Sunday"

    timeslot = models.ForeignKey(Timeslot, on_delete=models.CASCADE, related_name="time_recurrences")
    # ISO weekdays 1-7, kept sorted; JSON so it works on SQLite and PostgreSQL alike.
    days = models.JSONField(default=list)
    start = models.TimeField(help_text="Local time.")
    end = models.TimeField(help_text="Local time.")

    class Meta:
        ordering = ["id"]

    def __str__(self):
        days = ", ".join(self.Day(day).label for day in sorted(set(self.days or ())))
        return f"{self.start:%H:%M}-{self.end:%H:%M} on {days or 'no day'}"

    def save(self, *args, **kwargs):
        self.days = sorted({int(day) for day in self.days})
        super().save(*args, **kwargs)

    @property
    def all_day(self) -> bool:
        return self.start == TIME_MIN and self.end == TIME_MAX


class Filter(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="filters")
    name = models.CharField(max_length=40)
    filter = JsonbOrderedJSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "user"], name="filter_unique_name_per_user")]

    def __str__(self):
        return f"{self.name} [{self.filter!r}]"


class Media(models.Model):
    slug = models.SlugField(max_length=20, primary_key=True)
    name = models.CharField(max_length=20)
    installed = models.BooleanField(default=True)

    class Meta:
        verbose_name = "Medium"
        verbose_name_plural = "Media"

    def __str__(self):
        return self.name


class DestinationConfig(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="destinations")
    media = models.ForeignKey(Media, on_delete=models.CASCADE, related_name="destinations")
    label = models.CharField(max_length=50, null=True, blank=True)
    settings = JsonbOrderedJSONField(default=dict)
    #: When a test message was last sent here (at most one per destination every few seconds).
    last_tested_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "settings"], name="destinationconfig_unique_user_settings"
            ),
            models.UniqueConstraint(
                fields=["user", "media", "label"], name="destinationconfig_unique_user_media_label"
            ),
        ]

    def __str__(self):
        if self.label:
            return self.label
        return f"{self.media.name}: {list(self.shown_settings.values())}"

    @property
    def shown_settings(self) -> dict:
        """The settings with write-only values (a webhook's secret) masked, whatever the medium."""
        stored = self.settings if isinstance(self.settings, dict) else {}
        if not WRITE_ONLY_SETTINGS.intersection(stored):
            return stored
        return {
            key: WRITE_ONLY_MASK if key in WRITE_ONLY_SETTINGS else value for key, value in stored.items()
        }


class NotificationProfile(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_profiles"
    )
    timeslot = models.ForeignKey(Timeslot, on_delete=models.CASCADE, related_name="notification_profiles")
    filters = models.ManyToManyField(Filter, related_name="notification_profiles")
    name = models.CharField(max_length=40, null=True, blank=True)
    active = models.BooleanField(default=True)
    destinations = models.ManyToManyField(DestinationConfig, related_name="notification_profiles", blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="notificationprofile_unique_name_per_user"),
        ]
        indexes = [models.Index(fields=["active"], name="notificationprofile_active")]

    def __str__(self):
        if self.name:
            return self.name
        filters = ", ".join(str(f) for f in self.filters.all())
        return f"{self.timeslot}: {filters}"


class MatchingConfigStamp(models.Model):
    """One row whose ``token`` changes whenever anything matching reads changes.

    Database triggers (migration 0003) set a new random token on every insert, update or delete of
    profiles, their filter links, filters, timeslots and time recurrences, whatever wrote them
    (API, admin, commands, bulk updates, raw SQL). Workers keep the matching tables in memory
    while the token stays the same (``argus.notificationprofile.matching``).
    """

    token = models.BigIntegerField(default=0)

    def __str__(self):
        return f"matching configuration {self.token}"


# --- delivery: what must be sent, and what became of it (argus.notificationprofile.deliveries) ---


class PendingEvent(models.Model):
    """An event whose notifications are still to be worked out: written in the event's transaction.

    A worker claims it (``due_at`` moves to the end of its lease), matches the event and replaces
    it with the event's :class:`Delivery` records in one transaction. A row whose ``due_at`` has
    passed is waiting for a worker: new, left by a worker that died, or backing off after a
    failed match.
    """

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(
        "argus_incident.Event", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    due_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claim = models.CharField(max_length=16, blank=True, default="")

    def __str__(self):
        return f"event {self.event_id} to notify (due {self.due_at})"


class Delivery(models.Model):
    """One message about one event to one address of one medium, and what became of it.

    ``pending`` until the medium accepted it (``sent``) or the last attempt failed (``failed``).
    A pending delivery whose ``due_at`` has passed is waiting for a worker: ``due_at`` is the end of
    the lease of the worker holding it, or of the backoff after a failed attempt. ``message_id``
    is what receivers see (the email ``Message-ID``), the same on every attempt.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed for good"

    id = models.BigAutoField(primary_key=True)
    message_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey("argus_incident.Event", on_delete=models.CASCADE, related_name="deliveries")
    medium = models.CharField(max_length=20)
    address = models.CharField(max_length=500)
    recipients = models.CharField(
        max_length=500, blank=True, help_text="Usernames of the destinations' owners."
    )
    destination_ids = models.JSONField(default=list)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=16, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["due_at"], condition=models.Q(state="pending"), name="delivery_pending_due"),
            models.Index(fields=["created_at"], name="delivery_created_at"),
        ]

    def __str__(self):
        return f"{self.medium} to {self.address} about event {self.event_id}: {self.get_state_display()}"
