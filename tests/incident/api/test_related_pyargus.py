"""Events, acks and sources through the pyargus client (argus-api-client).

pyargus' HTTP client is pointed at the Django WSGI application in-process (httpx's WSGI
transport): real HTTP requests and responses, no server thread, no network port.
"""

from datetime import UTC, datetime

import httpx
import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from pyargus.client import Client
from simple_rest_client.exceptions import ClientError

from argus.incident.models import Incident
from tests.factories import token_for
from tests.incident.api.related_helpers import make_incident

pytestmark = pytest.mark.django_db


def in_process_app():
    """The Django WSGI app, run the way Django's test client runs it.

    The request must not close the test's database connection (Django's request signals would).
    """
    handler = WSGIHandler()

    def app(environ, start_response):
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            result = handler(environ, start_response)
            body = b"".join(result)
            result.close()
            return [body]
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)

    return app


@pytest.fixture
def pyargus_client(source_user):
    client = Client("http://testserver/api/v2", token_for(source_user).key, timeout=10)
    transport = httpx.WSGITransport(app=in_process_app())
    for resource in client.api._resources.values():
        resource.client = httpx.Client(transport=transport)
    return client


def test_resolve_incident_and_read_its_events(pyargus_client, source_system):
    incident = make_incident(source_system, description="pyargus incident")
    event = pyargus_client.resolve_incident(
        incident.pk, description="resolved", timestamp=datetime(2026, 11, 22, 10, 5, tzinfo=UTC)
    )
    assert event.type == "END"
    assert event.description == "resolved"
    assert event.incident == incident.pk
    assert not Incident.objects.get(pk=incident.pk).open
    events = pyargus_client.get_incident_events(incident.pk)
    assert sorted(e.type for e in events) == ["END", "STA"]


def test_restart_event_type_is_refused(pyargus_client, source_system):
    incident = make_incident(source_system)
    with pytest.raises(ClientError):
        pyargus_client.restart_incident(incident.pk)  # "RES" is no event type in 1.37


def test_acknowledgements_are_read_by_pyargus(pyargus_client, source_system, end_user_client):
    incident = make_incident(source_system)
    response = end_user_client.post(
        f"/api/v2/incidents/{incident.pk}/acks/",
        {"timestamp": "2026-11-22T11:40:00+01:00", "description": "on it"},
        format="json",
    )
    assert response.status_code == 201
    (ack,) = pyargus_client.get_incident_acknowledgements(incident.pk)
    assert ack.event.description == "on it"
    assert ack.expiration is None


def test_pyargus_sees_heartbeat_support_and_sends_heartbeats(pyargus_client, source_system):
    assert pyargus_client.supports_heartbeat() is True
    source_system.refresh_from_db()
    before = source_system.last_seen
    pyargus_client.send_heartbeat()
    source_system.refresh_from_db()
    assert source_system.last_seen is not None
    assert before is None or source_system.last_seen > before
