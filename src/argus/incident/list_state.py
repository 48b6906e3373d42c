"""What the incident lists filter on, kept where an index can serve it.

Two filters decide whether a list page costs a hundred rows or tens of thousands at a million
incidents: "open" and "has this tag". Computed only from ``Incident.end_time`` and the tag
relations, PostgreSQL finds an open, unacknowledged page with a broad tag by walking every incident
that carries the tag (50,000 for a tag on 1 in 20 incidents) to keep the few open ones. So:

* ``Incident.may_be_open``: whether ``end_time`` was after the moment it was written. An incident
  open now was open then (its end time is still ahead), so "open" is ``may_be_open AND end_time >
  now``, exact, and the first half matches the partial index ``incident_open_start``: an open list
  reads only (possibly) open incidents, newest first. An end time that was ahead and has passed
  leaves the flag true, which costs an index entry and is never wrong; ``True`` is the default,
  so a row written around the services (a fixture, a factory) is safe too.
* ``IncidentTagRelation.incident_start_time`` and ``incident_may_be_open``: copies of the incident's
  ``start_time`` and ``may_be_open`` on each of its tag relations. A list filtered by one tag
  reads the tag's relations newest first from ``tagrelation_tag_start`` (or, for open incidents,
  from the partial ``tagrelation_tag_open_start``) and stops after a page, whatever the tag's
  share of incidents (see :func:`argus.incident.api.filters.filter_tags`).

Who keeps them: the services of :mod:`argus.incident.services` that write ``end_time`` or
``start_time`` (:func:`end_time_fields` / :func:`set_end_time`, then :func:`copy_to_tag_relations`
in the same transaction) and every writer of tag relations (:func:`new_tag_relation`). There are
no model signals. Code that writes these rows another way (raw SQL, ``bench/preload.py``) sets the
copies itself; the test factory does too.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from argus.incident.models import Incident, IncidentTagRelation, Tag


def is_open_when_written(end_time: datetime.datetime | None, now: datetime.datetime) -> bool:
    """``may_be_open`` for an end time written at ``now``."""
    return end_time is not None and end_time > now


def end_time_fields(end_time: datetime.datetime | None, now: datetime.datetime | None = None) -> dict:
    """The column values that writing ``end_time`` sets (for ``QuerySet.update``)."""
    return {"end_time": end_time, "may_be_open": is_open_when_written(end_time, now or timezone.now())}


def set_end_time(incident: Incident, end_time, now: datetime.datetime | None = None) -> list[str]:
    """Set ``incident.end_time`` and what derives from it; returns the fields to save.

    The caller saves the incident and then calls :func:`copy_to_tag_relations` in its transaction.
    """
    for field, value in end_time_fields(end_time, now).items():
        setattr(incident, field, value)
    return ["end_time", "may_be_open"]


def new_tag_relation(*, incident: Incident, tag: Tag, added_by, added_time) -> IncidentTagRelation:
    """An unsaved tag relation carrying the incident's copies (for ``bulk_create``)."""
    return IncidentTagRelation(
        incident=incident,
        tag=tag,
        added_by=added_by,
        added_time=added_time,
        incident_start_time=incident.start_time,
        incident_may_be_open=incident.may_be_open,
    )


def copy_to_tag_relations(incident_ids: Iterable[int]) -> None:
    """Copy ``start_time`` and ``may_be_open`` of these incidents onto their tag relations (one
    UPDATE), after a service changed them."""
    ids = sorted({int(pk) for pk in incident_ids})
    if not ids:
        return
    incident = Incident.objects.filter(pk=OuterRef("incident_id"))
    IncidentTagRelation.objects.filter(incident_id__in=ids).update(
        incident_start_time=Subquery(incident.values("start_time")[:1]),
        incident_may_be_open=Subquery(incident.values("may_be_open")[:1]),
    )
