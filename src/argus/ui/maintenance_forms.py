"""The form of a planned maintenance task. It validates and shapes; the views hand the cleaned data to
:mod:`argus.plannedmaintenance.services`, whose refusals become errors of this form.

Times are entered in the user's time zone: the views build, validate and render the form inside
``timezone.override`` of it, so the datetime fields read and show local times.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from argus.notificationprofile.models import Filter
from argus.plannedmaintenance.choices import DESCRIPTION_MAX_LENGTH
from argus.util.ids import parse_pk

MAX_FILTERS = 100

DATETIME_INPUT_FORMATS = [
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
]


def _datetime_field(label: str, *, required: bool, help_text: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        input_formats=DATETIME_INPUT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": "Enter a date and time, like 2026-11-22 22:00."},
    )


class FiltersField(forms.Field):
    """Repeated filter pks (any user's) as a list of distinct Filter objects, in pk order; one query."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value if isinstance(value, (list, tuple)) else [value] if value else []
        pks = []
        for item in values:
            text = str(item).strip()
            if not text:
                continue
            pk = parse_pk(text)
            if pk is None:
                raise ValidationError(f"No such filter: {text[:40]}.")
            pks.append(pk)
        pks = list(dict.fromkeys(pks))
        if len(pks) > MAX_FILTERS:
            raise ValidationError(f"At most {MAX_FILTERS} filters.")
        if not pks:
            return []
        found = {filter_obj.pk: filter_obj for filter_obj in Filter.objects.filter(pk__in=pks)}
        missing = [str(pk) for pk in pks if pk not in found]
        if missing:
            raise ValidationError(f"No such filter: {', '.join(missing)}.")
        return [found[pk] for pk in sorted(found)]

    def validate(self, value):
        if self.required and not value:
            raise ValidationError("Choose at least one filter.", code="required")


class TaskForm(forms.Form):
    start_time = _datetime_field("Start time", required=True, help_text="Your time zone.")
    end_time = _datetime_field(
        "End time", required=False, help_text="Your time zone. Empty: until someone ends the task."
    )
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        help_text=f"Optional, at most {DESCRIPTION_MAX_LENGTH} characters.",
    )
    filters = FiltersField(
        label="Filters",
        help_text="Any user's saved filters. An incident is covered when it matches every one of them.",
    )
    notify_when_ended = forms.BooleanField(
        label="Notify when ended",
        required=False,
        help_text="When the task has ended, incidents it covered that are still open get an event "
        "(which notifies as usual).",
    )

    def __init__(self, *args, start_locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if start_locked:  # an ongoing task: its start is history and is not shown
            del self.fields["start_time"]

    def clean(self):
        data = super().clean()
        start, end = data.get("start_time"), data.get("end_time")
        if start is not None and end is not None and end <= start:
            self.add_error("end_time", "The end time must be after the start time.")
        return data

    def _text(self, name: str) -> str:
        """A datetime field's value as its input shows it (local time, to the minute)."""
        if name not in self.fields:
            return ""
        value = self[name].value()
        if value is None:
            return ""
        return self.fields[name].widget.format_value(value) or ""

    @property
    def start_text(self) -> str:
        return self._text("start_time")

    @property
    def end_text(self) -> str:
        return self._text("end_time")

    def selected(self) -> set[str]:
        """The chosen filters' pks as strings, for ticking their boxes again."""
        value = self["filters"].value()
        if value is None:
            return set()
        values = value if isinstance(value, (list, tuple)) else [value]
        return {str(getattr(item, "pk", item)) for item in values}
