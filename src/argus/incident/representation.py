"""JSON shapes of incidents, events, acks and sources, as plain dicts.

Built by hand rather than with nested DRF serializers: list pages of hundreds of incidents are
rendered by these functions, and they are what the websocket pushes, so they must be fast and
identical everywhere. Key order is part of the contract.
"""

from django.utils import timezone

from argus.incident.liveness import liveness
from argus.incident.models import Acknowledgement, Event, Incident, SourceSystem
from argus.incident.queries import incident_is_acked
from argus.util.datetime_utils import datetime_to_api


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


def incident_tags_to_list(incident: Incident) -> list[dict]:
    return [
        {
            "added_by": relation.added_by_id,
            "added_time": datetime_to_api(relation.added_time),
            "tag": f"{relation.tag.key}={relation.tag.value}",
        }
        for relation in incident.incident_tag_relations.all()
    ]


def _incident_common(incident: Incident, now) -> tuple[dict, dict]:
    head = {
        "pk": incident.pk,
        "start_time": datetime_to_api(incident.start_time),
        "end_time": datetime_to_api(incident.end_time),
        "source": source_system_to_dict(incident.source),
        "source_incident_id": incident.source_incident_id,
        "details_url": incident.pp_details_url,
        "description": incident.description,
        "level": incident.level,
        "ticket_url": incident.ticket_url,
    }
    stateful = incident.end_time is not None
    tail = {
        "tags": incident_tags_to_list(incident),
        "stateful": stateful,
        "open": stateful and incident.end_time > now,
        "acked": bool(incident_is_acked(incident, now)),
    }
    return head, tail


def incident_to_v1(incident: Incident, now=None) -> dict:
    head, tail = _incident_common(incident, now or timezone.now())
    return {**head, **tail}


def incident_to_v2(incident: Incident, now=None) -> dict:
    head, tail = _incident_common(incident, now or timezone.now())
    return {**head, "metadata": incident.metadata, **tail}


def incidents_to_v1(incidents, now=None) -> list[dict]:
    now = now or timezone.now()
    return [incident_to_v1(incident, now) for incident in incidents]


def incidents_to_v2(incidents, now=None) -> list[dict]:
    now = now or timezone.now()
    return [incident_to_v2(incident, now) for incident in incidents]


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
