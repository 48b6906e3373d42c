"""What a planned maintenance task covers, and which events it silences.

A task T covers incident I at time t when t is inside T's window (both bounds inclusive) and I
matches *every* filter of T, by the matching rules of :mod:`argus.notificationprofile.matching`
(the same code as dispatch, previews and the incident list), except that:

* ``event_types`` is ignored (a window silences every event type), so a filter that only lists
  event types selects nothing here;
* ``ARGUS_FALLBACK_FILTER`` is not applied;
* a task without filters (its only filter's owner was deleted) covers nothing, and silences
  nothing.

An event E on incident I is **silenced** when some task with filters has E's own timestamp inside
its window and either covers I (I's state as the dispatcher reads it) or has I in its link table:
a linked incident stays silenced for the whole window whatever its state becomes (an ``open:
true`` filter would otherwise let the END of a silenced incident through).

Both forms exist, as for matching: :func:`blobs_cover` on one incident in memory (dispatch,
linking on change) and :func:`covered_q` in the database (linking a task, preview, the still-open
notice); the coverage table test runs both.
"""

from __future__ import annotations

import datetime
import functools
import json
import operator
from collections.abc import Mapping, Sequence

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from argus.incident.models import Event, Incident
from argus.incident.queries import incidents_for_representation, open_q
from argus.notificationprofile.filterblob import EVENT_TYPES, is_empty_blob
from argus.notificationprofile.matching import IncidentFacts, blob_q, incident_matches_blob
from argus.notificationprofile.models import Filter
from argus.plannedmaintenance.models import PlannedMaintenanceLink, PlannedMaintenanceTask

#: Nothing: the condition of a task that covers nothing.
NOTHING = Q(pk__in=[])


def coverage_blob(blob: Mapping | None) -> dict:
    """The part of a filter blob that coverage reads (all but ``event_types``)."""
    return {key: value for key, value in (blob or {}).items() if key != EVENT_TYPES}


def blobs_cover(facts: IncidentFacts, blobs: Sequence) -> bool:
    """The incident matches every blob (no blobs: covers nothing). In memory, as dispatch matches."""
    return covers(facts, [coverage_blob(blob) for blob in blobs])


def covers(facts: IncidentFacts, coverage_blobs: Sequence[dict]) -> bool:
    """:func:`blobs_cover` of blobs already reduced by :func:`coverage_blob`."""
    if not coverage_blobs:
        return False
    return all(incident_matches_blob(facts, blob, fallback={}) for blob in coverage_blobs)


def covered_q(blobs: Sequence, *, now=None) -> Q:
    """The database twin of :func:`blobs_cover`: a condition on Incident."""
    now = now or timezone.now()
    condition = Q()
    for blob in blobs:
        blob = coverage_blob(blob)
        if is_empty_blob(blob):
            return NOTHING
        condition &= blob_q(blob, now=now)
    return condition if blobs else NOTHING


def covered_incidents(blobs: Sequence, *, now=None) -> QuerySet:
    """The open incidents that ``blobs`` (a task's filters) cover now."""
    now = now or timezone.now()
    return Incident.objects.filter(open_q(now)).filter(covered_q(blobs, now=now))


# --- the tasks and their filters --------------------------------------------------------------------


def task_blobs(condition: Q) -> dict[int, dict]:
    """Tasks matching ``condition`` that have filters: task id -> {"start", "end", "blobs",
    "coverage"} (``coverage``: the blobs reduced by :func:`coverage_blob`).

    One query over the task/filter table joined with both, whatever the number of tasks.
    """
    through = PlannedMaintenanceTask.filters.through
    rows = (
        through.objects.filter(plannedmaintenancetask__in=PlannedMaintenanceTask.objects.filter(condition))
        .values_list(
            "plannedmaintenancetask_id",
            "plannedmaintenancetask__start_time",
            "plannedmaintenancetask__end_time",
            "filter__filter",
        )
        .order_by("plannedmaintenancetask_id", "filter_id")
    )
    tasks: dict[int, dict] = {}
    for task_id, start, end, blob in rows:
        task = tasks.setdefault(task_id, {"start": start, "end": end, "blobs": [], "coverage": []})
        task["blobs"].append(blob)
        task["coverage"].append(coverage_blob(blob))
    return tasks


def current_task_blobs(*, now=None) -> dict[int, dict]:
    """The current tasks that have filters: task id -> {"blobs", "coverage"}.

    One statement, written by hand because it runs on every change of an incident (linking):
    building the equivalent ORM query cost several times the query itself.
    """
    now = now or timezone.now()
    moment = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(_current_tasks_sql(connection.vendor), [moment, moment])
        rows = cursor.fetchall()
    tasks: dict[int, dict] = {}
    for task_id, blob in rows:
        if isinstance(blob, (str, bytes)):
            blob, coverage = _decoded(blob)
        else:
            coverage = coverage_blob(blob)
        task = tasks.setdefault(task_id, {"blobs": [], "coverage": []})
        task["blobs"].append(blob)
        task["coverage"].append(coverage)
    return tasks


@functools.cache
def _current_tasks_sql(vendor: str) -> str:
    """The statement of :func:`current_task_blobs` (names quoted as ``vendor`` quotes them)."""
    quote = connection.ops.quote_name
    through = PlannedMaintenanceTask.filters.through._meta
    return (
        "SELECT tf.{task_id}, f.{blob} FROM {through} tf "
        "INNER JOIN {task} t ON t.{id} = tf.{task_id} INNER JOIN {filter} f ON f.{id} = tf.{filter_id} "
        "WHERE t.{start} <= %s AND t.{end} >= %s ORDER BY tf.{task_id}, tf.{filter_id}"
    ).format(
        through=quote(through.db_table),
        task=quote(PlannedMaintenanceTask._meta.db_table),
        filter=quote(Filter._meta.db_table),
        task_id=quote(through.get_field("plannedmaintenancetask").column),
        filter_id=quote(through.get_field("filter").column),
        id=quote("id"),
        blob=quote("filter"),
        start=quote("start_time"),
        end=quote("end_time"),
    )


@functools.lru_cache(maxsize=1024)
def _decoded(text: str | bytes) -> tuple[dict, dict]:
    """A stored blob's JSON text decoded, and its coverage part (shared: callers do not change them)."""
    blob = json.loads(text)
    return blob, coverage_blob(blob)


def blobs_of_filters(filters) -> list:
    return [filter_obj.filter for filter_obj in filters]


# --- silencing (notification dispatch) --------------------------------------------------------------


#: Timestamps of a batch closer than this are looked up as one span (one condition, not one each).
SPAN_GAP = datetime.timedelta(minutes=1)


def timestamp_spans(
    moments: Sequence[datetime.datetime],
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The sorted ``moments`` grouped into (first, last) spans with no gap over :data:`SPAN_GAP`."""
    spans: list[list] = []
    for moment in sorted(moments):
        if spans and moment - spans[-1][1] <= SPAN_GAP:
            spans[-1][1] = moment
        else:
            spans.append([moment, moment])
    return [(first, last) for first, last in spans]


def overlapping_q(spans) -> Q:
    """Tasks whose window overlaps one of the spans (an index range on ``end_time`` each)."""
    return functools.reduce(
        operator.or_, (Q(start_time__lte=last, end_time__gte=first) for first, last in spans)
    )


def silencing_tasks(events: Sequence[Event], *, now=None) -> dict[int, list[int]]:
    """Event id -> ids of the tasks that silence it (ascending), for the silenced events only.

    Only the tasks whose window holds one of the events' timestamps are read (those overlapping
    the span of timestamps a minute apart or less: one condition for the usual batch of events a
    few seconds old): one indexed query for the whole batch (none when ``events`` is empty), and
    one more for their links to the events' incidents when there are such tasks. ``events`` have
    their incident, its source and tags loaded (as the worker loads them).
    """
    if not events:
        return {}
    tasks = task_blobs(overlapping_q(timestamp_spans({event.timestamp for event in events})))
    if not tasks:
        return {}
    now = now or timezone.now()
    incident_ids = {event.incident_id for event in events}
    linked = set(
        PlannedMaintenanceLink.objects.filter(
            task_id__in=list(tasks), incident_id__in=incident_ids
        ).values_list("task_id", "incident_id")
    )
    facts: dict[int, IncidentFacts] = {}
    silenced = {}
    ordered = sorted(tasks.items())
    for event in events:
        ids = []
        for task_id, task in ordered:
            if not task["start"] <= event.timestamp <= task["end"]:
                continue
            if (task_id, event.incident_id) in linked:
                ids.append(task_id)
                continue
            if event.incident_id not in facts:
                facts[event.incident_id] = IncidentFacts.of(event.incident, now=now)
            if covers(facts[event.incident_id], task["coverage"]):
                ids.append(task_id)
        if ids:
            silenced[event.pk] = ids
    return silenced


# --- preview --------------------------------------------------------------------------------------


def maintenance_preview(*, filters, limit: int, now=None) -> dict:
    """What a task with these filters would cover now: the number of open incidents, the number of
    those covered, and the newest ``limit`` covered ones (ready for the v2 representation)."""
    now = now or timezone.now()
    open_incidents = Incident.objects.filter(open_q(now))
    covered = covered_incidents(blobs_of_filters(filters), now=now)
    newest = incidents_for_representation(covered, now=now).order_by("-start_time", "-pk")
    return {
        "open_incidents": open_incidents.count(),
        "matching": covered.count(),
        "incidents": list(newest[:limit]) if limit else [],
    }
