"""Planned maintenance tasks in the admin: list, filters, search, "End selected tasks now".

Every change goes through :mod:`argus.plannedmaintenance.services`, with the API's rules: a task
ended more than 12 hours ago is shown read-only, only future tasks can be deleted (single or
"delete selected"), a refusal is shown on the form or as a message. The incidents a task covered
are shown as a count linking to the incident list, never as a widget listing them all.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from argus.incident.admin.list_filters import YesNoFilter
from argus.incident.admin.refusals import ServiceRefusalsMixin
from argus.plannedmaintenance import services
from argus.plannedmaintenance.errors import (
    EndTimeNotAfterStartTime,
    EndTimeNotInFuture,
    FiltersNotFound,
    StartTimeLocked,
    TaskNotModifiable,
)
from argus.plannedmaintenance.models import PlannedMaintenanceTask
from argus.plannedmaintenance.queries import current_q, future_q, past_q, task_is_modifiable, task_state
from argus.util.datetime_utils import INFINITY, INFINITY_REPR, is_infinite

#: The fields a person edits, in form order.
EDITABLE_FIELDS = ["created_by", "start_time", "end_time", "description", "filters", "notify_when_ended"]


class PlannedMaintenanceTaskForm(forms.ModelForm):
    """The end as date + time; left empty it is infinity (until someone ends the task)."""

    end_time = forms.SplitDateTimeField(
        required=False,
        widget=admin.widgets.AdminSplitDateTime,
        help_text="Leave empty for no planned end (infinity): the task lasts until someone ends it.",
    )

    class Meta:
        model = PlannedMaintenanceTask
        fields = EDITABLE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "end_time" in self.fields and is_infinite(self.initial.get("end_time")):
            self.initial["end_time"] = None

    def clean_end_time(self):
        return self.cleaned_data.get("end_time") or INFINITY


class StateFilter(YesNoFilter):
    state_q = None

    def yes_q(self):
        return type(self).state_q()


class FutureFilter(StateFilter):
    title = "future"
    parameter_name = "future"
    state_q = staticmethod(future_q)


class CurrentFilter(StateFilter):
    title = "current"
    parameter_name = "current"
    state_q = staticmethod(current_q)


class PastFilter(StateFilter):
    title = "past"
    parameter_name = "past"
    state_q = staticmethod(past_q)


def _numbers(tasks) -> str:
    return ", ".join(f"#{task.pk}" for task in tasks)


@admin.register(PlannedMaintenanceTask)
class PlannedMaintenanceTaskAdmin(ServiceRefusalsMixin, admin.ModelAdmin):
    form = PlannedMaintenanceTaskForm
    list_display = [
        "__str__",
        "created_by",
        "created",
        "start_time",
        "end_time_display",
        "description",
        "state",
    ]
    list_filter = [("created_by", admin.RelatedOnlyFieldListFilter), FutureFilter, CurrentFilter, PastFilter]
    search_fields = [
        "description",
        "created_by__username",
        "created_by__first_name",
        "created_by__last_name",
        "filters__name",
        "filters__user__username",
    ]
    ordering = ["start_time"]
    autocomplete_fields = ["filters"]
    raw_id_fields = ["created_by"]
    readonly_fields = ["created", "linked_incidents"]
    actions = ["end_now"]
    refusal_fields = {
        EndTimeNotAfterStartTime: "end_time",
        EndTimeNotInFuture: "end_time",
        StartTimeLocked: "start_time",
        FiltersNotFound: "filters",
        TaskNotModifiable: None,
    }

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")

    def get_fields(self, request, obj=None):
        return [*EDITABLE_FIELDS, "created", "linked_incidents"] if obj is not None else EDITABLE_FIELDS

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not task_is_modifiable(obj):
            return [*EDITABLE_FIELDS, "created", "linked_incidents"]  # history now
        return self.readonly_fields

    def get_changeform_initial_data(self, request):
        return {"created_by": request.user.pk, **super().get_changeform_initial_data(request)}

    @admin.display(description="End time", ordering="end_time")
    def end_time_display(self, task):
        return INFINITY_REPR if is_infinite(task.end_time) else task.end_time

    @admin.display(description="State")
    def state(self, task):
        return task_state(task).label

    @admin.display(description="Linked incidents")
    def linked_incidents(self, task):
        """How many incidents the task covered while current, linking to them in the incident list."""
        if task is None or task.pk is None:
            return "-"
        count = task.links.count()
        url = reverse("admin:argus_incident_incident_changelist") + f"?maintenance_tasks__id__exact={task.pk}"
        return format_html('<a href="{}">{} incident(s)</a>', url, count)

    # --- writing through the services ---

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data[field] for field in EDITABLE_FIELDS if field in form.cleaned_data}
        if change:
            if form.has_changed():
                services.task_update(task=obj, data=data)
            return
        task = services.task_create(**data)
        obj.pk, obj.created = task.pk, task.created
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        """The filters were set by the service."""

    def delete_model(self, request, obj):
        services.task_delete(task=obj)

    def delete_queryset(self, request, queryset):
        services.tasks_delete(tasks=list(queryset))

    @admin.action(description="End selected tasks now", permissions=["change"])
    def end_now(self, request, queryset):
        result = services.tasks_end(tasks=list(queryset))
        if result.ended:
            self.message_user(request, f"Ended {_numbers(result.ended)}.", messages.SUCCESS)
        if result.future:
            self.message_user(
                request,
                f"Not started yet, left alone (delete them instead): {_numbers(result.future)}.",
                messages.WARNING,
            )
        if result.past:
            self.message_user(request, f"Already ended: {_numbers(result.past)}.", messages.WARNING)
