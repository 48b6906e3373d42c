"""Shapes and validation of /api/v2/plannedmaintenance/.

The answer (:class:`PlannedMaintenanceTaskSerializer`) is declared once: its fields give the
OpenAPI schema, its ``to_representation`` is the plain-dict function the views render with. The
request serializers shape and validate input; the rules (window, modifiable, start locked) are in
:mod:`argus.plannedmaintenance.services`.
"""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from argus.incident.api.fields import ArgusDateTimeField
from argus.incident.api.serializers import EndTimeField, StorableDateTimeField
from argus.incident.api.shapes import ActorSerializer, IncidentSerializer
from argus.notificationprofile.api.serializers import FilterSerializer
from argus.notificationprofile.models import Filter
from argus.plannedmaintenance.choices import DESCRIPTION_MAX_LENGTH, TaskState
from argus.plannedmaintenance.models import PlannedMaintenanceTask
from argus.plannedmaintenance.queries import task_is_modifiable, task_state
from argus.util.datetime_utils import INFINITY, datetime_to_api

#: How many covered incidents a preview shows by default, and at most.
DEFAULT_PREVIEW_LIMIT = 5
MAX_PREVIEW_LIMIT = 100


def task_to_dict(task: PlannedMaintenanceTask, now=None) -> dict:
    """A task as the API shows it (key order is part of the contract)."""
    now = now or timezone.now()
    creator = task.created_by
    return {
        "pk": task.pk,
        "created_by": None if creator is None else {"pk": creator.pk, "username": creator.get_username()},
        "created": datetime_to_api(task.created),
        "start_time": datetime_to_api(task.start_time),
        "end_time": datetime_to_api(task.end_time),
        "description": task.description,
        "filters": [FilterSerializer(filter_obj).data for filter_obj in task.filters.all()],
        "notify_when_ended": task.notify_when_ended,
        "state": task_state(task, now).value,
        "modifiable": task_is_modifiable(task, now),
    }


class PlannedMaintenanceTaskSerializer(serializers.Serializer):
    """A planned maintenance task: while it is current, events on the incidents it covers notify nobody."""

    pk = serializers.IntegerField()
    created_by = ActorSerializer(allow_null=True, help_text="Null when that user was deleted.")
    created = ArgusDateTimeField()
    start_time = ArgusDateTimeField()
    end_time = EndTimeField(help_text='"infinity" while the task has no planned end.')
    description = serializers.CharField(allow_blank=True)
    filters = FilterSerializer(many=True, help_text="An incident is covered when it matches every filter.")
    notify_when_ended = serializers.BooleanField()
    state = serializers.ChoiceField(
        choices=TaskState.choices, help_text="future, current (start <= now <= end) or past."
    )
    modifiable = serializers.BooleanField(help_text="False once the task ended more than 12 hours ago.")

    def to_representation(self, instance):
        return task_to_dict(instance)


class FilterListField(serializers.PrimaryKeyRelatedField):
    """Filter pks of any user."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Filter.objects.all(), **kwargs)


#: What a PUT that omits these fields sets them to.
PUT_DEFAULTS = {"end_time": INFINITY, "description": "", "notify_when_ended": True}


class PlannedMaintenanceTaskInputSerializer(serializers.Serializer):
    """A task to create (``filters`` needed; ``start_time`` defaults to now) or change.

    ``end_time`` omitted or null means "infinity" (until someone ends the task). PUT needs
    ``start_time`` and ``filters``, PATCH takes any of the fields.
    """

    schema_name = "PlannedMaintenanceTaskInput"

    start_time = StorableDateTimeField(required=False)
    end_time = EndTimeField(required=False)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
    filters = FilterListField(many=True, allow_empty=False)
    notify_when_ended = serializers.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.method == "PUT":
            # A replacement: what it omits takes the defaults of a new task.
            self.fields["start_time"].required = True
            for name, default in PUT_DEFAULTS.items():
                self.fields[name].default = default


class PreviewInputSerializer(serializers.Serializer):
    """Which filters a task would have, and how many of the covered incidents to show."""

    schema_name = "PlannedMaintenancePreviewInput"

    filters = FilterListField(many=True, allow_empty=False)
    limit = serializers.IntegerField(
        required=False, default=DEFAULT_PREVIEW_LIMIT, min_value=0, max_value=MAX_PREVIEW_LIMIT
    )


class PreviewSerializer(serializers.Serializer):
    """What a task with these filters would cover now."""

    schema_name = "PlannedMaintenancePreview"

    open_incidents = serializers.IntegerField(help_text="All open incidents.")
    matching = serializers.IntegerField(help_text="The open incidents matching every filter.")
    incidents = IncidentSerializer(many=True, help_text="The newest of those, at most `limit`.")
