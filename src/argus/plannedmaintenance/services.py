"""Every state change of planned maintenance tasks.

One function per change, keyword arguments, one transaction each; the API, the admin and the
management commands call these. The rules:

* a task ends strictly after it starts (also a database constraint), and a new task ends in the
  future; the end may be "infinity" (until someone ends it);
* a task can be changed (or ended) until 12 hours after its end; its start only while it is
  still in the future;
* only future tasks can be deleted; current ones are ended (:func:`task_end`), past ones are
  history;
* a task saved while current links the incidents it covers at once, in the same transaction
  (:func:`argus.plannedmaintenance.links.link_task`); links are never removed by time;
* when a task with ``notify_when_ended`` has ended, the incidents it covered that are still open
  (and not silenced by another current task) get one ``OTH`` event by Argus' own user, once per
  task (:func:`ended_tasks_announce`); moving the end back into the future lets it happen again.

Refusals raise the errors of :mod:`argus.plannedmaintenance.errors`. A filter used by a future or
current task cannot be deleted: ``argus.notificationprofile.services.filter_check_deletable``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from argus.incident.choices import EventType
from argus.incident.models import Incident
from argus.incident.queries import open_q
from argus.incident.services import argus_source_ensure, bulk_event_create
from argus.notificationprofile.models import Filter
from argus.plannedmaintenance.choices import TaskState
from argus.plannedmaintenance.coverage import blobs_of_filters, covered_q, current_task_blobs
from argus.plannedmaintenance.errors import (
    EndTimeNotAfterStartTime,
    EndTimeNotInFuture,
    FiltersNotFound,
    StartTimeLocked,
    TaskAlreadyEnded,
    TaskNotDeletable,
    TaskNotModifiable,
    TaskNotStarted,
)
from argus.plannedmaintenance.links import link_current_tasks, link_task
from argus.plannedmaintenance.models import PlannedMaintenanceLink, PlannedMaintenanceTask
from argus.plannedmaintenance.queries import task_is_modifiable, task_state
from argus.util.datetime_utils import INFINITY

#: What can be changed on a task (``task_update``'s ``data`` keys).
UPDATABLE_FIELDS = ("start_time", "end_time", "description", "filters", "notify_when_ended", "created_by")


def still_open_notice(task_id: int) -> str:
    """The description of the event an incident still open at the end of a task gets."""
    return f"Planned maintenance #{task_id} has ended; the incident is still open."


def _locked_filters(filters: Iterable[Filter]) -> list[Filter]:
    """The filters, locked until the transaction ends (a concurrent deletion waits, then is refused)."""
    wanted = sorted({filter_obj.pk for filter_obj in filters})
    found = list(Filter.objects.select_for_update().filter(pk__in=wanted).order_by("pk"))
    missing = sorted(set(wanted) - {filter_obj.pk for filter_obj in found})
    if missing:
        raise FiltersNotFound(missing)
    return found


def _link_if_current(task: PlannedMaintenanceTask, filters: list[Filter], now) -> None:
    if task_state(task, now) == TaskState.CURRENT:
        link_task(task_id=task.pk, blobs=blobs_of_filters(filters), now=now)


def _check_window(start_time, end_time) -> None:
    if end_time <= start_time:
        raise EndTimeNotAfterStartTime()


def task_create(
    *,
    created_by,
    filters: Iterable[Filter],
    start_time: datetime.datetime | None = None,
    end_time: datetime.datetime | None = None,
    description: str = "",
    notify_when_ended: bool = True,
) -> PlannedMaintenanceTask:
    """A task from ``start_time`` (default now) to ``end_time`` (default/None: infinity).

    Refused: an end not after the start (:class:`EndTimeNotAfterStartTime`), an end not in the
    future (:class:`EndTimeNotInFuture`).
    """
    now = timezone.now()
    start_time = now if start_time is None else start_time
    end_time = INFINITY if end_time is None else end_time
    _check_window(start_time, end_time)
    if end_time <= now:
        raise EndTimeNotInFuture()
    with transaction.atomic():
        filters = _locked_filters(filters)
        task = PlannedMaintenanceTask.objects.create(
            created_by=created_by,
            created=now,
            start_time=start_time,
            end_time=end_time,
            description=description or "",
            notify_when_ended=notify_when_ended,
        )
        task.filters.set(filters)
        _link_if_current(task, filters, now)
    return task


def task_update(*, task: PlannedMaintenanceTask, data: dict) -> PlannedMaintenanceTask:
    """Change what ``data`` holds of :data:`UPDATABLE_FIELDS` (``filters``: the complete new set;
    ``end_time`` None: infinity).

    Refused, in this order: a task that ended more than 12 hours ago (:class:`TaskNotModifiable`),
    a new start of a task that has started (:class:`StartTimeLocked`; the unchanged value is
    fine), an end not after the start (:class:`EndTimeNotAfterStartTime`).
    """
    unknown = set(data) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not updatable: {', '.join(sorted(unknown))}")
    data = dict(data)
    if "end_time" in data and data["end_time"] is None:
        data["end_time"] = INFINITY
    if "description" in data:
        data["description"] = data["description"] or ""
    with transaction.atomic():
        task = PlannedMaintenanceTask.objects.select_for_update().get(pk=task.pk)
        now = timezone.now()
        if not task_is_modifiable(task, now):
            raise TaskNotModifiable()
        if "start_time" in data and data["start_time"] != task.start_time:
            if task_state(task, now) != TaskState.FUTURE:
                raise StartTimeLocked()
        _check_window(data.get("start_time", task.start_time), data.get("end_time", task.end_time))
        for field in ("start_time", "end_time", "description", "notify_when_ended", "created_by"):
            if field in data:
                setattr(task, field, data[field])
        if task.end_time > now:
            task.ended_notice_at = None  # ending (again) later: its still-open notice is still to come
        task.save()
        if "filters" in data:
            filters = _locked_filters(data["filters"])
            task.filters.set(filters)
        else:
            filters = list(task.filters.all())
        _link_if_current(task, filters, now)
    return task


def task_end(*, task: PlannedMaintenanceTask) -> PlannedMaintenanceTask:
    """End a current task now (``end_time := now``).

    Refused: a task that ended more than 12 hours ago (:class:`TaskNotModifiable`), a future task
    (:class:`TaskNotStarted`: delete it instead), a past one (:class:`TaskAlreadyEnded`).
    """
    with transaction.atomic():
        task = PlannedMaintenanceTask.objects.select_for_update().get(pk=task.pk)
        now = timezone.now()
        if not task_is_modifiable(task, now):
            raise TaskNotModifiable()
        state = task_state(task, now)
        if state == TaskState.FUTURE:
            raise TaskNotStarted()
        if state == TaskState.PAST:
            raise TaskAlreadyEnded()
        return _end_locked(task, now)


def _end_locked(task: PlannedMaintenanceTask, now) -> PlannedMaintenanceTask:
    """End a current task, locked by the caller's transaction, at ``now``."""
    # The end is strictly after the start, even for a task that started this very microsecond.
    task.end_time = max(now, task.start_time + datetime.timedelta(microseconds=1))
    task.save(update_fields=["end_time"])
    return task


@dataclass(frozen=True)
class Ended:
    """What :func:`tasks_end` did: the tasks it ended, and those it left alone (not current)."""

    ended: list[PlannedMaintenanceTask]
    future: list[PlannedMaintenanceTask]
    past: list[PlannedMaintenanceTask]


def tasks_end(*, tasks: Iterable[PlannedMaintenanceTask]) -> Ended:
    """End the current ones among ``tasks`` now (the admin's action); future and past ones are left
    as they are and reported."""
    ended, future, past = [], [], []
    with transaction.atomic():
        locked = PlannedMaintenanceTask.objects.select_for_update().filter(pk__in=[task.pk for task in tasks])
        for task in locked.order_by("pk"):
            now = timezone.now()
            state = task_state(task, now)
            if state == TaskState.CURRENT:  # so also modifiable: it has not ended
                ended.append(_end_locked(task, now))
            elif state == TaskState.FUTURE:
                future.append(task)
            else:
                past.append(task)
    return Ended(ended, future, past)


def tasks_delete(*, tasks: Iterable[PlannedMaintenanceTask]) -> None:
    """Delete future tasks; none is deleted when one of them has started (:class:`TaskNotDeletable`)."""
    with transaction.atomic():
        locked = list(
            PlannedMaintenanceTask.objects.select_for_update().filter(pk__in=[task.pk for task in tasks])
        )
        now = timezone.now()
        if any(task_state(task, now) != TaskState.FUTURE for task in locked):
            raise TaskNotDeletable()
        PlannedMaintenanceTask.objects.filter(pk__in=[task.pk for task in locked]).delete()


def task_delete(*, task: PlannedMaintenanceTask) -> None:
    tasks_delete(tasks=[task])


# --- the periodic checks ----------------------------------------------------------------------------


def current_tasks_link(*, now=None) -> tuple[int, int]:
    """Link the open incidents every current task covers (``check_started_maintenance``):
    (new links, current tasks). Idempotent; concurrent runs never link twice."""
    with transaction.atomic():
        return link_current_tasks(now=now or timezone.now())


def _silenced_by_a_current_task(now) -> Q:
    """Incidents a current task covers or has linked (an event for them would be silenced). The
    ended tasks being announced are never among them: they ended before ``now``."""
    others = current_task_blobs(now=now)
    if not others:
        return Q(pk__in=[])
    condition = Q(
        Exists(PlannedMaintenanceLink.objects.filter(task_id__in=list(others), incident=OuterRef("pk")))
    )
    for task in others.values():
        condition |= covered_q(task["blobs"], now=now)
    return condition


def ended_tasks_announce(*, now=None) -> tuple[int, int]:
    """The still-open notice (``check_ended_maintenance``): (tasks processed, events created).

    For every task with ``notify_when_ended`` that has ended and is not processed yet: each linked
    incident that is still open and not silenced by another current task gets one ``OTH`` event by
    Argus' own user, stamped now (after the task's end, so the task cannot silence it), which
    notifies as usual. Each task is claimed with one conditional ``UPDATE`` in its own transaction,
    so concurrent runs announce each task once.
    """
    now = now or timezone.now()
    due = Q(end_time__lt=now, notify_when_ended=True, ended_notice_at__isnull=True)
    pending = list(
        PlannedMaintenanceTask.objects.filter(due).order_by("end_time", "pk").values_list("pk", flat=True)
    )
    if not pending:
        return 0, 0
    actor = argus_source_ensure().user
    silenced = _silenced_by_a_current_task(now)
    processed = created = 0
    for task_id in pending:
        with transaction.atomic():
            if not PlannedMaintenanceTask.objects.filter(due, pk=task_id).update(ended_notice_at=now):
                continue  # another run took it, or it changed meanwhile
            processed += 1
            incidents = list(
                Incident.objects.filter(open_q(now), maintenance_tasks=task_id)
                .exclude(silenced)
                .order_by("pk")
            )
            if incidents:
                created += len(
                    bulk_event_create(
                        incidents=incidents,
                        actor=actor,
                        type=EventType.OTHER,
                        timestamp=now,
                        description=still_open_notice(task_id),
                    )
                )
    return processed, created
