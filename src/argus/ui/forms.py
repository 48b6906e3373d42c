"""Forms of the UI's writes. They validate and shape; the views hand the result to the services."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils import timezone

from argus.incident.choices import MAX_HEARTBEAT_FREQUENCY, MIN_HEARTBEAT_FREQUENCY
from argus.incident.models import (
    HEARTBEAT_FREQUENCY_TOO_LONG,
    SourceSystemType,
    validate_heartbeat_frequency,
    validate_lowercase,
)
from argus.incident.tags import InvalidTag, parse_tag
from argus.ui import conf
from argus.ui.columns import layouts
from argus.ui.preferences import timezone_names
from argus.util.ids import parse_pk

MAX_IDS = 1000


class IncidentIdsField(forms.Field):
    """``incident_ids`` (repeated, or comma-separated) as a list of distinct positive integers."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value if isinstance(value, (list, tuple)) else [value] if value else []
        ids = []
        for item in values:
            for part in str(item).split(","):
                part = part.strip()
                if not part:
                    continue
                pk = parse_pk(part)
                if pk is None:
                    raise ValidationError("Incident ids are whole numbers.")
                ids.append(pk)
        ids = list(dict.fromkeys(ids))
        if len(ids) > MAX_IDS:
            raise ValidationError(f"At most {MAX_IDS} incidents at a time.")
        return ids


class SelectionForm(forms.Form):
    incident_ids = IncidentIdsField(required=False)
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class AckForm(SelectionForm):
    description = forms.CharField(
        label="Message", widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000
    )
    expiration = forms.DateTimeField(
        label="Expiration",
        required=False,
        help_text="Optional: the acknowledgement ends then (your time zone).",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=[
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d",
        ],
    )

    def __init__(self, *args, tz: datetime.tzinfo | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = tz

    def clean_expiration(self):
        value = self.cleaned_data.get("expiration")
        if value is None:
            return None
        if self.tz is not None and timezone.is_aware(value):
            value = timezone.make_aware(timezone.make_naive(value), self.tz)
        if value <= timezone.now():
            raise ValidationError("The expiration must be in the future.")
        return value


class MessageForm(SelectionForm):
    description = forms.CharField(
        label="Message", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000
    )


class TicketForm(SelectionForm):
    ticket_url = forms.URLField(
        label="Ticket URL",
        required=False,
        assume_scheme="https",
        max_length=2000,
        help_text="Leave empty to remove the ticket.",
    )


class AddTicketForm(SelectionForm):
    ticket_url = forms.URLField(label="Ticket URL", assume_scheme="https", max_length=2000)


class ConfirmForm(SelectionForm):
    pass


class TagForm(forms.Form):
    tag = forms.CharField(
        label="Tag",
        strip=False,
        help_text="key=value; the key has lower-case letters, digits and underscores.",
    )

    def clean_tag(self):
        """The (key, value) pair, by the one tag parser's rules (an empty value is a tag too)."""
        try:
            return parse_tag(self.cleaned_data["tag"])
        except InvalidTag as error:
            raise ValidationError(error.message, code=error.code) from None


def _choices(values):
    return [(value, value) for value in values]


UPDATE_INTERVAL_LABELS = {"live": "Live (pushed at once)", "never": "Never"}


class PreferencesForm(forms.Form):
    """Every preference; a post may carry any subset (the page saves each choice on change)."""

    theme = forms.ChoiceField(label="Theme", required=False)
    datetime_format_name = forms.ChoiceField(
        label="Date format", required=False, choices=_choices(conf.DATETIME_FORMATS)
    )
    timezone = forms.ChoiceField(label="Time zone", required=False)
    page_size = forms.TypedChoiceField(label="Page size", required=False, coerce=int)
    update_interval = forms.ChoiceField(label="Update interval", required=False)
    incidents_table_layout = forms.ChoiceField(
        label="Incidents table layout", required=False, choices=_choices(conf.TABLE_LAYOUTS)
    )
    incidents_table_column_name = forms.ChoiceField(label="Table column preset", required=False)
    keyboard_shortcuts = forms.TypedChoiceField(
        label="Keyboard shortcuts",
        required=False,
        choices=[("on", "On"), ("off", "Off")],
        coerce=lambda value: value == "on",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].choices = _choices(conf.themes())
        self.fields["timezone"].choices = _choices(timezone_names())
        self.fields["page_size"].choices = [(size, str(size)) for size in conf.page_sizes()]
        self.fields["update_interval"].choices = [
            (value, UPDATE_INTERVAL_LABELS.get(value, f"Every {value} s"))
            for value in conf.update_intervals()
        ]
        self.fields["incidents_table_column_name"].choices = _choices(layouts())

    def changes(self) -> dict:
        """The fields this post carried, cleaned."""
        return {
            name: self.cleaned_data[name]
            for name in self.fields
            if name in self.data and self.data.get(name) != ""
        }


HEARTBEAT_FREQUENCY_NOT_SECONDS = "Enter a whole number of seconds."


class HeartbeatFrequencyField(forms.Field):
    """How often a source must report, in whole seconds (60 to 86400, both inclusive); empty: not
    monitored. Cleaned to a ``timedelta`` or None; the limits and their messages are the model's,
    as in the API."""

    widget = forms.NumberInput(
        attrs={
            "min": int(MIN_HEARTBEAT_FREQUENCY.total_seconds()),
            "max": int(MAX_HEARTBEAT_FREQUENCY.total_seconds()),
            "step": 1,
        }
    )
    default_validators = [validate_heartbeat_frequency]

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Heartbeat frequency (seconds)")
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            "How often the source promises to report: 60 to 86400 seconds (1 day); empty: not monitored.",
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        if value is None or isinstance(value, datetime.timedelta):
            return value
        text = str(value).strip()
        if not text:
            return None
        if not text.isascii() or not text.isdigit():
            raise ValidationError(HEARTBEAT_FREQUENCY_NOT_SECONDS, code="invalid")
        try:
            return datetime.timedelta(seconds=int(text))
        except (ValueError, OverflowError):  # too many digits for int() or timedelta: too long anyway
            raise ValidationError(HEARTBEAT_FREQUENCY_TOO_LONG, code="max_value") from None

    def prepare_value(self, value):
        if isinstance(value, datetime.timedelta):
            return int(value.total_seconds())
        return value


class SourceEditForm(forms.Form):
    """What can change on a source after creation: never its system user."""

    name = forms.CharField(label="Name", max_length=1000)
    type = forms.ModelChoiceField(
        label="Type", queryset=SourceSystemType.objects.order_by("name"), to_field_name="name"
    )
    base_url = forms.CharField(
        label="Base URL",
        required=False,
        max_length=2000,
        help_text="Relative details URLs of its incidents are resolved against it.",
    )
    heartbeat_frequency = HeartbeatFrequencyField()


class SourceForm(SourceEditForm):
    """A new source: the fields of an edit, and the username of its system user."""

    username = forms.CharField(
        label="Username",
        required=False,
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="Of the source's system user; the source's name when left empty.",
    )


class SourceTypeForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200, help_text="Lower-case letters.")

    def clean_name(self):
        name = self.cleaned_data["name"]
        try:
            validate_lowercase(name)
        except ValidationError:
            raise ValidationError("Use lower-case letters only.") from None
        return name
