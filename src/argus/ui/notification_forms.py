"""Forms of the notification pages: profiles, timeslots with their recurrences, destinations.

They validate and shape; the views hand the cleaned data to :mod:`argus.notificationprofile.services`.
A destination's settings are validated by its medium's plugin, exactly as the API validates them,
so the rules and the messages are the same whichever way a destination is made.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from types import SimpleNamespace

from django import forms
from django.core.exceptions import ValidationError
from rest_framework.exceptions import ValidationError as ApiValidationError

from argus.notificationprofile.media.base import NotificationMedium
from argus.notificationprofile.models import DestinationConfig, Filter, TimeRecurrence, Timeslot

NAME_MAX_LENGTH = 40
LABEL_MAX_LENGTH = 50
MAX_RECURRENCES = 20
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]
DAY_SHORT_NAMES = {1: "Mo", 2: "Tu", 3: "We", 4: "Th", 5: "Fr", 6: "Sa", 7: "Su"}


# --- notification profiles -----------------------------------------------------------------------


class ProfileForm(forms.Form):
    """A v2 profile: a name (optional), one own timeslot, one or more own filters, own destinations."""

    name = forms.CharField(
        label="Name",
        required=False,
        max_length=NAME_MAX_LENGTH,
        help_text=f"Optional, at most {NAME_MAX_LENGTH} characters.",
    )
    timeslot = forms.ModelChoiceField(
        label="Timeslot",
        queryset=Timeslot.objects.none(),
        empty_label=None,
        help_text="When notifications are sent.",
        error_messages={"required": "Choose a timeslot.", "invalid_choice": "Choose one of your timeslots."},
    )
    filters = forms.ModelMultipleChoiceField(
        label="Filters",
        queryset=Filter.objects.none(),
        help_text="Multiple filters increase precision, not recall. They are AND-ed together.",
        error_messages={
            "required": "Choose at least one filter.",
            "invalid_choice": "Choose among your own filters.",
        },
    )
    destinations = forms.ModelMultipleChoiceField(
        label="Destinations",
        queryset=DestinationConfig.objects.none(),
        required=False,
        help_text="Where notifications go; none is allowed.",
        error_messages={"invalid_choice": "Choose among your own destinations."},
    )
    active = forms.BooleanField(
        label="Active",
        required=False,
        help_text="No notifications are sent while a profile is inactive.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timeslot"].queryset = Timeslot.objects.filter(user=user)
        self.fields["filters"].queryset = Filter.objects.filter(user=user)
        self.fields["destinations"].queryset = DestinationConfig.objects.filter(user=user)

    def clean_name(self):
        return self.cleaned_data["name"].strip() or None

    def selected(self, name: str) -> set[str]:
        """The chosen values of a field as strings, for ticking the options again."""
        value = self[name].value()
        if value is None:
            return set()
        values = value if isinstance(value, (list, tuple)) else [value]
        return {str(getattr(item, "pk", item)) for item in values}


# --- timeslots -----------------------------------------------------------------------------------


def end_of_minute(value: datetime.time) -> datetime.time:
    """An end time entered as ``HH:MM``: minute 59 means up to the end of that minute (so 23:59 is
    the end of the day); any other minute is taken as it is, without seconds."""
    if value.minute == 59:
        return value.replace(second=59, microsecond=999999)
    return value.replace(second=0, microsecond=0)


class RecurrenceForm(forms.Form):
    """One recurrence; a row left completely empty is no recurrence."""

    days = forms.TypedMultipleChoiceField(
        label="Days",
        choices=TimeRecurrence.Day.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    start = forms.TimeField(
        label="Start",
        required=False,
        input_formats=TIME_FORMATS,
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
    )
    end = forms.TimeField(
        label="End",
        required=False,
        input_formats=TIME_FORMATS,
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
        help_text="An end at minute 59 lasts to the end of that minute.",
    )

    def clean(self):
        data = super().clean()
        days, start, end = data.get("days"), data.get("start"), data.get("end")
        if self.errors:
            return data
        if not days and start is None and end is None:
            data["empty"] = True
            return data
        if not days:
            self.add_error("days", "Choose at least one day.")
        if start is None:
            self.add_error("start", "Enter a start time.")
        if end is None:
            self.add_error("end", "Enter an end time.")
        if start is not None and end is not None:
            start, end = start.replace(second=0, microsecond=0), end_of_minute(end)
            if start >= end:
                raise ValidationError("Start time must be before end time.")
            data["start"], data["end"] = start, end
        return data

    def recurrence(self) -> dict | None:
        """The recurrence for ``timeslot_create``/``timeslot_update``; None for an empty row."""
        data = getattr(self, "cleaned_data", None) or {}
        if not data or data.get("DELETE") or data.get("empty"):  # an untouched extra row has no data
            return None
        return {
            "days": sorted(self.cleaned_data["days"]),
            "start": self.cleaned_data["start"],
            "end": self.cleaned_data["end"],
        }


RecurrenceFormSet = forms.formset_factory(
    RecurrenceForm,
    extra=0,
    can_delete=True,
    max_num=MAX_RECURRENCES,
    absolute_max=MAX_RECURRENCES,
    validate_max=True,
)


class TimeslotForm(forms.Form):
    name = forms.CharField(label="Name", max_length=NAME_MAX_LENGTH)


def recurrence_initial(timeslot: Timeslot | None) -> list[dict]:
    """The formset rows of a timeslot's recurrences; one empty row for a new timeslot."""
    if timeslot is None:
        return [{}]
    rows = [
        {"days": list(recurrence.days), "start": recurrence.start, "end": recurrence.end}
        for recurrence in timeslot.time_recurrences.all()
    ]
    return rows or [{}]


def with_extra_row(data, prefix: str):
    """The posted formset data with room for one more row (the no-script "Add recurrence" button)."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        total = int(data.get(key, 0))
    except ValueError:
        total = 0
    data[key] = str(min(total + 1, MAX_RECURRENCES))
    return data


# --- destinations --------------------------------------------------------------------------------

SETTINGS_PREFIX = "settings_"


def _settings_field(name: str, schema: Mapping, required: bool) -> forms.Field:
    """A form field for one property of a medium's settings schema (strings unless it says else)."""
    label = schema.get("title") or name.replace("_", " ").capitalize()
    help_text = schema.get("description", "")
    kind = schema.get("type")
    if schema.get("enum"):
        choices = [(value, value) for value in schema["enum"]]
        return forms.ChoiceField(label=label, help_text=help_text, required=required, choices=choices)
    if kind == "boolean":
        return forms.BooleanField(label=label, help_text=help_text, required=False)
    if kind == "integer":
        return forms.IntegerField(label=label, help_text=help_text, required=required)
    if kind == "number":
        return forms.FloatField(label=label, help_text=help_text, required=required)
    return forms.CharField(label=label, help_text=help_text, required=required, max_length=2000)


def settings_properties(medium: type[NotificationMedium]) -> dict:
    schema = medium.MEDIA_JSON_SCHEMA or {}
    properties = schema.get("properties")
    return dict(properties) if isinstance(properties, Mapping) else {}


class DestinationForm(forms.Form):
    """A destination of one medium: a name (label) and the settings its plugin's schema lists.

    The plugin's ``validate`` cleans the settings, as for the API. On an update, unchanged settings
    are not validated again or saved (the synced email destination keeps its address).
    """

    label = forms.CharField(
        label="Name",
        required=False,
        max_length=LABEL_MAX_LENGTH,
        help_text="Optional, for you to recognise it.",
    )

    def __init__(
        self,
        *args,
        medium: type[NotificationMedium],
        user,
        destination: DestinationConfig | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.medium = medium
        self.user = user
        self.destination = destination
        properties = settings_properties(medium)
        required = set((medium.MEDIA_JSON_SCHEMA or {}).get("required") or [])
        self.setting_names = list(properties)
        for name, schema in properties.items():
            field = _settings_field(name, schema if isinstance(schema, Mapping) else {}, name in required)
            self.fields[SETTINGS_PREFIX + name] = field
            if destination is not None:
                # Write-only values (a webhook secret) are shown masked: the page never holds them.
                self.initial.setdefault(SETTINGS_PREFIX + name, destination.shown_settings.get(name))
        if destination is not None:
            self.initial.setdefault("label", destination.label or "")

    def setting_fields(self):
        return [self[SETTINGS_PREFIX + name] for name in self.setting_names]

    def clean_label(self):
        return self.cleaned_data["label"].strip() or None

    def _raw_settings(self) -> dict:
        raw = {}
        for name in self.setting_names:
            value = self.cleaned_data.get(SETTINGS_PREFIX + name)
            if isinstance(value, str):
                value = value.strip()
            if value not in (None, ""):
                raw[name] = value
        return raw

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        raw = self._raw_settings()
        if self.destination is not None:
            stored = {name: self.destination.shown_settings.get(name) for name in self.setting_names}
            stored = {name: value for name, value in stored.items() if value not in (None, "")}
            if raw == stored:
                data["settings"] = None  # unchanged: keep what is stored
                return data
        body = {"media": self.medium.MEDIA_SLUG, "label": data.get("label"), "settings": raw}
        try:
            data["settings"] = self.medium.validate(
                SimpleNamespace(instance=self.destination), body, self.user
            )
        except ApiValidationError as error:
            self._add_api_errors(error.detail)
        return data

    def _add_api_errors(self, detail) -> None:
        """The plugin's errors on the fields they name; the others above the form."""
        if not isinstance(detail, Mapping):
            detail = {"non_field_errors": detail if isinstance(detail, list) else [detail]}
        for key, messages in detail.items():
            messages = messages if isinstance(messages, list) else [messages]
            field = SETTINGS_PREFIX + str(key)
            for message in messages:
                if field in self.fields:
                    self.add_error(field, str(message))
                elif key == "label":
                    self.add_error("label", str(message))
                else:
                    self.add_error(None, str(message))
