"""The ingest operations of ``/metrics``: which write request to the incident API is which.

``argus_ingest_requests_total`` and ``argus_ingest_request_duration_seconds`` carry the
operation as a label; it is found from the URL name the request resolved to and its method.
A request that matches none (a read, an unknown path) is no ingest request.
"""

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
