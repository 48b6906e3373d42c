"""Dead-source incidents: Argus opens one when a monitored source falls silent, and ends it when
the source is back (``sync_heartbeat_incidents``, every minute).

Such an incident belongs to Argus' own source ``argus``: stateful, level 4, tagged
``problem_type=missing_heartbeat`` and ``source_system_id=<pk>``, with a normal STA event, so
it is listed, pushed and notified like any incident. It starts at the due time of the missed
heartbeat, and its ``source_incident_id`` (``missing_heartbeat-<pk>-<due time in Unix
seconds>``) is unique per source system, so two runs at once create it once: the loser's
insert meets the unique constraint and is skipped. Both ways go through the incident services
(``incident_create``, ``incident_end``).
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from argus.incident.choices import LivenessState
from argus.incident.errors import DuplicateSourceIncidentId
from argus.incident.liveness import liveness
from argus.incident.models import Incident, SourceSystem
from argus.incident.queries import open_q, tagged_q
from argus.incident.services import ARGUS_SOURCE_NAME, argus_source_ensure, incident_create, incident_end
from argus.incident.token_expiry import SOURCE_TAG_KEY
from argus.util.datetime_utils import INFINITY, datetime_to_api
from argus.util.ids import parse_pk

logger = logging.getLogger(__name__)

PROBLEM_TYPE = "missing_heartbeat"
INCIDENT_LEVEL = 4


@dataclass
class SyncResult:
    created: list[Incident] = field(default_factory=list)
    #: (incident, why it was closed)
    closed: list[tuple[Incident, str]] = field(default_factory=list)
    remaining: list[Incident] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.created or self.closed or self.remaining)


def heartbeat_incidents_q() -> Q:
    """Incidents raised for missing heartbeats (tag ``problem_type=missing_heartbeat``)."""
    return tagged_q("problem_type", PROBLEM_TYPE)


def open_heartbeat_incidents(now=None):
    """The open dead-source incidents, oldest first, with their tags."""
    return (
        Incident.objects.filter(source__name=ARGUS_SOURCE_NAME, source__type_id=ARGUS_SOURCE_NAME)
        .filter(open_q(now), heartbeat_incidents_q())
        .prefetch_related("incident_tag_relations__tag")
        .order_by("start_time", "pk")
    )


def source_incident_id(source: SourceSystem, due: datetime.datetime) -> str:
    return f"{PROBLEM_TYPE}-{source.pk}-{int(due.timestamp())}"


def _source_tag_values(incident: Incident) -> list[str]:
    return [
        relation.tag.value
        for relation in incident.incident_tag_relations.all()
        if relation.tag.key == SOURCE_TAG_KEY
    ]


def dead_source_incident_create(*, source: SourceSystem, due: datetime.datetime) -> Incident | None:
    """The incident for ``source``, whose heartbeat was due at ``due``; None when a concurrent run
    (or an earlier one, since closed by hand) already made it."""
    argus = argus_source_ensure()
    try:
        return incident_create(
            actor=argus.user,
            source=argus,
            start_time=due,
            end_time=INFINITY,
            source_incident_id=source_incident_id(source, due),
            description=f"Missing heartbeat from source {source}, dead?",
            level=INCIDENT_LEVEL,
            metadata={
                "last_seen": datetime_to_api(source.last_seen),
                "heartbeat_frequency": int(source.heartbeat_frequency.total_seconds()),
            },
            tags=[("problem_type", PROBLEM_TYPE), (SOURCE_TAG_KEY, str(source.pk))],
        )
    except DuplicateSourceIncidentId:
        return None


def _close(result: SyncResult, incident: Incident, *, timestamp, description: str) -> None:
    argus = argus_source_ensure()
    if incident_end(incident=incident, actor=argus.user, timestamp=timestamp, description=description):
        result.closed.append((incident, description))


def sync_heartbeat_incidents(now: datetime.datetime | None = None) -> SyncResult:
    """Open an incident for every dead source that has none, end those whose source is alive
    again, unmonitored or gone; idempotent, safe to run concurrently."""
    now = now or timezone.now()
    result = SyncResult()
    by_source: dict[int, list[Incident]] = defaultdict(list)
    for incident in open_heartbeat_incidents(now):
        values = _source_tag_values(incident)
        if not values:
            _close(
                result,
                incident,
                timestamp=now,
                description=f"The source tag of incident {incident.pk} is missing, closing",
            )
        elif len(values) > 1:
            logger.error(
                "Heartbeat incident %s has several %s tags (%s); left open",
                incident.pk,
                SOURCE_TAG_KEY,
                ", ".join(values),
            )
            result.remaining.append(incident)
        else:
            by_source[parse_pk(values[0]) or 0].append(incident)

    sources = SourceSystem.objects.filter(Q(heartbeat_frequency__isnull=False) | Q(pk__in=list(by_source)))
    watched = {source.pk: source for source in sources.select_related("type")}

    for source_pk, incidents in by_source.items():
        kept, *extra = incidents  # oldest first
        for duplicate in extra:
            logger.error(
                "Source %s has several open heartbeat incidents; %s is kept, %s left alone",
                source_pk,
                kept.pk,
                duplicate.pk,
            )
            result.remaining.append(duplicate)
        source = watched.get(source_pk)
        if source is None:
            _close(
                result, kept, timestamp=now, description=f"The source of incident {kept.pk} is gone, closing"
            )
            continue
        state = liveness(source, now).state
        if state == LivenessState.DEAD:
            result.remaining.append(kept)
        elif state == LivenessState.OFF:
            _close(
                result,
                kept,
                timestamp=now,
                description=f'Heartbeat monitoring turned off for source "{source}"',
            )
        else:
            # Back since its last_seen; a frequency raised by hand can make a source alive without
            # a new sighting, and an incident cannot end before it started: then now.
            back = source.last_seen
            timestamp = back if back is not None and kept.start_time <= back <= now else now
            _close(
                result, kept, timestamp=timestamp, description=f'Source "{source}" is again alive and well'
            )

    for source in watched.values():
        if source.pk in by_source or source.heartbeat_frequency is None:
            continue
        state = liveness(source, now)
        if state.state == LivenessState.DEAD:
            incident = dead_source_incident_create(source=source, due=state.next_heartbeat_due)
            if incident is not None:
                result.created.append(incident)
    return result
