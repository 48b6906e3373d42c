"""JSON shapes of incidents, events, acks and sources, as plain dicts.

Built by hand rather than with nested DRF serializers: list pages of hundreds of incidents are
rendered by these functions, and they are what the websocket pushes, so they must be fast and
identical everywhere. Key order is part of the contract.
"""

from json.encoder import encode_basestring as json_string

from django.utils import timezone

from argus.incident.liveness import liveness
from argus.incident.models import Acknowledgement, Event, Incident, SourceSystem, details_url_shown
from argus.incident.queries import incident_is_acked
from argus.util.datetime_utils import api_datetime_formatter, datetime_to_api


def source_system_to_dict(source: SourceSystem) -> dict:
    return {
        "pk": source.pk,
        "name": source.name,
        "type": {"name": source.type_id},
        "user": source.user_id,
        "base_url": source.base_url or "",
    }


def source_liveness_to_dict(source: SourceSystem, now=None) -> dict:
    """A source's liveness (``GET sources/liveness/``); not part of the source's own shape."""
    state = liveness(source, now)
    frequency = source.heartbeat_frequency
    return {
        "pk": source.pk,
        "name": source.name,
        "type": source.type_id,
        "last_seen": datetime_to_api(source.last_seen),
        "heartbeat_frequency": None if frequency is None else int(frequency.total_seconds()),
        "next_heartbeat_due": datetime_to_api(state.next_heartbeat_due),
        "state": str(state.state),
    }


def incident_tags_to_list(incident: Incident, format_datetime=datetime_to_api) -> list[dict]:
    return [
        {
            "added_by": relation.added_by_id,
            "added_time": format_datetime(relation.added_time),
            "tag": f"{relation.tag.key}={relation.tag.value}",
        }
        for relation in incident.incident_tag_relations.all()
    ]


def _incident_common(incident: Incident, now, format_datetime=None) -> tuple[dict, dict]:
    format_datetime = format_datetime or api_datetime_formatter()
    head = {
        "pk": incident.pk,
        "start_time": format_datetime(incident.start_time),
        "end_time": format_datetime(incident.end_time),
        "source": source_system_to_dict(incident.source),
        "source_incident_id": incident.source_incident_id,
        "details_url": incident.pp_details_url,
        "description": incident.description,
        "level": incident.level,
        "ticket_url": incident.ticket_url,
    }
    stateful = incident.end_time is not None
    tail = {
        "tags": incident_tags_to_list(incident, format_datetime),
        "stateful": stateful,
        "open": stateful and incident.end_time > now,
        "acked": bool(incident_is_acked(incident, now)),
    }
    return head, tail


def incident_to_v1(incident: Incident, now=None, format_datetime=None) -> dict:
    head, tail = _incident_common(incident, now or timezone.now(), format_datetime)
    return {**head, **tail}


def incident_to_v2(incident: Incident, now=None, format_datetime=None) -> dict:
    head, tail = _incident_common(incident, now or timezone.now(), format_datetime)
    return {**head, "metadata": incident.metadata, **tail}


def incidents_to_v1(incidents, now=None) -> list[dict]:
    now, format_datetime = now or timezone.now(), api_datetime_formatter()
    return [incident_to_v1(incident, now, format_datetime) for incident in incidents]


def incidents_to_v2(incidents, now=None) -> list[dict]:
    now, format_datetime = now or timezone.now(), api_datetime_formatter()
    return [incident_to_v2(incident, now, format_datetime) for incident in incidents]


def incident_rows_to_v1_json(rows, tags, now, format_datetime=None) -> list[str]:
    """:func:`incidents_to_v1` as JSON texts, from the rows of
    :func:`argus.incident.queries.incident_rows_in_batches`: one text per incident, each exactly
    what DRF's ``JSONRenderer`` writes for that incident's dict (compact, non-ASCII as is; the
    renderer's escaping of U+2028/U+2029 is left to the caller, as it applies to the whole body).

    For the unpaginated v1 lists (tens of thousands of incidents): no model instance, no dict, no
    encoder pass, and the time zone looked up once. A table test keeps it equal to the dicts.
    """
    format_datetime = format_datetime or api_datetime_formatter()
    string = json_string
    sources = {}
    shown = []
    for row in rows:
        (
            pk,
            start_time,
            end_time,
            source_id,
            source_name,
            source_type,
            source_user,
            base_url,
            source_incident_id,
            details_url,
            description,
            level,
            ticket_url,
            acked_until,
        ) = row  # the order of INCIDENT_ROW_FIELDS
        source = sources.get(source_id)
        if source is None:
            source = sources[source_id] = (
                f'{{"pk":{source_id},"name":{string(source_name)},"type":{{"name":{string(source_type)}}},'
                f'"user":{source_user},"base_url":{string(base_url or "")}}}'
            )
        stateful = end_time is not None
        tag_texts = ",".join(
            f'{{"added_by":{added_by},"added_time":"{format_datetime(added_time)}",'
            f'"tag":{string(f"{key}={value}")}}}'
            for added_by, added_time, key, value in tags.get(pk, ())
        )
        shown_details_url = details_url_shown(details_url, base_url) if details_url else ""
        end_text = f'"{format_datetime(end_time)}"' if stateful else "null"
        is_open = "true" if stateful and end_time > now else "false"
        acked = "true" if acked_until is not None and acked_until > now else "false"
        shown.append(
            f'{{"pk":{pk},"start_time":"{format_datetime(start_time)}","end_time":{end_text},'
            f'"source":{source},"source_incident_id":{string(source_incident_id)},'
            f'"details_url":{string(shown_details_url)},"description":{string(description)},'
            f'"level":{level},"ticket_url":{string(ticket_url)},"tags":[{tag_texts}],'
            f'"stateful":{"true" if stateful else "false"},"open":{is_open},"acked":{acked}}}'
        )
    return shown


def event_to_dict(event: Event) -> dict:
    return {
        "pk": event.pk,
        "incident": event.incident_id,
        "actor": {"pk": event.actor_id, "username": event.actor.username},
        "timestamp": datetime_to_api(event.timestamp),
        "received": datetime_to_api(event.received),
        "type": {"value": event.type, "display": event.get_type_display()},
        "description": event.description,
    }


def ack_to_dict(ack: Acknowledgement) -> dict:
    return {"pk": ack.pk, "event": event_to_dict(ack.event), "expiration": datetime_to_api(ack.expiration)}
