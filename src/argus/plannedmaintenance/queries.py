"""Reads of planned maintenance: which tasks are future, current or past, which incidents are under
maintenance, which tasks keep a filter from being deleted.

Every state is judged against one moment ``now`` with inclusive bounds: *future* ``start_time >
now``, *current* ``start_time <= now <= end_time``, *past* ``end_time < now``. An incident is
*under maintenance* while it is linked to a current task.
"""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from argus.notificationprofile.models import Filter
from argus.plannedmaintenance.choices import MODIFIABLE_AFTER_END, TaskState
from argus.plannedmaintenance.models import PlannedMaintenanceLink, PlannedMaintenanceTask


def window_holds_q(moment: datetime.datetime, prefix: str = "") -> Q:
    """Tasks whose window holds ``moment`` (``prefix``: the path to the task, e.g. ``"task__"``)."""
    return Q(**{f"{prefix}start_time__lte": moment, f"{prefix}end_time__gte": moment})


def future_q(now=None) -> Q:
    return Q(start_time__gt=now or timezone.now())


def current_q(now=None) -> Q:
    return window_holds_q(now or timezone.now())


def past_q(now=None) -> Q:
    return Q(end_time__lt=now or timezone.now())


STATE_Q = {TaskState.FUTURE: future_q, TaskState.CURRENT: current_q, TaskState.PAST: past_q}


def state_q(state: str, now=None) -> Q:
    return STATE_Q[TaskState(state)](now or timezone.now())


def not_past_q(now=None) -> Q:
    """Future or current tasks."""
    return Q(end_time__gte=now or timezone.now())


def task_state(task: PlannedMaintenanceTask, now=None) -> TaskState:
    now = now or timezone.now()
    if task.start_time > now:
        return TaskState.FUTURE
    if task.end_time < now:
        return TaskState.PAST
    return TaskState.CURRENT


def task_is_modifiable(task: PlannedMaintenanceTask, now=None) -> bool:
    """A task can be changed until 12 hours after its end."""
    return task.end_time > (now or timezone.now()) - MODIFIABLE_AFTER_END


def tasks_for_representation(queryset: QuerySet | None = None) -> QuerySet:
    """Tasks with their creator and filters (pk order) loaded: two queries for any number."""
    if queryset is None:
        queryset = PlannedMaintenanceTask.objects.all()
    return queryset.select_related("created_by").prefetch_related(
        Prefetch("filters", queryset=Filter.objects.order_by("pk"))
    )


def under_maintenance_q(now=None) -> Q:
    """Incidents linked to at least one current task (a semi-join on the link table's incident index)."""
    links = PlannedMaintenanceLink.objects.filter(window_holds_q(now or timezone.now(), "task__"))
    return Q(Exists(links.filter(incident=OuterRef("pk"))))


def tasks_keeping_filter(filter_id: int, now=None) -> list[int]:
    """Ids of the future or current tasks that use the filter (it cannot be deleted then), in order."""
    return list(
        PlannedMaintenanceTask.objects.filter(not_past_q(now), filters=filter_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
