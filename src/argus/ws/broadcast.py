"""Realtime broadcasting of incident changes to the ``subscribed_open_incidents`` group.

The incident services call :func:`broadcast_after_commit` inside their transaction; after commit,
one frame per incident is sent with its fresh v2 representation. A broken channel layer never
fails the request: the error is logged.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

GROUP_NAME = "subscribed_open_incidents"
CREATED = "created"
MODIFIED = "modified"
DELETED = "deleted"


def broadcast_after_commit(change: str, incident_ids) -> None:
    """Send one ``change`` frame per incident once the current transaction commits."""
    ids = list(dict.fromkeys(incident_ids))
    if ids:
        transaction.on_commit(lambda: broadcast_now(change, ids))


def build_frames(change: str, incident_ids) -> list[dict]:
    if change == DELETED:
        return [{"type": DELETED, "payload": {"pk": pk}} for pk in incident_ids]
    from argus.incident.queries import incidents_for_representation
    from argus.incident.representation import incident_to_v2

    incidents = incidents_for_representation().filter(pk__in=incident_ids)
    by_pk = {incident.pk: incident_to_v2(incident) for incident in incidents}
    return [{"type": change, "payload": by_pk[pk]} for pk in incident_ids if pk in by_pk]


def broadcast_now(change: str, incident_ids) -> None:
    try:
        channel_layer = get_channel_layer()
        if channel_layer is None:
            return
        frames = build_frames(change, incident_ids)
        send = async_to_sync(channel_layer.group_send)
        for frame in frames:
            send(GROUP_NAME, {"type": "notify", "content": frame})
    except Exception:
        logger.exception(
            "Could not broadcast %s of incidents %s to websocket subscribers", change, incident_ids
        )
