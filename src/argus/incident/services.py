"""Every state change of incidents, events, acks, tags and source systems.

One function per change, keyword arguments, one transaction each. v1, v2, the admin and the
management commands all call these. Side effects (websocket broadcast, notification tasks) are
registered here with ``on_commit`` so they only happen for committed changes, and a reader sees
every effect of an action in one place.

Validation of request *shapes* belongs to serializers; the rules that depend on state (who may post
which event, duplicate source ids, tag ownership) live here and raise the domain errors of
:mod:`argus.incident.errors`; ``argus.incident.api.errors`` says how the API answers each, and
the admin shows their message.

Two rules that are easy to look for elsewhere live here too:

* every service that writes acknowledgements keeps ``Incident.acked_until`` current itself
  (:func:`argus.incident.acks.refresh_acked_until`); there are no model signals;
* every service that writes ``end_time`` or ``start_time``, or adds tag relations, keeps what the
  list filters read (``Incident.may_be_open``, the tag relations' copies) current itself
  (:mod:`argus.incident.list_state`);
* a source system gets its user and its token from :func:`source_system_create` (API, admin,
  ``create_source``); :func:`argus_source_ensure` makes Argus' own source;
* every change links the incidents to the current planned maintenance tasks covering them
  (:func:`argus.plannedmaintenance.links.link_incidents`, in the change's transaction).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import random
import secrets
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone
from rest_framework.authtoken.models import Token

from argus.auth.services import user_save
from argus.incident.acks import refresh_acked_until, refresh_acked_until_of
from argus.incident.broadcast import broadcast_after_commit
from argus.incident.choices import (
    ALLOWED_TYPES_FOR_END_USERS,
    ALLOWED_TYPES_FOR_SOURCE_SYSTEMS,
    CLOSING_TYPES,
    DEFAULT_INCIDENT_LEVEL,
    LAST_SEEN_RESOLUTION,
    MAX_INCIDENT_LEVEL,
    MIN_INCIDENT_LEVEL,
    EventType,
)
from argus.incident.errors import (
    DuplicateSourceIncidentId,
    EndTimeBeforeStartTime,
    EventNotAllowed,
    ExpiredAcknowledgement,
    InvalidSystemUsername,
    SourceSystemExists,
    SourceSystemInUse,
    SourceSystemTypeExists,
    TagRemovalNotAllowed,
)
from argus.incident.list_state import (
    copy_to_tag_relations,
    end_time_fields,
    is_open_when_written,
    new_tag_relation,
    set_end_time,
)
from argus.incident.models import (
    Acknowledgement,
    Event,
    Incident,
    IncidentTagRelation,
    SourceSystem,
    SourceSystemType,
    Tag,
)
from argus.incident.representation import incident_to_v2
from argus.incident.tags import check_tag, parse_tag
from argus.notificationprofile.dispatch import (
    PENDING_EVENT_FIELDS,
    enqueue_after_commit,
    pending_events,
    wake_workers_after_commit,
)
from argus.plannedmaintenance.coverage import current_task_blobs
from argus.plannedmaintenance.links import link_incidents
from argus.util import metrics
from argus.util.datetime_utils import INFINITY, datetime_to_api, is_infinite
from argus.util.inserts import can_insert_together, insert_objects, insert_objects_together

# --- side effects --------------------------------------------------------------------------------


def incidents_changed(change: str, incident_ids: Iterable[int]) -> None:
    """Every change of incidents ends here: link them to the current maintenance tasks covering
    them (in the transaction) and push their websocket frames (after commit)."""
    incident_ids = list(incident_ids)
    if change != "deleted":
        link_incidents(incident_ids=incident_ids)
    broadcast_after_commit(change, incident_ids)


def _notify(events: Iterable[Event]) -> None:
    event_ids = [event.pk for event in events if event.type != EventType.INCIDENT_CHANGE]
    if event_ids:
        enqueue_after_commit(event_ids)


def _events_recorded(events: list[Event]) -> None:
    """Every service that stores events ends with this: counted, and (but CHI) notified."""
    metrics.events_created(event.type for event in events)
    _notify(events)


# --- helpers -------------------------------------------------------------------------------------


def source_system_of(user) -> SourceSystem | None:
    """The user's source system, if any.

    A reverse one-to-one: free when token authentication joined it in, one query otherwise.
    """
    if not user.pk:
        return None
    try:
        return user.source_system
    except SourceSystem.DoesNotExist:
        return None


def user_is_source_system(user) -> bool:
    return source_system_of(user) is not None


def parse_tags(tags: Iterable) -> list[tuple[str, str]]:
    """``key=value`` strings (or (key, value) pairs) to checked, de-duplicated pairs in the given
    order; :class:`~argus.incident.tags.InvalidTag` (a Django ``ValidationError``) for a bad one."""
    pairs = []
    for tag in tags:
        if isinstance(tag, (tuple, list)):
            key, value = tag
            check_tag(key, value)
            pairs.append((key, value))
        else:
            pairs.append(parse_tag(tag))
    return list(dict.fromkeys(pairs))


#: Tags read or written per SQL statement. A lookup of many (key, value) pairs in one statement
#: overflows PostgreSQL's expression stack (10,000 pairs did) and SQLite's limit of 999 variables
#: in older versions; incidents with fewer tags (nearly all) keep their single statement.
TAG_BATCH_SIZE = 400


def get_or_create_tags(pairs: list[tuple[str, str]]) -> list[Tag]:
    """Tags for the pairs, creating missing ones; safe against concurrent creators."""
    if not pairs:
        return []
    existing = _existing_tags(pairs)
    missing = [Tag(key=key, value=value) for key, value in pairs if (key, value) not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True, batch_size=TAG_BATCH_SIZE)
        existing = _existing_tags(pairs)
    return [existing[pair] for pair in pairs]


def _existing_tags(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], Tag]:
    """The stored tags among ``pairs``: one statement per :data:`TAG_BATCH_SIZE` pairs (usually one)."""
    if len(pairs) <= TAG_BATCH_SIZE:
        return _existing_tags_statement(pairs)
    existing = {}
    for start in range(0, len(pairs), TAG_BATCH_SIZE):
        existing.update(_existing_tags_statement(pairs[start : start + TAG_BATCH_SIZE]))
    return existing


def _existing_tags_statement(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], Tag]:
    """One row-value ``IN`` lookup (PostgreSQL and SQLite alike).

    Hand-written because it runs on every incident creation: building the equivalent ORM query
    (an OR of key/value pairs) cost three times the query itself.
    """
    quote = connection.ops.quote_name
    sql = "SELECT {id}, {key}, {value} FROM {table} WHERE ({key}, {value}) IN ({pairs})".format(
        id=quote("id"),
        key=quote("key"),
        value=quote("value"),
        table=quote(Tag._meta.db_table),
        pairs=", ".join(["(%s, %s)"] * len(pairs)),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [part for pair in pairs for part in pair])
        rows = cursor.fetchall()
    fields = ["id", "key", "value"]
    return {(key, value): Tag.from_db(connection.alias, fields, (pk, key, value)) for pk, key, value in rows}


def _add_tag_relations(incident: Incident, tags: list[Tag], added_by) -> list[IncidentTagRelation]:
    """Relate ``tags`` to ``incident``; an existing relation is left as it is."""
    now = timezone.now()
    relations = [
        new_tag_relation(incident=incident, tag=tag, added_by=added_by, added_time=now) for tag in tags
    ]
    IncidentTagRelation.objects.bulk_create(relations, ignore_conflicts=True, batch_size=TAG_BATCH_SIZE)
    return relations


def _append_search_text(incident: Incident, description: str) -> bool:
    """Keep ``search_text`` holding every distinct event description."""
    if description and description not in incident.search_text:
        incident.search_text = f"{incident.search_text} {description}"
        return True
    return False


def _now_if_none(value):
    return timezone.now() if value is None else value


# --- incidents -----------------------------------------------------------------------------------

# Every column of a new row, for argus.util.inserts (the ingest path writes these without the
# ORM's per-statement compilation).
INCIDENT_INSERT_FIELDS = (
    "start_time",
    "end_time",
    "source",
    "source_incident_id",
    "details_url",
    "description",
    "level",
    "ticket_url",
    "metadata",
    "search_text",
    "acked_until",
    "may_be_open",
)
RELATION_INSERT_FIELDS = (
    "tag",
    "incident",
    "added_by",
    "added_time",
    "incident_start_time",
    "incident_may_be_open",
)
EVENT_INSERT_FIELDS = ("incident", "actor", "timestamp", "received", "type", "description")


def _change_event(incident: Incident, actor, now, description: str) -> Event:
    """An unsaved ``CHI`` event: what a correction of ``incident`` changed, said by ``actor``."""
    return Event(
        incident=incident, actor=actor, timestamp=now, type=EventType.INCIDENT_CHANGE, description=description
    )


def incident_create(
    *,
    actor,
    source: SourceSystem,
    start_time: datetime.datetime,
    end_time=INFINITY,
    source_incident_id: str = "",
    details_url: str = "",
    description: str = "",
    level: int = DEFAULT_INCIDENT_LEVEL,
    ticket_url: str = "",
    metadata=None,
    tags: Iterable = (),
) -> Incident:
    """Create an incident with its tags and first event (STA, or LES when stateless).

    The returned incident is ready for :mod:`argus.incident.representation` (tags prefetched),
    so neither the API response nor the websocket frame reads it back.

    On PostgreSQL the incident, its tag relations, its event and the event's pending-notification
    row are one statement (``argus.util.inserts.insert_objects_together``); called outside a
    transaction while no maintenance task is current, that statement is the whole write, with no
    ``BEGIN``/``COMMIT`` around it, and the tags are looked up (and missing ones made) before it
    in statements of their own: a tag left by a creation that then fails is harmless.
    """
    pairs = parse_tags(tags)
    source_incident_id = source_incident_id or ""
    together = can_insert_together() and len(pairs) <= TAG_BATCH_SIZE
    now = timezone.now()
    tasks = current_task_blobs(now=now)
    alone = together and not tasks and not connection.in_atomic_block
    try:
        with contextlib.nullcontext() if alone else transaction.atomic():
            tag_list = get_or_create_tags(pairs)
            incident = Incident(
                start_time=start_time,
                end_time=end_time,
                source=source,
                source_incident_id=source_incident_id,
                details_url=details_url or "",
                description=description or "",
                level=level,
                ticket_url=ticket_url or "",
                metadata={} if metadata is None else metadata,
                may_be_open=is_open_when_written(end_time, now),
            )
            _append_search_text(incident, incident.description)
            relations = [
                new_tag_relation(incident=incident, tag=tag, added_by=actor, added_time=now)
                for tag in tag_list
            ]
            event = Event(
                incident=incident,
                actor=source.user,
                timestamp=start_time,
                received=now,
                type=EventType.STATELESS if end_time is None else EventType.INCIDENT_START,
                description=incident.description,
            )
            if together:
                pending = pending_events([event])
                insert_objects_together(
                    [
                        ([incident], INCIDENT_INSERT_FIELDS),
                        (relations, RELATION_INSERT_FIELDS),
                        ([event], EVENT_INSERT_FIELDS),
                        (pending, PENDING_EVENT_FIELDS),
                    ]
                )
            else:
                insert_objects([incident], INCIDENT_INSERT_FIELDS)
                for relation in relations:
                    relation.incident = incident  # now that it has a key
                for start in range(0, len(relations), TAG_BATCH_SIZE):
                    insert_objects(relations[start : start + TAG_BATCH_SIZE], RELATION_INSERT_FIELDS)
                event.incident = incident
                insert_objects([event], EVENT_INSERT_FIELDS)
                pending = pending_events([event])
                insert_objects(pending, PENDING_EVENT_FIELDS)
            transaction.on_commit(functools.partial(_count_created, source, end_time, event.type))
            _prepare_for_representation(incident, relations)
            if tasks:
                link_incidents(incidents=[incident], now=now, tasks=tasks)
            broadcast_after_commit("created", [incident.pk], payloads={incident.pk: incident_to_v2(incident)})
            if pending:
                wake_workers_after_commit()
    except IntegrityError:
        # Only the (source, source_incident_id) constraint can fail here: tags are de-duplicated
        # and the incident is new. The transaction is rolled back, so ask afresh who won.
        existing = (
            Incident.objects.filter(source=source, source_incident_id=source_incident_id)
            .values_list("pk", flat=True)
            .first()
        )
        if source_incident_id and existing is not None:
            raise DuplicateSourceIncidentId(source_incident_id, existing) from None
        raise
    return incident


def _count_created(source: SourceSystem, end_time, event_type: str) -> None:
    metrics.incident_created(source_type=source.type_id, source=source.name, stateful=end_time is not None)
    metrics.events_created([event_type])


def _prepare_for_representation(incident: Incident, relations: list[IncidentTagRelation]) -> None:
    """Give a just-created incident the tags ``incidents_for_representation`` would have loaded.

    (``acked`` needs nothing: a new incident's ``acked_until`` is empty.)
    """
    incident._prefetched_objects_cache = {"incident_tag_relations": relations}


def _format_change(attr: str, old, new) -> str:
    def show(value):
        return "" if value is None else value

    return f'Change: "{attr}": {show(old)} → {show(new)}'


def _metadata_summary(value) -> str:
    return f"{len(value) if hasattr(value, '__len__') else 0} item(s)"


EDITABLE_FIELDS = ("details_url", "ticket_url", "level", "metadata", "description")


def incident_update(*, incident: Incident, actor, data: dict, tags: Iterable | None = None) -> Incident:
    """Apply a PATCH: editable fields and (optionally) the complete new tag set, with CHI events.

    A non-superuser may only remove tags they added themselves; otherwise nothing changes and
    :class:`TagRemovalNotAllowed` lists the offending tags.
    """
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        now = timezone.now()
        change_events = []
        if tags is not None:
            new_pairs = parse_tags(tags)
            wanted = set(new_pairs)
            relations = list(incident.incident_tag_relations.select_related("tag"))
            current = {(r.tag.key, r.tag.value): r for r in relations}
            to_remove = [r for pair, r in current.items() if pair not in wanted]
            refused = [
                r.tag.representation
                for r in to_remove
                if not actor.is_superuser and r.added_by_id != actor.pk
            ]
            if refused:
                raise TagRemovalNotAllowed(refused)
            to_add = [pair for pair in new_pairs if pair not in current]
            if to_add or to_remove:
                old_repr = sorted(f"{k}={v}" for k, v in current)
                new_repr = sorted(f"{k}={v}" for k, v in new_pairs)
                removed_ids = [r.pk for r in to_remove]
                for start in range(0, len(removed_ids), TAG_BATCH_SIZE):
                    IncidentTagRelation.objects.filter(
                        pk__in=removed_ids[start : start + TAG_BATCH_SIZE]
                    ).delete()
                _add_tag_relations(incident, get_or_create_tags(to_add), actor)
                change_events.append(
                    _change_event(incident, actor, now, f'Change: "tags": {old_repr} → {new_repr}')
                )
        changed_fields = []
        for attr in EDITABLE_FIELDS:
            if attr not in data:
                continue
            old, new = getattr(incident, attr), data[attr]
            if old == new:
                continue
            if attr == "metadata":
                description = _format_change(attr, _metadata_summary(old), _metadata_summary(new))
            else:
                description = _format_change(attr, old, new)
            change_events.append(_change_event(incident, actor, now, description))
            setattr(incident, attr, new)
            changed_fields.append(attr)
        for event in change_events:
            if _append_search_text(incident, event.description) and "search_text" not in changed_fields:
                changed_fields.append("search_text")
        if change_events:
            Event.objects.bulk_create(change_events)
            _events_recorded(change_events)
        if changed_fields:
            incident.save(update_fields=changed_fields)
        incidents_changed("modified", [incident.pk])
    return incident


#: What only an administrator changes after creation (the API never does): see incident_correct.
CORRECTABLE_FIELDS = ("start_time", "end_time", "source", "source_incident_id")


def _shown(value) -> str:
    """A corrected value as a CHI event shows it: datetimes as the API writes them."""
    if isinstance(value, datetime.datetime):
        return datetime_to_api(value)
    return "" if value is None else str(value)


def _end_time_event(incident: Incident, end_time, now) -> str | None:
    """CLO when ``end_time`` ends an open incident now or earlier, REO when infinity reopens a
    closed stateful one; None when setting it is a plain correction."""
    if incident.open and end_time is not None and end_time <= now:
        return EventType.CLOSE
    if incident.stateful and not incident.open and is_infinite(end_time):
        return EventType.REOPEN
    return None


def incident_correct(*, incident: Incident, actor, data: dict) -> Incident:
    """An administrator's correction of start/end time, source or source incident id.

    Closing and reopening are events, whoever does them: an end time that ends an open incident
    now or earlier is a CLO event at that time, infinity on a closed stateful incident a REO
    event, both by ``actor`` and under :func:`event_create`'s rules (:class:`EventNotAllowed`).
    Every other change (another end time, stateful <-> stateless, start time, source, source
    incident id) is stored as given and recorded as a CHI event
    ``Change: "<field>": <old> → <new>`` by ``actor``, as :func:`incident_update` records the
    editable fields. Refused, changing nothing: an end time before the start time
    (:class:`EndTimeBeforeStartTime`), a source incident id the source already uses
    (:class:`DuplicateSourceIncidentId`).
    """
    unknown = set(data) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not correctable here: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        now = timezone.now()
        start_time = data.get("start_time", incident.start_time)
        end_time = data.get("end_time", incident.end_time)
        if end_time is not None and end_time < start_time:
            raise EndTimeBeforeStartTime()
        state_event = None
        if "end_time" in data and end_time != incident.end_time:
            state_event = _end_time_event(incident, end_time, now)
        changed_fields, change_events = [], []
        for field in CORRECTABLE_FIELDS:
            if field not in data or (field == "end_time" and state_event):
                continue
            old, new = getattr(incident, field), data[field]
            if old == new:
                continue
            if field == "end_time":
                changed_fields.extend(set_end_time(incident, new, now))
            else:
                setattr(incident, field, new)
                changed_fields.append(field)
            change_events.append(
                _change_event(incident, actor, now, _format_change(field, _shown(old), _shown(new)))
            )
        for event in change_events:
            if _append_search_text(incident, event.description) and "search_text" not in changed_fields:
                changed_fields.append("search_text")
        if changed_fields:
            try:
                with transaction.atomic():
                    incident.save(update_fields=changed_fields)
            except IntegrityError:  # the (source, source_incident_id) constraint
                existing = (
                    Incident.objects.filter(
                        source=incident.source, source_incident_id=incident.source_incident_id
                    )
                    .exclude(pk=incident.pk)
                    .values_list("pk", flat=True)
                    .first()
                )
                raise DuplicateSourceIncidentId(incident.source_incident_id, existing) from None
            Event.objects.bulk_create(change_events)
            _events_recorded(change_events)
            if {"start_time", "end_time"} & set(changed_fields):
                copy_to_tag_relations([incident.pk])
        if state_event == EventType.CLOSE:
            event_create(incident=incident, actor=actor, type=EventType.CLOSE, timestamp=end_time)
        elif state_event == EventType.REOPEN:
            event_create(incident=incident, actor=actor, type=EventType.REOPEN)
        incidents_changed("modified", [incident.pk])
    return incident


def incident_set_ticket_url(*, incident: Incident, actor, ticket_url: str) -> Incident:
    """PUT ticket_url/: a CHI event and the new value, only when it differs."""
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.ticket_url != ticket_url:
            description = _format_change("ticket_url", incident.ticket_url, ticket_url)
            event = _change_event(incident, actor, timezone.now(), description)
            event.save()
            _events_recorded([event])
            incident.ticket_url = ticket_url
            fields = ["ticket_url"]
            if _append_search_text(incident, description):
                fields.append("search_text")
            incident.save(update_fields=fields)
            incidents_changed("modified", [incident.pk])
    return incident


def incident_delete(*, incident: Incident) -> None:
    """Delete an incident with its acks, events and tag relations (only when deletion is enabled)."""
    with transaction.atomic():
        pk = incident.pk
        Acknowledgement.objects.filter(event__incident=incident).delete()
        Event.objects.filter(incident=incident).delete()
        incident.delete()
        incidents_changed("deleted", [pk])


# --- tags ----------------------------------------------------------------------------------------


def incident_tag_add(*, incident: Incident, actor, tag: str) -> Tag:
    """Add a tag (get-or-create); adding one the incident already has is not an error."""
    pairs = parse_tags([tag])
    with transaction.atomic():
        # Locked, so a concurrent close cannot change what the new relation copies.
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        (tag_obj,) = get_or_create_tags(pairs)
        _add_tag_relations(incident, [tag_obj], actor)
        incidents_changed("modified", [incident.pk])
    return tag_obj


def incident_tag_remove(*, incident: Incident, tag: Tag) -> None:
    """Remove a tag from an incident; the tag itself goes when no incident uses it any more."""
    with transaction.atomic():
        IncidentTagRelation.objects.filter(incident=incident, tag=tag).delete()
        if not IncidentTagRelation.objects.filter(tag=tag).exists():
            tag.delete()
        incidents_changed("modified", [incident.pk])


# --- events --------------------------------------------------------------------------------------


def _state_rule_violation(incident: Incident, event_type: str, acks_url: str | None) -> str | None:
    """The rule-2 message for posting ``event_type`` on ``incident`` now, or None if allowed."""
    if event_type == EventType.ACKNOWLEDGE:
        return (
            f"Acknowledgements of this incidents should be posted through {acks_url or 'the acks endpoint'}."
        )
    if incident.stateful:
        if (
            event_type in (EventType.INCIDENT_START, EventType.INCIDENT_END)
            and incident.events.filter(type=event_type).exists()
        ):
            return f"The incident already has a related event of type '{event_type}'."
        if event_type in CLOSING_TYPES and not incident.open:
            return "The incident is already closed."
        if event_type == EventType.REOPEN and incident.open:
            return "The incident is already open."
    else:
        if event_type == EventType.STATELESS and incident.events.filter(type=event_type).exists():
            return f"The incident already has a related event of type '{event_type}'."
        if event_type == EventType.INCIDENT_START:
            return "Stateless incident cannot have an INCIDENT_START event."
        if event_type in (EventType.INCIDENT_END, EventType.CLOSE, EventType.REOPEN):
            return "Cannot change the state of a stateless incident."
    return None


def event_create(
    *,
    incident: Incident,
    actor,
    type: str,
    timestamp: datetime.datetime | None = None,
    description: str = "",
    acks_url: str | None = None,
) -> Event:
    """POST <pk>/events/: the per-actor type rule, then the state rule.

    Source systems may record events that break the state rule; they are stored without changing
    the incident. End users get :class:`EventNotAllowed`.
    """
    is_source = user_is_source_system(actor)
    if is_source and type not in ALLOWED_TYPES_FOR_SOURCE_SYSTEMS:
        raise EventNotAllowed(f"A source system cannot post events of type '{type}'.")
    if not is_source and type not in ALLOWED_TYPES_FOR_END_USERS:
        raise EventNotAllowed(f"An end user cannot post events of type '{type}'.")
    timestamp = _now_if_none(timestamp)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        violation = _state_rule_violation(incident, type, acks_url)
        if violation and not is_source:
            raise EventNotAllowed(violation)
        fields = []
        if not violation:
            if type in CLOSING_TYPES:
                fields.extend(set_end_time(incident, timestamp))
            elif type == EventType.REOPEN:
                fields.extend(set_end_time(incident, INFINITY))
        if _append_search_text(incident, description):
            fields.append("search_text")
        if fields:
            incident.save(update_fields=fields)
        if "end_time" in fields:
            copy_to_tag_relations([incident.pk])
        event = Event.objects.create(
            incident=incident, actor=actor, timestamp=timestamp, type=type, description=description or ""
        )
        incidents_changed("modified", [incident.pk])
        _events_recorded([event])
    return event


def acknowledgement_create(
    *,
    incident: Incident,
    actor,
    timestamp: datetime.datetime | None = None,
    description: str = "",
    expiration: datetime.datetime | None = None,
) -> Acknowledgement:
    """An ACK event and its Acknowledgement row; the incident is acked while the ack is active."""
    timestamp = _now_if_none(timestamp)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if _append_search_text(incident, description):
            incident.save(update_fields=["search_text"])
        event = Event.objects.create(
            incident=incident,
            actor=actor,
            timestamp=timestamp,
            type=EventType.ACKNOWLEDGE,
            description=description or "",
        )
        ack = Acknowledgement.objects.create(event=event, expiration=expiration)
        refresh_acked_until_of(incident)
        incidents_changed("modified", [incident.pk])
        _events_recorded([event])
    return ack


def acknowledgement_update(*, ack: Acknowledgement, expiration: datetime.datetime | None) -> Acknowledgement:
    """Change an active ack's expiration; expired acks cannot be changed."""
    with transaction.atomic():
        ack = Acknowledgement.objects.select_for_update().select_related("event__actor").get(pk=ack.pk)
        if not ack.is_active():
            raise ExpiredAcknowledgement()
        ack.expiration = expiration
        ack.save(update_fields=["expiration"])
        refresh_acked_until([ack.event.incident_id])
        incidents_changed("modified", [ack.event.incident_id])
    return ack


def acknowledgements_delete(*, acks: Iterable[Acknowledgement]) -> None:
    """Delete acknowledgements with their ACK events (an ack is its event; admin only).

    The incidents' ``acked_until`` is recomputed from the acknowledgements that remain, and each
    incident is broadcast as modified. The ACK descriptions stay in ``search_text``, as every
    description an incident ever had.
    """
    event_ids = [ack.pk for ack in acks]
    with transaction.atomic():
        incident_ids = sorted(
            set(Event.objects.filter(pk__in=event_ids).values_list("incident_id", flat=True))
        )
        Acknowledgement.objects.filter(pk__in=event_ids).delete()
        Event.objects.filter(pk__in=event_ids).delete()
        refresh_acked_until(incident_ids)
        incidents_changed("modified", incident_ids)


# --- bulk (v2) -----------------------------------------------------------------------------------


def bulk_acknowledgement_create(
    *, incidents: list[Incident], actor, timestamp, description: str = "", expiration=None
) -> dict[int, Acknowledgement]:
    """One ACK event + ack per incident, in one transaction (no per-user/state rules, as 1.37)."""
    with transaction.atomic():
        events = Event.objects.bulk_create(
            [
                Event(
                    incident=incident,
                    actor=actor,
                    timestamp=timestamp,
                    type=EventType.ACKNOWLEDGE,
                    description=description or "",
                )
                for incident in incidents
            ]
        )
        events = _reload_if_no_pks(events)
        acks = Acknowledgement.objects.bulk_create(
            [Acknowledgement(event=event, expiration=expiration) for event in events]
        )
        refresh_acked_until(incident.pk for incident in incidents)
        for ack, event in zip(acks, events, strict=True):
            ack.event = event
            event.actor = actor
        incidents_changed("modified", [incident.pk for incident in incidents])
        _events_recorded(events)
    return {event.incident_id: ack for event, ack in zip(events, acks, strict=True)}


def bulk_event_create(
    *, incidents: list[Incident], actor, type: str, timestamp, description: str = ""
) -> dict[int, Event]:
    """One event per incident; CLO closes the open ones, REO reopens the closed ones."""
    now = timezone.now()
    ids = [incident.pk for incident in incidents]
    with transaction.atomic():
        if type == EventType.CLOSE:
            Incident.objects.filter(pk__in=ids, end_time__gt=now).update(**end_time_fields(timestamp, now))
            copy_to_tag_relations(ids)
        elif type == EventType.REOPEN:
            Incident.objects.filter(pk__in=ids, end_time__lte=now).update(**end_time_fields(INFINITY, now))
            copy_to_tag_relations(ids)
        events = Event.objects.bulk_create(
            [
                Event(
                    incident=incident,
                    actor=actor,
                    timestamp=timestamp,
                    type=type,
                    description=description or "",
                )
                for incident in incidents
            ]
        )
        events = _reload_if_no_pks(events)
        if type == EventType.ACKNOWLEDGE:
            # An ACK is an acknowledgement, whichever endpoint recorded it: keeps "acked" one truth.
            Acknowledgement.objects.bulk_create([Acknowledgement(event=event) for event in events])
            refresh_acked_until(ids)
        for event in events:
            event.actor = actor
        incidents_changed("modified", ids)
        _events_recorded(events)
    return {event.incident_id: event for event in events}


def bulk_set_ticket_url(*, incidents: list[Incident], actor, ticket_url: str) -> dict[int, str]:
    """Set the ticket URL of every incident, always recording a CHI event (as 1.37)."""
    now = timezone.now()
    with transaction.atomic():
        events = []
        for incident in incidents:
            description = _format_change("ticket_url", incident.ticket_url, ticket_url)
            events.append(_change_event(incident, actor, now, description))
            incident.ticket_url = ticket_url
            _append_search_text(incident, description)
        Event.objects.bulk_create(events)
        _events_recorded(events)
        Incident.objects.bulk_update(incidents, ["ticket_url", "search_text"])
        incidents_changed("modified", [incident.pk for incident in incidents])
    return {incident.pk: ticket_url for incident in incidents}


def _reload_if_no_pks(events: list[Event]) -> list[Event]:
    """bulk_create sets pks on PostgreSQL and SQLite >= 3.35; guard the rest by re-reading."""
    if all(event.pk for event in events):
        return events
    raise RuntimeError("Database backend did not return primary keys from bulk_create")


# --- closing helpers used by commands and token expiry --------------------------------------------


def incident_end(*, incident: Incident, actor, timestamp=None, description: str = "") -> Event | None:
    """Close an open incident with an END event by ``actor`` (used for Argus' own incidents)."""
    timestamp = _now_if_none(timestamp)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if not incident.open:
            return None
        fields = set_end_time(incident, timestamp)
        if _append_search_text(incident, description):
            fields.append("search_text")
        incident.save(update_fields=fields)
        copy_to_tag_relations([incident.pk])
        event = Event.objects.create(
            incident=incident,
            actor=actor,
            timestamp=timestamp,
            type=EventType.INCIDENT_END,
            description=description,
        )
        incidents_changed("modified", [incident.pk])
        _events_recorded([event])
    return event


# --- source systems and their types ---------------------------------------------------------------

#: The name of Argus' own source system, of its type and (when free) of its user.
ARGUS_SOURCE_NAME = "argus"
#: How many times a system user's insert is retried when a concurrent one took the username.
_USERNAME_ATTEMPTS = 5


def _username_errors(username: str) -> list[str]:
    """What is wrong with ``username`` as a username (empty when it is valid)."""
    user_model = get_user_model()
    max_length = user_model._meta.get_field(user_model.USERNAME_FIELD).max_length
    errors = []
    if len(username) > max_length:
        errors.append(f"Ensure this value has at most {max_length} characters (it has {len(username)}).")
    try:
        user_model.username_validator(username)
    except DjangoValidationError as error:
        errors.extend(error.messages)
    return errors


def _suffixed(username: str) -> str:
    """``username_XXXXXX`` (6 upper-case hex digits), kept within the 150 characters of a username."""
    return f"{username[:143]}_{secrets.token_hex(3).upper()}"


def _free_username(username: str) -> str:
    """``username``, or ``username_XXXXXX`` when it is taken."""
    user_model = get_user_model()
    candidate = username
    while user_model.objects.filter(username=candidate).exists():
        candidate = _suffixed(username)
    return candidate


def _system_user_create(*, username: str, superuser: bool = False):
    """A source system's user: the one username rule of every way a source system is made.

    ``username`` must be valid (:class:`InvalidSystemUsername` otherwise); when it is taken the
    user gets ``username_XXXXXX``. The user is neither staff nor able to log in with a password:
    an unusable password, or for Argus' own (superuser) user the empty password field that
    ``initial_setup`` has always given it.
    """
    errors = _username_errors(username)
    if errors:
        raise InvalidSystemUsername(username, errors)
    candidate = _free_username(username)
    for attempt in range(_USERNAME_ATTEMPTS):
        user = get_user_model()(username=candidate, is_superuser=superuser)
        if superuser:
            user.password = ""
        else:
            user.set_unusable_password()
        try:
            with transaction.atomic():
                return user_save(user=user)
        except IntegrityError:  # a concurrent request took the name between the check and now
            if attempt == _USERNAME_ATTEMPTS - 1:
                raise
            candidate = _suffixed(username)


def _source_system_insert(
    *, name: str, type: SourceSystemType, username: str | None, base_url: str, superuser: bool = False
) -> SourceSystem:
    """The source system row and its new system user (without a token)."""
    if SourceSystem.objects.filter(name=name, type=type).exists():
        raise SourceSystemExists(name, type.name)
    user = _system_user_create(username=username or name, superuser=superuser)
    try:
        with transaction.atomic():
            return SourceSystem.objects.create(name=name, type=type, user=user, base_url=base_url or "")
    except IntegrityError:  # a concurrent request created the same name+type
        raise SourceSystemExists(name, type.name) from None


def source_system_create(
    *,
    name: str,
    type: SourceSystemType,
    username: str | None = None,
    base_url: str = "",
    with_token: bool = False,
    heartbeat_frequency: datetime.timedelta | None = None,
) -> SourceSystem:
    """A source system and its system user (and, ``with_token``, the user's API token): the one way
    to add a source.

    Used by the API, the admin and ``create_source`` alike. The user is called ``username``
    (default: the source's name), or ``username_XXXXXX`` when that is taken; it cannot log in with
    a password. The API and ``create_source`` issue no token, as Argus 1.37 (an operator issues
    one in the admin, or the source logs in through ``token-auth/``); the admin's add form does
    (``with_token``), so the operator can copy it at once. A ``heartbeat_frequency`` arms
    liveness monitoring (:mod:`argus.incident.liveness`). Refused, creating nothing: a name+type
    that exists (:class:`SourceSystemExists`), an invalid username (:class:`InvalidSystemUsername`).
    """
    with transaction.atomic():
        source = _source_system_insert(name=name, type=type, username=username, base_url=base_url)
        if heartbeat_frequency is not None:
            source.heartbeat_frequency = heartbeat_frequency
            source.heartbeat_armed_at = timezone.now()
            source.save(update_fields=["heartbeat_frequency", "heartbeat_armed_at"])
        if with_token:
            # A new user: there is no token to replace and no token-expiry warning to end.
            Token.objects.create(user=source.user)
    return source


def source_system_type_ensure(*, name: str) -> SourceSystemType:
    """The source system type ``name`` (stored lower-case), created if missing."""
    source_type, _ = SourceSystemType.objects.get_or_create(name=name.lower())
    return source_type


def source_system_ensure(
    *, name: str, type_name: str, base_url: str = "", password: str | None = None
) -> SourceSystem:
    """The source system called ``name``, made by :func:`source_system_create` if there is none.

    Idempotent, for ``create_source``: the type ``type_name`` is ensured either way, but an
    existing source keeps its type, base URL, user and token. When ``password`` is given, the
    source's user gets it on every call (``create_source``'s live-testing password).
    """
    with transaction.atomic():
        source_type = source_system_type_ensure(name=type_name)
        source = SourceSystem.objects.select_related("user").filter(name=name).order_by("pk").first()
        if source is None:
            source = source_system_create(name=name, type=source_type, base_url=base_url)
        if password is not None:
            source.user.set_password(password)
            source.user.save(update_fields=["password"])
    return source


def _argus_source() -> SourceSystem | None:
    return (
        SourceSystem.objects.select_related("user")
        .filter(name=ARGUS_SOURCE_NAME, type_id=ARGUS_SOURCE_NAME)
        .first()
    )


def argus_source_ensure() -> SourceSystem:
    """Argus' own source ``argus`` (type ``argus``), created if missing; idempotent.

    Argus posts its own incidents (token-expiry warnings, fake incidents) as this source. Its user
    follows the username rule of every system user (``argus``, or ``argus_XXXXXX`` if an
    unrelated user has that name), and is a superuser (not staff) with an empty password field.
    It gets no API token, unlike every other source: Argus never calls its own API, and a token
    would be a superuser credential nobody uses, which ``check_token_expiry`` would then warn
    about.
    """
    source = _argus_source()
    if source is not None:
        return source
    with transaction.atomic():
        source_type = source_system_type_ensure(name=ARGUS_SOURCE_NAME)
        try:
            with transaction.atomic():
                return _source_system_insert(
                    name=ARGUS_SOURCE_NAME, type=source_type, username=None, base_url="", superuser=True
                )
        except SourceSystemExists:  # made concurrently
            pass
    return _argus_source()


def source_systems_delete(*, sources: Iterable[SourceSystem]) -> None:
    """Delete source systems with their system users, all or none (admin only; the API has no DELETE).

    A source that has incidents is refused (:class:`SourceSystemInUse`). A user that something
    else still refers to (events it recorded, tags it added) is kept.
    """
    with transaction.atomic():
        for source in sources:
            user = source.user
            try:
                with transaction.atomic():
                    source.delete()
            except ProtectedError:
                raise SourceSystemInUse(str(source)) from None
            try:
                with transaction.atomic():
                    user.delete()
            except ProtectedError:
                pass


#: What can change on a source system after creation (never its user).
SOURCE_SYSTEM_UPDATABLE_FIELDS = ("name", "type", "base_url", "heartbeat_frequency")


def source_system_update(*, source: SourceSystem, data: dict) -> SourceSystem:
    """Change a source system's name, type, base URL or heartbeat frequency.

    Name+type must stay unique (:class:`SourceSystemExists`); the user never changes. A heartbeat
    frequency that goes from empty to a value arms liveness monitoring
    (``heartbeat_armed_at`` := now); emptying it disarms it. Only the given fields are written.
    """
    unknown = set(data) - set(SOURCE_SYSTEM_UPDATABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not updatable: {', '.join(sorted(unknown))}")
    name = data.get("name", source.name)
    type_name = data["type"].pk if "type" in data else source.type_id  # a type's name is its pk
    duplicate = SourceSystemExists(name, type_name)
    with transaction.atomic():
        if SourceSystem.objects.filter(name=name, type_id=type_name).exclude(pk=source.pk).exists():
            raise duplicate
        fields = list(data)
        if "heartbeat_frequency" in data:
            stored = SourceSystem.objects.select_for_update().only("heartbeat_frequency").get(pk=source.pk)
            if data["heartbeat_frequency"] is None:
                source.heartbeat_armed_at = None
                fields.append("heartbeat_armed_at")
            elif stored.heartbeat_frequency is None:
                source.heartbeat_armed_at = timezone.now()
                fields.append("heartbeat_armed_at")
        for field, value in data.items():
            setattr(source, field, value)
        if fields:
            try:
                with transaction.atomic():
                    source.save(update_fields=fields)
            except IntegrityError:
                raise duplicate from None
    return source


def source_system_seen(
    *, source: SourceSystem, now: datetime.datetime | None = None, heartbeat=False
) -> bool:
    """Record that ``source`` is alive: its ``last_seen`` := ``now`` (default: now).

    One ``UPDATE`` of that column only (an admin editing the row at the same time keeps its
    changes). Any API request of the source calls this; such an implicit sighting is skipped
    when the stored value is less than 5 s old, so a storm of requests does not double the
    writes. An explicit ``heartbeat`` is always written. Returns whether it was written; the
    ``source`` object gets the new value.
    """
    now = _now_if_none(now)
    if not heartbeat:
        recent = now - LAST_SEEN_RESOLUTION
        if source.last_seen is not None and source.last_seen > recent:
            return False  # before any query is built: most requests of a busy source end here
    rows = SourceSystem.objects.filter(pk=source.pk)
    if not heartbeat:
        rows = rows.filter(Q(last_seen__isnull=True) | Q(last_seen__lte=recent))
    written = rows.update(last_seen=now) > 0
    if written:
        source.last_seen = now
    return written


def source_system_type_create(*, name: str) -> SourceSystemType:
    with transaction.atomic():
        if SourceSystemType.objects.filter(name=name.lower()).exists():
            raise SourceSystemTypeExists(name)
        try:
            with transaction.atomic():
                source_type = SourceSystemType(name=name)
                source_type.save(force_insert=True)
        except IntegrityError:
            raise SourceSystemTypeExists(name)
    return source_type


# --- fake incidents (create_fake_incident, the admin's "Add fake incident") ------------------------

MAX_FAKE_SOURCE_INCIDENT_ID = 2**32 - 1
FAKE_INCIDENT_LEVELS = range(MIN_INCIDENT_LEVEL, MAX_INCIDENT_LEVEL + 1)


def fake_incident_create(
    *,
    source: SourceSystem | None = None,
    description: str | None = None,
    level: int | None = None,
    tags: Iterable = (),
    stateful: bool = True,
    metadata=None,
) -> Incident:
    """A test incident, as a source system would post it (default source: Argus' own).

    A random ``source_incident_id`` (1 ... 2^32-1), a random level unless given, the tags
    ``location=argus``, ``problem_type=test``, ``object=<pk>`` and ``tags`` (pairs or
    ``key=value``), all added by Argus' user; the first event (STA, or LES when not
    ``stateful``) by the source's user, so it notifies like an incident from the API.
    """
    argus = argus_source_ensure()
    argus_user, source = argus.user, source or argus
    source_incident_id = str(random.randint(1, MAX_FAKE_SOURCE_INCIDENT_ID))
    if not description:
        kind = "" if stateful else " (stateless)"
        description = f'Incident{kind} #{source_incident_id} created via "create_fake_incident"'
    with transaction.atomic():
        incident = incident_create(
            actor=argus_user,
            source=source,
            start_time=timezone.now(),
            end_time=INFINITY if stateful else None,
            source_incident_id=source_incident_id,
            description=description,
            level=level or random.choice(FAKE_INCIDENT_LEVELS),
            metadata={} if metadata is None else metadata,
            tags=[("location", "argus"), ("problem_type", "test"), *tags],
        )
        # The pk is only known now; the tag is in place before anything is broadcast or notified.
        incident_tag_add(incident=incident, actor=argus_user, tag=f"object={incident.pk}")
    return incident
