"""The link table: which incidents each task covered while it was current.

An open incident is linked to every current task covering it (:mod:`argus.plannedmaintenance.coverage`):

* when it is created or changed, by the incident services in the change's own transaction
  (:func:`link_incidents`; one query when no task is current);
* when a task is saved while current, by the maintenance services in the same transaction
  (:func:`link_task`);
* by ``check_started_maintenance`` (:func:`link_current_tasks`), for tasks that became current by
  the passage of time.

Links are history and are never removed by time (deleting a task or an incident removes its
links). Inserts ignore existing links, so concurrent linkers never make a duplicate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import Exists, OuterRef
from django.utils import timezone

from argus.incident.models import Incident
from argus.incident.queries import tag_relations_prefetch
from argus.notificationprofile.matching import IncidentFacts
from argus.plannedmaintenance.coverage import covered_incidents, covers, current_task_blobs
from argus.plannedmaintenance.models import PlannedMaintenanceLink

#: Links inserted per statement.
LINK_BATCH_SIZE = 1000


def _insert(pairs: Iterable[tuple[int, int]], now) -> None:
    PlannedMaintenanceLink.objects.bulk_create(
        [
            PlannedMaintenanceLink(task_id=task_id, incident_id=incident_id, linked_at=now)
            for task_id, incident_id in pairs
        ],
        ignore_conflicts=True,
        batch_size=LINK_BATCH_SIZE,
    )


def link_incidents(
    *, incidents: Sequence[Incident] = (), incident_ids: Iterable[int] = (), now=None, tasks=None
) -> int:
    """Link these incidents (objects with source and tags loaded, and/or ids) to the current tasks
    covering them; the number of (task, incident) pairs found.

    Costs one query when no task is current (none when the caller read them already: ``tasks``,
    what :func:`current_task_blobs` returned); otherwise the incidents given by id are read (two
    queries) and matched in memory against the current tasks' filters.
    """
    now = now or timezone.now()
    ids = set(incident_ids) - {incident.pk for incident in incidents}
    if not incidents and not ids:
        return 0
    if tasks is None:
        tasks = current_task_blobs(now=now)
    if not tasks:
        return 0
    loaded = list(incidents)
    if ids:
        loaded += (
            Incident.objects.filter(pk__in=sorted(ids))
            .select_related("source")
            .prefetch_related(tag_relations_prefetch())
        )
    pairs = []
    for incident in loaded:
        if incident.end_time is None or incident.end_time <= now:  # only open incidents are linked
            continue
        facts = IncidentFacts.of(incident, now=now)
        pairs += [
            (task_id, incident.pk) for task_id, task in tasks.items() if covers(facts, task["coverage"])
        ]
    if pairs:
        _insert(pairs, now)
    return len(pairs)


def link_task(*, task_id: int, blobs: Sequence, now=None) -> int:
    """Link every open incident the task (with filter blobs ``blobs``) covers now and is not linked
    to yet; the number of new links (database form: any number of incidents)."""
    now = now or timezone.now()
    already = PlannedMaintenanceLink.objects.filter(task_id=task_id, incident=OuterRef("pk"))
    new = list(
        covered_incidents(blobs, now=now).exclude(Exists(already)).order_by("pk").values_list("pk", flat=True)
    )
    _insert(((task_id, incident_id) for incident_id in new), now)
    return len(new)


def link_current_tasks(*, now=None) -> tuple[int, int]:
    """Link the open incidents every current task covers: (new links, current tasks with filters)."""
    now = now or timezone.now()
    tasks = current_task_blobs(now=now)
    linked = sum(link_task(task_id=task_id, blobs=task["blobs"], now=now) for task_id, task in tasks.items())
    return linked, len(tasks)
