"""Admin for timeslots, filters, media, destinations and notification profiles.

Saves, deletions and the activation actions go through :mod:`argus.notificationprofile.services`,
the same rules as the API: a filter in use, or a destination its medium will not delete, is not
deleted (single or "delete selected"), a taken name is refused. What a rule refuses is shown as an
error message (or a form error, where the form checks it first), never as a server error. A
timeslot or profile is written together with its inline rows, in one service call. The owner of a
timeslot, filter, destination or profile is chosen when it is added and cannot be changed.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import unquote
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.text import slugify

from argus.notificationprofile import (
    delivery_admin,  # noqa: F401  (registers the delivery log)
    services,
)
from argus.notificationprofile.choices import WRITE_ONLY_MASK, WRITE_ONLY_SETTINGS
from argus.notificationprofile.models import (
    DestinationConfig,
    Filter,
    Media,
    NotificationProfile,
    TimeRecurrence,
    Timeslot,
)
from argus.util.errors import DomainError

USER_SEARCH_FIELDS = ("user__first_name", "user__last_name", "user__username")
AROUND_THE_CLOCK_START = datetime.time(0, 0, 59)
AROUND_THE_CLOCK_END = datetime.time(23, 59)


def recurrence_text(recurrence: TimeRecurrence) -> str:
    """``"HH:MM-HH:MM on Monday, Tuesday and Friday"``, ``"around the clock, every day"``, ``"24/7"``."""
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


def delete_selected_unless_refused(modeladmin, request, queryset):
    """Django's "delete selected" action, refused with a message when a rule forbids a deletion."""
    try:
        for obj in queryset:
            try:
                modeladmin.check_deletable(obj)
            except DomainError as error:
                raise DomainError(f"{obj}: {error.message}") from error
        return delete_selected(modeladmin, request, queryset)
    except DomainError as error:
        modeladmin.message_user(request, error.message, messages.ERROR)
        return None


class ServiceAdmin(admin.ModelAdmin):
    """A model admin whose writes are service calls; a refusal is an error message, not a 500."""

    #: Fields chosen when the object is added, read-only afterwards.
    fixed_fields: tuple[str, ...] = ("user",)

    def check_deletable(self, obj) -> None:
        """Raise the domain error that forbids deleting ``obj``, asked before confirming."""

    def delete_objects(self, objects: list) -> None:
        raise NotImplementedError

    def delete_model(self, request, obj):
        self.delete_objects([obj])

    def delete_queryset(self, request, queryset):
        self.delete_objects(list(queryset))

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly + self.fixed_fields if obj is not None else readonly

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _, name, description = actions["delete_selected"]
            actions["delete_selected"] = (delete_selected_unless_refused, name, description)
        return actions

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:  # the change was rolled back with the admin's transaction
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        try:
            if obj is not None and self.has_delete_permission(request, obj):
                self.check_deletable(obj)
            return super().delete_view(request, object_id, extra_context)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            )


def kept_rows(formsets) -> list[dict]:
    """The cleaned data of the inline rows that stay (not deleted, not left empty)."""
    return [
        form.cleaned_data
        for formset in formsets
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


def mark_saved(formsets) -> None:
    """The inline rows were written by a service; tell the change message there is nothing more."""
    for formset in formsets:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class TimeRecurrenceForm(forms.ModelForm):
    """The days as weekday checkboxes (stored as ISO weekday numbers, 1 = Monday)."""

    days = forms.TypedMultipleChoiceField(
        choices=TimeRecurrence.Day.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one day."},
    )

    class Meta:
        model = TimeRecurrence
        fields = ("days", "start", "end")


class TimeRecurrenceInline(admin.TabularInline):
    model = TimeRecurrence
    form = TimeRecurrenceForm
    min_num = 1
    extra = 0


@admin.register(Timeslot)
class TimeslotAdmin(ServiceAdmin):
    list_display = ("name", "user", "get_time_recurrences")
    search_fields = ("name", *USER_SEARCH_FIELDS)
    raw_id_fields = ("user",)
    inlines = [TimeRecurrenceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user").prefetch_related("time_recurrences")

    def save_model(self, request, obj, form, change):
        """Written with its recurrences by ``save_related``, in one service call."""

    def save_related(self, request, form, formsets, change):
        timeslot = form.instance
        recurrences = [
            {"days": row["days"], "start": row["start"], "end": row["end"]} for row in kept_rows(formsets)
        ]
        if change:
            services.timeslot_update(timeslot=timeslot, name=timeslot.name, time_recurrences=recurrences)
        else:
            created = services.timeslot_create(
                user=timeslot.user, name=timeslot.name, time_recurrences=recurrences
            )
            timeslot.pk = created.pk
        mark_saved(formsets)

    def delete_objects(self, objects):
        services.timeslots_delete(timeslots=objects)

    @admin.display(description="Time recurrences")
    def get_time_recurrences(self, timeslot):
        return format_html_join(
            "", "<div>{}</div>", ((recurrence_text(r),) for r in timeslot.time_recurrences.all())
        )


@admin.register(Filter)
class FilterAdmin(ServiceAdmin):
    list_display = ("name", "user", "filter")
    search_fields = ("name", "filter", *USER_SEARCH_FIELDS)
    raw_id_fields = ("user",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def save_model(self, request, obj, form, change):
        if change:
            services.filter_update(filter=obj, name=obj.name, blob=obj.filter)
        else:
            obj.pk = services.filter_create(user=obj.user, name=obj.name, blob=obj.filter).pk

    def check_deletable(self, obj):
        services.filter_check_deletable(filter=obj)

    def delete_objects(self, objects):
        services.filters_delete(filters=objects)


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


class DestinationConfigForm(forms.ModelForm):
    """Write-only settings (a webhook's secret) are shown masked; the mask sent back keeps them."""

    class Meta:
        model = DestinationConfig
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "settings" in self.fields:
            self.initial["settings"] = self.instance.shown_settings

    def clean_settings(self):
        value = self.cleaned_data["settings"]
        stored = self.instance.settings if self.instance.pk is not None else {}
        if isinstance(value, dict) and isinstance(stored, dict):
            for key in WRITE_ONLY_SETTINGS:
                if value.get(key) == WRITE_ONLY_MASK and stored.get(key):
                    value = {**value, key: stored[key]}
        return value


@admin.register(DestinationConfig)
class DestinationConfigAdmin(ServiceAdmin):
    form = DestinationConfigForm
    list_display = ("user", "media", "label", "get_settings")
    list_filter = ("media__name",)
    search_fields = ("label", *USER_SEARCH_FIELDS)
    ordering = ("user",)
    raw_id_fields = ("user",)
    fixed_fields = ("user", "media")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "media")

    def save_model(self, request, obj, form, change):
        if change:
            # The medium updates from the stored destination (the synced email keeps its address).
            stored = DestinationConfig.objects.select_related("media", "user").get(pk=obj.pk)
            services.destination_update(
                destination=stored, data={"label": obj.label, "settings": obj.settings}
            )
        else:
            created = services.destination_create(
                user=obj.user, media=obj.media, label=obj.label, settings=obj.settings
            )
            obj.pk = created.pk

    @admin.display(description="Settings")
    def get_settings(self, destination):
        return destination.shown_settings

    def check_deletable(self, obj):
        services.destination_check_deletable(destination=obj)

    def delete_objects(self, objects):
        services.destinations_delete(destinations=objects)


class DestinationInline(admin.TabularInline):
    model = NotificationProfile.destinations.through
    extra = 0
    verbose_name = "destination"
    verbose_name_plural = "destinations"
    raw_id_fields = ("destinationconfig",)


@admin.register(NotificationProfile)
class NotificationProfileAdmin(ServiceAdmin):
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

    def save_model(self, request, obj, form, change):
        """Written with its filters and destinations by ``save_related``, in one service call."""

    def save_related(self, request, form, formsets, change):
        profile = form.instance
        data = {
            "name": profile.name,
            "timeslot": profile.timeslot,
            "active": profile.active,
            "filters": list(form.cleaned_data["filters"]),
            "destinations": [row["destinationconfig"] for row in kept_rows(formsets)],
        }
        if change:
            services.profile_update(profile=profile, data=data)
        else:
            profile.pk = services.profile_create(user=profile.user, **data).pk
        mark_saved(formsets)

    def delete_objects(self, objects):
        services.profiles_delete(profiles=objects)

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
        services.profiles_toggle_active(profiles=queryset)

    @admin.action(description="Activate selected profiles")
    def activate(self, request, queryset):
        services.profiles_set_active(profiles=queryset, active=True)

    @admin.action(description="Deactivate selected profiles")
    def deactivate(self, request, queryset):
        services.profiles_set_active(profiles=queryset, active=False)
