"""What an API request leaves in ``/metrics`` and in its source's ``last_seen``.

``argus_ingest_requests_total`` and ``argus_ingest_request_duration_seconds`` carry the
operation as a label; it is found from the URL name the request resolved to and its method.
A request that matches none (a read, an unknown path) is no ingest request. The request
middleware records every API request with :func:`record_request` and :func:`record_sighting`,
and the direct ingest path (``argus.incident.api.direct``) the requests it answers.
"""

import logging

from django.db import DatabaseError

from argus.incident.services import source_system_seen
from argus.util import metrics

logger = logging.getLogger(__name__)

#: URL name (of the v1 and v2 incident URL modules) -> method -> operation.
OPERATIONS = {
    "incident-list": {"POST": "incident_create"},
    "incident-detail": {"PUT": "incident_update", "PATCH": "incident_update", "DELETE": "incident_delete"},
    "incident-events": {"POST": "event_create"},
    "incident-acks": {"POST": "ack_create"},
    "incident-ack": {"PUT": "ack_update", "PATCH": "ack_update"},
    "incident-tags": {"POST": "tag_add"},
    "incident-tag": {"DELETE": "tag_remove"},
    "incident-ticket-url": {"PUT": "ticket_url"},
    "incident-automatic-ticket": {"PUT": "automatic_ticket"},
    "incident-acks-bulk": {"POST": "bulk_acks"},
    "incident-events-bulk": {"POST": "bulk_events"},
    "incident-ticket-url-bulk": {"POST": "bulk_ticket_url"},
    "sourcesystem-heartbeat": {"POST": "heartbeat"},
}


def ingest_operation(url_name: str | None, method: str) -> str | None:
    """The operation of a request to ``url_name`` with ``method``, or None."""
    return OPERATIONS.get(url_name or "", {}).get(method)


def record_request(*, version: str, method: str, url_name: str | None, status: int, seconds: float) -> None:
    """Count an API request, and for a write of the incident API its operation and duration."""
    metrics.api_request(version=version, method=method, status=status)
    operation = ingest_operation(url_name, method)
    if operation is not None:
        metrics.ingest_request(operation=operation, status=status, seconds=seconds)


def record_sighting(source, now) -> None:
    """A request of ``source`` proves it alive (``services.source_system_seen``); a database that
    refuses the write is logged, never the request's failure."""
    try:
        source_system_seen(source=source, now=now)
    except DatabaseError:
        logger.warning("Could not record that source %s was seen", source.pk, exc_info=True)
