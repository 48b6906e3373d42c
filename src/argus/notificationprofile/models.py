"""Timeslots, filters, media, destinations and notification profiles (notifications.md §1)."""

import datetime

from django.conf import settings
from django.db import models

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
        return f"{self.start}-{self.end} on {self.days}"

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
        return f"{self.media.name}: {list(self.settings.values())}"


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
