"""What a filter, a profile and an event select: the one place that defines matching.

Used by the incident list (``filter_pk``, ``notificationprofile_pk``), filter preview, profile
incidents (all on the database, :func:`incidents_for_blob`) and by notification dispatch (on one
incident in memory, :func:`incident_matches_blob`). Both forms implement the same rules, kept equal
by a table test that runs every case both ways, so what a user previews is what gets sent:

* an *empty* blob selects nothing;
* ``sourceSystemIds``: the incident's source is one of them;
* ``source_types``: the type of the incident's source is one of them (a name that no longer
  names a type matches nothing);
* ``tags``: grouped by key, at least one value per key is on the incident (OR within a key, AND
  across keys); a tag without ``=`` can never match;
* ``open`` / ``acked`` / ``stateful``: ``true`` and ``false`` both mean what they say;
  stateless incidents are neither open nor closed;
* ``maxlevel``: ``level <= maxlevel``;
* ``event_types`` does not restrict incidents, only which events of a profile notify.

Keys a filter leaves unset are taken from the ``ARGUS_FALLBACK_FILTER`` setting (default ``{}``).

Dispatch: an active profile fires for event E on incident I when E's timestamp,
in the server time zone, is inside the profile's timeslot, *every* filter of the profile matches I,
and at least one filter has no ``event_types`` or lists E's type. The profile-incidents endpoint
instead takes the *union* of the profile's filters.
"""

from __future__ import annotations

import datetime
import functools
import secrets
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from argus.incident.choices import EventType
from argus.incident.models import Event, Incident, IncidentTagRelation
from argus.incident.queries import acked_q, closed_q, incident_is_acked, open_q
from argus.notificationprofile.filterblob import (
    ACKED,
    EVENT_TYPES,
    LIST_KEYS,
    MAXLEVEL,
    OPEN,
    SOURCE_SYSTEM_IDS,
    SOURCE_TYPES,
    STATEFUL,
    TAGS,
    is_empty_blob,
    source_ids_of,
    source_types_of,
    tags_by_key,
)
from argus.notificationprofile.models import (
    DestinationConfig,
    Filter,
    MatchingConfigStamp,
    NotificationProfile,
    TimeRecurrence,
)

#: Event types that never notify.
NON_NOTIFYING_EVENT_TYPES = frozenset({EventType.INCIDENT_CHANGE})


# --- blobs ---------------------------------------------------------------------------------------


def fallback_filter() -> dict:
    return dict(settings.ARGUS_FALLBACK_FILTER or {})


def effective_blob(blob: Mapping | None, fallback: Mapping | None = None) -> dict:
    """The blob with unset keys taken from the fallback filter (``event_types`` never falls back)."""
    blob = dict(blob or {})
    fallback = fallback_filter() if fallback is None else fallback
    for key, value in fallback.items():
        if key == EVENT_TYPES:
            continue
        if key in LIST_KEYS or key == MAXLEVEL:
            if not blob.get(key):
                blob[key] = value
        elif blob.get(key) is None:
            blob[key] = value
    return blob


def incidents_for_blob(queryset: QuerySet, blob: Mapping | None, *, now=None) -> QuerySet:
    """The incidents of ``queryset`` a blob selects, as a filtered queryset."""
    blob = effective_blob(blob)
    if is_empty_blob(blob):
        return queryset.none()
    return queryset.filter(blob_q(blob, now=now))


def blob_q(blob: Mapping, *, now=None) -> Q:
    """The WHERE condition of a (non-empty, already effective) blob on Incident."""
    now = now or timezone.now()
    condition = Q()
    if blob.get(SOURCE_SYSTEM_IDS):
        condition &= Q(source_id__in=source_ids_of(blob))
    if blob.get(SOURCE_TYPES):
        condition &= Q(source__type_id__in=source_types_of(blob))
    tags = blob.get(TAGS)
    if tags:
        grouped = tags_by_key(tags)
        if grouped is None:
            return Q(pk__in=[])
        for key, values in grouped.items():
            condition &= Q(
                Exists(
                    IncidentTagRelation.objects.filter(
                        incident=OuterRef("pk"), tag__key=key, tag__value__in=sorted(values)
                    )
                )
            )
    if blob.get(OPEN) is True:
        condition &= open_q(now)
    elif blob.get(OPEN) is False:
        condition &= closed_q(now)
    if blob.get(ACKED) is not None:
        condition &= acked_q(now) if blob[ACKED] else ~acked_q(now)
    if blob.get(STATEFUL) is not None:
        condition &= Q(end_time__isnull=not blob[STATEFUL])
    maxlevel = blob.get(MAXLEVEL)
    if maxlevel:
        condition &= Q(level__lte=maxlevel)
    return condition


def incidents_for_filter(queryset: QuerySet, filter_obj: Filter) -> QuerySet:
    """The incidents a stored filter selects (incident list ``filter_pk``, filter preview)."""
    return incidents_for_blob(queryset, filter_obj.filter)


def incidents_for_profile(queryset: QuerySet, profile: NotificationProfile) -> QuerySet:
    """Union over the profile's filters (timeslot and ``active`` are ignored)."""
    now = timezone.now()
    fallback = fallback_filter()
    condition = None
    for filter_obj in profile.filters.all():
        blob = effective_blob(filter_obj.filter, fallback)
        if is_empty_blob(blob):
            continue
        q = blob_q(blob, now=now)
        condition = q if condition is None else condition | q
    if condition is None:
        return queryset.none()
    return queryset.filter(condition)


# --- one incident in memory ------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentFacts:
    """What the filter keys look at, read once per event."""

    source_id: int
    source_type: str
    level: int
    tags: frozenset[tuple[str, str]]
    open: bool
    closed: bool
    acked: bool
    stateful: bool

    @classmethod
    def of(cls, incident: Incident, *, now=None) -> IncidentFacts:
        now = now or timezone.now()
        relations = getattr(incident, "_prefetched_objects_cache", {}).get("incident_tag_relations")
        if relations is None:
            relations = incident.incident_tag_relations.select_related("tag")
        tags = frozenset((relation.tag.key, relation.tag.value) for relation in relations)
        stateful = incident.end_time is not None
        return cls(
            source_id=incident.source_id,
            source_type=incident.source.type_id,
            level=incident.level,
            tags=tags,
            open=stateful and incident.end_time > now,
            closed=stateful and incident.end_time <= now,
            acked=incident_is_acked(incident, now),
            stateful=stateful,
        )


def incident_matches_blob(facts: IncidentFacts, blob: Mapping | None, *, fallback=None) -> bool:
    """The in-memory twin of :func:`incidents_for_blob` for one incident.

    Written flat because dispatch runs it for every filter of every active profile per event.
    """
    if fallback is None:
        fallback = fallback_filter()
    if fallback:
        blob = effective_blob(blob, fallback)
    if not blob:
        return False
    selective = False
    source_ids = blob.get(SOURCE_SYSTEM_IDS)
    if source_ids:
        if facts.source_id not in source_ids:
            return False
        selective = True
    source_types = blob.get(SOURCE_TYPES)
    if source_types:
        if facts.source_type not in source_types_of(blob):
            return False
        selective = True
    tags = blob.get(TAGS)
    if tags:
        grouped = _cached_tags_by_key(tuple(tags))
        if grouped is None:
            return False
        for key, values in grouped:
            if not any((key, value) in facts.tags for value in values):
                return False
        selective = True
    value = blob.get(OPEN)
    if value is not None:
        if not (facts.open if value else facts.closed):
            return False
        selective = True
    value = blob.get(ACKED)
    if value is not None:
        if facts.acked is not bool(value):
            return False
        selective = True
    value = blob.get(STATEFUL)
    if value is not None:
        if facts.stateful is not bool(value):
            return False
        selective = True
    maxlevel = blob.get(MAXLEVEL)
    if maxlevel:
        if facts.level > maxlevel:
            return False
        selective = True
    # A blob with nothing selective is empty (matches nothing) unless it lists event types.
    return selective or bool(blob.get(EVENT_TYPES))


@functools.lru_cache(maxsize=4096)
def _cached_tags_by_key(tags: tuple) -> tuple | None:
    grouped = tags_by_key(tags)
    return None if grouped is None else tuple((key, tuple(values)) for key, values in grouped.items())


def blob_allows_event_type(blob: Mapping | None, event_type: str) -> bool:
    event_types = (blob or {}).get(EVENT_TYPES)
    return not event_types or event_type in event_types


# --- timeslots -------------------------------------------------------------------------------------


def server_time_zone() -> datetime.tzinfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_moment(moment: datetime.datetime) -> datetime.datetime:
    """``moment`` in the configured server zone (DST-aware), whatever zone is active right now."""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, server_time_zone())
    return moment.astimezone(server_time_zone())


def recurrence_contains(recurrence: TimeRecurrence, local: datetime.datetime) -> bool:
    """Weekday in ``days`` and ``start <= time <= end``, both bounds inclusive."""
    return (
        local.isoweekday() in (recurrence.days or ()) and recurrence.start <= local.time() <= recurrence.end
    )


def timeslot_contains(timeslot, moment: datetime.datetime) -> bool:
    local = local_moment(moment)
    return any(recurrence_contains(recurrence, local) for recurrence in timeslot.time_recurrences.all())


# --- dispatch --------------------------------------------------------------------------------------


def blobs_fire(blobs: Sequence, facts: IncidentFacts, event_type: str, *, fallback=None) -> bool:
    """A profile's filter blobs fire: AND for the incident, OR for the event type; none never fire."""
    if not blobs:
        return False
    if not all(incident_matches_blob(facts, blob, fallback=fallback) for blob in blobs):
        return False
    return any(blob_allows_event_type(blob, event_type) for blob in blobs)


@dataclass(frozen=True)
class MatchingTables:
    """What matching reads from the profile tables, as plain tuples and indexes.

    ``recurrences``: (timeslot id, ISO weekdays, start, end) of every time recurrence.
    ``profiles``: profile id -> (timeslot id, decoded filter blobs) of every active profile with
    filters. ``untagged``: the profiles none of whose blobs requires tags; ``by_tag``: (key, value)
    -> the other profiles, each listed under the values of the first tag key of one of its
    tag-requiring blobs, so only profiles that share a tag with the incident need evaluating (a
    profile fires only if every blob matches, and that blob needs one of those values). Profiles
    with a tag that can never match (no ``=``) are in neither: they never fire.
    """

    recurrences: tuple
    profiles: dict
    untagged: tuple
    by_tag: dict

    @classmethod
    def build(cls, recurrences, profile_blob_rows) -> MatchingTables:
        profiles: dict[int, tuple[int, list]] = {}
        for profile_id, timeslot_id, blob in profile_blob_rows:
            profiles.setdefault(profile_id, (timeslot_id, []))[1].append(blob)
        untagged, by_tag = [], {}
        for profile_id, (_timeslot_id, blobs) in profiles.items():
            tagged = [blob for blob in blobs if isinstance(blob, Mapping) and blob.get(TAGS)]
            if not tagged:
                untagged.append(profile_id)
                continue
            grouped = _cached_tags_by_key(tuple(tagged[0][TAGS]))
            if grouped is None:
                continue
            key, values = grouped[0]
            for value in values:
                by_tag.setdefault((key, value), []).append(profile_id)
        return cls(
            recurrences=tuple(recurrences),
            profiles={pk: (timeslot_id, tuple(blobs)) for pk, (timeslot_id, blobs) in profiles.items()},
            untagged=tuple(untagged),
            by_tag={pair: tuple(ids) for pair, ids in by_tag.items()},
        )

    def candidates(self, tags) -> set[int]:
        """The profiles that can fire for an incident with these (key, value) tags."""
        found = set(self.untagged)
        for pair in tags:
            found.update(self.by_tag.get(pair, ()))
        return found


_cached_tables: tuple[int, MatchingTables] | None = None
#: Databases on which migration 0003 installs the stamp triggers.
STAMPED_VENDORS = ("postgresql", "sqlite")


def _stamp_token() -> int | None:
    token = MatchingConfigStamp.objects.filter(pk=1).values_list("token", flat=True).first()
    if token is None and connection.vendor in STAMPED_VENDORS:
        # The row went (a flushed database): a new one with a token no cache can hold.
        stamp, _created = MatchingConfigStamp.objects.get_or_create(
            pk=1, defaults={"token": secrets.randbits(62)}
        )
        token = stamp.token
    return token


def matching_tables() -> MatchingTables:
    """The matching tables, from memory while the configuration stamp says nothing changed.

    Database triggers give :class:`MatchingConfigStamp` a new random token whenever a profile,
    filter link, filter, timeslot or time recurrence is written, however it is written; the token
    is read *before* the tables, so a cached copy is never older than its token. On databases
    without the triggers (not PostgreSQL or SQLite) nothing is cached.
    """
    global _cached_tables
    token = _stamp_token()
    cached = _cached_tables
    if token is not None and cached is not None and cached[0] == token:
        return cached[1]
    recurrences = tuple(
        (timeslot_id, frozenset(days or ()), start, end)
        for timeslot_id, days, start, end in TimeRecurrence.objects.values_list(
            "timeslot_id", "days", "start", "end"
        )
    )
    rows = (
        NotificationProfile.filters.through.objects.filter(notificationprofile__active=True)
        .values_list("notificationprofile_id", "notificationprofile__timeslot_id", "filter__filter")
        .order_by("notificationprofile_id", "filter_id")
    )
    tables = MatchingTables.build(recurrences, rows)
    _cached_tables = (token, tables) if token is not None else None
    return tables


def firing_profile_ids(event: Event, *, now=None, tables: MatchingTables | None = None) -> list[int]:
    """Ids of the active profiles that fire for ``event``, in ascending order.

    Works on :func:`matching_tables` (in memory; pass ``tables`` to match many events against one
    read of the stamp): the timeslots with a recurrence whose clock range and weekday hold the
    event time, then the filter blobs of the active profiles on those timeslots that share a tag
    with the incident (or require none).
    """
    if event.type in NON_NOTIFYING_EVENT_TYPES:
        return []
    local = local_moment(event.timestamp)
    clock, weekday = local.time(), local.isoweekday()
    tables = tables or matching_tables()
    timeslot_ids = {
        timeslot_id
        for timeslot_id, days, start, end in tables.recurrences
        if start <= clock <= end and weekday in days
    }
    if not timeslot_ids:
        return []
    facts = IncidentFacts.of(event.incident, now=now)
    fallback = fallback_filter()
    firing = []
    for profile_id in tables.candidates(facts.tags):
        timeslot_id, blobs = tables.profiles[profile_id]
        if timeslot_id in timeslot_ids and blobs_fire(blobs, facts, event.type, fallback=fallback):
            firing.append(profile_id)
    return sorted(firing)


def _events_for_matching() -> QuerySet:
    return Event.objects.select_related("incident__source__type", "actor").prefetch_related(
        Prefetch(
            "incident__incident_tag_relations",
            queryset=IncidentTagRelation.objects.select_related("tag"),
        )
    )


def load_event(event_id: int) -> Event | None:
    """The event with everything matching and rendering read: incident (with ``acked``), source, tags."""
    return _events_for_matching().filter(pk=event_id).first()


def load_events(event_ids: Sequence[int]) -> dict[int, Event]:
    """:func:`load_event` for many events in two queries: event id -> event (missing ids left out)."""
    return {event.pk: event for event in _events_for_matching().filter(pk__in=list(event_ids))}


def profiles_for_event(event: Event, *, now=None) -> list[NotificationProfile]:
    """Every active profile (any user) that fires for ``event`` by the dispatch rules, pk order."""
    ids = firing_profile_ids(event, now=now)
    if not ids:
        return []
    destinations = DestinationConfig.objects.select_related("media").order_by("id")
    return list(
        NotificationProfile.objects.filter(pk__in=ids)
        .prefetch_related(Prefetch("destinations", queryset=destinations))
        .order_by("id")
    )


def destinations_for_event(event: Event, *, now=None) -> list[DestinationConfig]:
    """All destinations of all firing profiles, once each, in pk order.

    Per-address de-duplication (across users) is done by each medium.
    """
    return destinations_for_events([event], now=now)[0]


def destinations_for_events(events: Sequence[Event], *, now=None) -> list[list[DestinationConfig]]:
    """:func:`destinations_for_event` of each event, with one read of the tables and one query."""
    tables = matching_tables() if events else None
    firing = [firing_profile_ids(event, now=now, tables=tables) for event in events]
    profile_ids = {profile_id for ids in firing for profile_id in ids}
    if not profile_ids:
        return [[] for _event in events]
    links = NotificationProfile.destinations.through.objects.filter(
        notificationprofile_id__in=sorted(profile_ids)
    ).select_related("destinationconfig__media", "destinationconfig__user")
    by_profile: dict[int, list[DestinationConfig]] = {}
    for link in links:
        by_profile.setdefault(link.notificationprofile_id, []).append(link.destinationconfig)
    result = []
    for ids in firing:
        unique = {destination.pk: destination for pk in ids for destination in by_profile.get(pk, ())}
        result.append([unique[pk] for pk in sorted(unique)])
    return result
