"""Admin for timeslots, filters, media, destinations and notification profiles (operations.md §5)."""

import datetime

from django import forms
from django.contrib import admin
from django.db.models import Case, Prefetch, Value, When
from django.utils.html import format_html_join
from django.utils.text import slugify

from argus.notificationprofile import delivery_admin  # noqa: F401  (registers the delivery log)
from argus.notificationprofile.models import (
    DestinationConfig,
    Filter,
    Media,
    NotificationProfile,
    TimeRecurrence,
    Timeslot,
)

USER_SEARCH_FIELDS = ("user__first_name", "user__last_name", "user__username")
AROUND_THE_CLOCK_START = datetime.time(0, 0, 59)
AROUND_THE_CLOCK_END = datetime.time(23, 59)


def recurrence_text(recurrence: TimeRecurrence) -> str:
    """``"HH:MM-HH:MM on Monday, Tuesday and Friday"``, ``"around the clock, every day"``, ``"24/7"`` (§1.2)."""
    around_the_clock = recurrence.start <= AROUND_THE_CLOCK_START and recurrence.end >= AROUND_THE_CLOCK_END
    every_day = len(set(recurrence.days or ())) == 7
    if around_the_clock and every_day:
        return "24/7"
    when = "around the clock" if around_the_clock else f"{recurrence.start:%H:%M}-{recurrence.end:%H:%M}"
    if every_day:
        return f"{when}, every day"
    names = [TimeRecurrence.Day(day).label for day in sorted(set(recurrence.days or ()))]
    if not names:
        return f"{when} on no day"
    days = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{when} on {days}"


class TimeRecurrenceInline(admin.TabularInline):
    model = TimeRecurrence
    min_num = 1
    extra = 0


@admin.register(Timeslot)
class TimeslotAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "get_time_recurrences")
    search_fields = ("name", *USER_SEARCH_FIELDS)
    raw_id_fields = ("user",)
    inlines = [TimeRecurrenceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user").prefetch_related("time_recurrences")

    @admin.display(description="Time recurrences")
    def get_time_recurrences(self, timeslot):
        return format_html_join(
            "", "<div>{}</div>", ((recurrence_text(r),) for r in timeslot.time_recurrences.all())
        )


@admin.register(Filter)
class FilterAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "filter")
    search_fields = ("name", "filter", *USER_SEARCH_FIELDS)
    raw_id_fields = ("user",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class MediaForm(forms.ModelForm):
    class Meta:
        model = Media
        fields = ("name",)


@admin.register(Media)
class MediaAdmin(admin.ModelAdmin):
    list_display = ("slug", "name")
    form = MediaForm

    def save_model(self, request, obj, form, change):
        if not obj.slug:
            obj.slug = slugify(obj.name)[: Media._meta.get_field("slug").max_length]
        super().save_model(request, obj, form, change)


@admin.register(DestinationConfig)
class DestinationConfigAdmin(admin.ModelAdmin):
    list_display = ("user", "media", "label", "settings")
    list_filter = ("media__name",)
    search_fields = ("label", *USER_SEARCH_FIELDS)
    ordering = ("user",)
    raw_id_fields = ("user",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "media")


class DestinationInline(admin.TabularInline):
    model = NotificationProfile.destinations.through
    extra = 0
    verbose_name = "destination"
    verbose_name_plural = "destinations"
    raw_id_fields = ("destinationconfig",)


@admin.register(NotificationProfile)
class NotificationProfileAdmin(admin.ModelAdmin):
    list_display = ("get_name", "user", "get_filters", "get_media", "active")
    list_filter = ("active", "user")
    search_fields = ("name", "timeslot__name", "filters__name", "filters__filter", *USER_SEARCH_FIELDS)
    ordering = ("user",)
    raw_id_fields = ("user", "timeslot")
    filter_horizontal = ("filters",)
    exclude = ("destinations",)
    inlines = [DestinationInline]
    actions = ["toggle_activation", "activate", "deactivate"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("user", "timeslot")
            .prefetch_related(
                Prefetch("filters", queryset=Filter.objects.order_by("pk")),
                Prefetch("destinations", queryset=DestinationConfig.objects.select_related("media")),
            )
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Offer only the profile owner's filters (the object being edited is resolved in get_form).
        if db_field.name == "filters":
            owner_id = getattr(request, "_argus_profile_owner_id", None)
            if owner_id is not None:
                kwargs["queryset"] = Filter.objects.filter(user_id=owner_id)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        request._argus_profile_owner_id = obj.user_id if obj is not None else None
        return super().get_form(request, obj, change=change, **kwargs)

    @admin.display(description="Name")
    def get_name(self, profile):
        return profile.name or f"[{profile.user}] {profile.timeslot}"

    @admin.display(description="Filters")
    def get_filters(self, profile):
        return format_html_join("", "<div>{}</div>", ((str(f),) for f in profile.filters.all()))

    @admin.display(description="Media")
    def get_media(self, profile):
        names = []
        for destination in profile.destinations.all():
            if destination.media.name not in names:
                names.append(destination.media.name)
        return " ".join(names)

    @admin.action(description="Toggle activation for selected profiles")
    def toggle_activation(self, request, queryset):
        queryset.update(active=Case(When(active=True, then=Value(False)), default=Value(True)))

    @admin.action(description="Activate selected profiles")
    def activate(self, request, queryset):
        queryset.update(active=True)

    @admin.action(description="Deactivate selected profiles")
    def deactivate(self, request, queryset):
        queryset.update(active=False)
