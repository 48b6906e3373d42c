"""Subject and bodies of notification messages (mail, and the chat text of Slack).

Datetimes are rendered as Python ``str()`` of the value in the server time zone
(``2026-11-22 12:30:00+01:00``); the HTML alternative lets Django templates localise them.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

from argus.incident.models import Event
from argus.notificationprofile.matching import local_moment
from argus.util.datetime_utils import is_infinite

FIELD_WIDTH = 17
STILL_OPEN = "Still open"
FIELDS = (
    "start_time",
    "end_time",
    "source_incident_id",
    "details_url",
    "description",
    "level",
    "ticket_url",
    "search_text",
    "metadata",
)


def subject_prefix() -> str:
    return settings.NOTIFICATION_SUBJECT_PREFIX


def notification_subject(event: Event, *, prefix: str | None = None) -> str:
    if prefix is None:
        prefix = subject_prefix()
    return (
        f"{prefix}'{event.get_type_display()}': {event.incident.description}, "
        f"{event.actor.username} @ {local_moment(event.timestamp)}"
    )


def search_text_before(event: Event) -> str:
    """The incident's accumulated event descriptions before ``event`` was recorded.

    The incident row already holds the text *after* the event (and maybe later ones), so it is
    rebuilt from the earlier events with the same rule the incident services use.
    """
    cached = getattr(event, "_argus_search_text_before", None)
    if cached is None:
        prefetch_search_texts([event])
        cached = event._argus_search_text_before
    return cached


def prefetch_search_texts(events: Sequence[Event]) -> None:
    """Give each event its :func:`search_text_before`, with one query for all of them."""
    pending = [event for event in events if getattr(event, "_argus_search_text_before", None) is None]
    if not pending:
        return
    earlier = (
        Event.objects.filter(
            incident_id__in={event.incident_id for event in pending},
            pk__lt=max(event.pk for event in pending),
        )
        .order_by("pk")
        .values_list("incident_id", "pk", "description")
    )
    descriptions: dict[int, list[tuple[int, str]]] = {}
    for incident_id, pk, description in earlier:
        descriptions.setdefault(incident_id, []).append((pk, description))
    for event in pending:
        text = ""
        for pk, description in descriptions.get(event.incident_id, ()):
            if pk >= event.pk:
                break
            if description and description not in text:
                text = f"{text} {description}"
        event._argus_search_text_before = text


def field_values(event: Event, *, localise_datetimes: bool = True) -> list[tuple[str, object]]:
    incident = event.incident
    end_time = incident.end_time
    if end_time is None:
        end = None
    elif is_infinite(end_time):
        end = STILL_OPEN
    else:
        end = local_moment(end_time) if localise_datetimes else end_time
    start = local_moment(incident.start_time) if localise_datetimes else incident.start_time
    values = {
        "start_time": start,
        "end_time": end,
        "source_incident_id": incident.source_incident_id,
        "details_url": incident.pp_details_url,
        "description": incident.description,
        "level": incident.level,
        "ticket_url": incident.ticket_url,
        "search_text": search_text_before(event),
        "metadata": incident.metadata,
    }
    return [(name, values[name]) for name in FIELDS]


def notification_text(event: Event) -> str:
    lines = [f"Status: {event.type}\n", f"Actor: {event.actor.username}\n"]
    for name, value in field_values(event):
        lines.append(f"\n{name.ljust(FIELD_WIDTH)}: {value}\n")
    lines.append("\n")
    return "".join(lines)


def html_fields(event: Event) -> list[tuple[str, object]]:
    """Values for the HTML table: datetimes stay datetimes so the template localises them."""
    fields = []
    for name, value in field_values(event, localise_datetimes=False):
        if value is None:
            value = "None"
        fields.append((name, value))
    return fields


#: The incident fields of a chat message (Slack), in order: what a person acts on, nothing internal.
CHAT_FIELDS = (
    "start_time",
    "end_time",
    "source",
    "source_incident_id",
    "level",
    "description",
    "details_url",
    "ticket_url",
    "tags",
)


def chat_fields(event: Event) -> list[tuple[str, object]]:
    incident = event.incident
    values = dict(field_values(event))
    source = incident.source
    values["source"] = f"{source.name} ({source.type_id})"
    relations = sorted(incident.incident_tag_relations.all(), key=lambda relation: relation.pk)
    values["tags"] = ", ".join(f"{relation.tag.key}={relation.tag.value}" for relation in relations)
    return [(name, values[name]) for name in CHAT_FIELDS]


def chat_text(event: Event) -> str:
    """The subject as the first line, then status, actor and one ``name: value`` line per field."""
    lines = [notification_subject(event), f"Status: {event.type}", f"Actor: {event.actor.username}"]
    lines += [f"{name.ljust(FIELD_WIDTH)}: {value}" for name, value in chat_fields(event)]
    return "\n".join(lines)
