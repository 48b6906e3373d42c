"""v2 PUT incidents/<pk>/automatic-ticket/ (incidents.md §4.17)."""

import pytest

from argus.incident.models import Event, Incident
from argus.incident.ticket import utils
from argus.incident.ticket.base import (
    TicketClientException,
    TicketCreationException,
    TicketPlugin,
    TicketSettingsException,
)
from argus.incident.ticket.dummy import DummyTicketPlugin
from tests.incident.api.related_helpers import make_incident

pytestmark = pytest.mark.django_db

DUMMY = "argus.incident.ticket.dummy.DummyTicketPlugin"
HERE = __name__


class ClientFailingPlugin(TicketPlugin):
    @classmethod
    def create_ticket(cls, serialized_incident):
        raise TicketClientException("connection refused")


class CreationFailingPlugin(TicketPlugin):
    @classmethod
    def create_ticket(cls, serialized_incident):
        raise TicketCreationException("forbidden")


class SettingsFailingPlugin(TicketPlugin):
    @classmethod
    def create_ticket(cls, serialized_incident):
        raise TicketSettingsException("no endpoint")


class CrashingPlugin(TicketPlugin):
    @classmethod
    def create_ticket(cls, serialized_incident):
        raise KeyError("secret internals")


class NoUrlPlugin(TicketPlugin):
    @classmethod
    def create_ticket(cls, serialized_incident):
        return None


@pytest.fixture
def incident(source_system):
    return make_incident(source_system, description="disk full")


@pytest.fixture(autouse=True)
def clear_dummy_tickets():
    DummyTicketPlugin.tickets.clear()
    yield
    DummyTicketPlugin.tickets.clear()


def put_ticket(client, incident_pk, version="v2"):
    return client.put(
        f"/api/{version}/incidents/{incident_pk}/automatic-ticket/", {"ignored": 1}, format="json"
    )


def test_plugin_creates_ticket_and_records_change(end_user_client, end_user, incident, settings):
    settings.TICKET_PLUGIN = DUMMY
    settings.TICKET_ENDPOINT = "https://tickets.example.org/queue/"
    settings.FRONTEND_URL = "https://argus.example.org/"
    response = put_ticket(end_user_client, incident.pk)
    expected = f"https://tickets.example.org/queue/{incident.pk}"
    assert response.status_code == 200
    assert response.json() == {"ticket_url": expected}
    assert Incident.objects.get(pk=incident.pk).ticket_url == expected
    change = Event.objects.get(incident=incident, type="CHI")
    assert change.actor == end_user
    assert change.description == f'Change: "ticket_url":  → {expected}'
    (ticket,) = DummyTicketPlugin.tickets
    sent = ticket["incident"]
    assert sent["pk"] == incident.pk
    assert sent["description"] == "disk full"
    assert "metadata" in sent  # the v2 shape
    assert sent["argus_url"] == f"https://argus.example.org/incidents/{incident.pk}"
    assert sent["user"] == end_user.get_full_name()


def test_existing_ticket_is_never_overwritten(end_user_client, source_system, settings):
    settings.TICKET_PLUGIN = DUMMY
    incident = make_incident(source_system, ticket_url="https://old.example.org/1")
    response = put_ticket(end_user_client, incident.pk)
    assert response.status_code == 200
    assert response.json() == {"ticket_url": "https://old.example.org/1"}
    assert DummyTicketPlugin.tickets == []
    assert not Event.objects.filter(type="CHI").exists()


@pytest.mark.parametrize("plugin", [None, ""])
def test_no_plugin_configured_is_400_bare_string(end_user_client, incident, settings, plugin):
    settings.TICKET_PLUGIN = plugin
    response = put_ticket(end_user_client, incident.pk)
    assert response.status_code == 400
    assert response.json() == (
        'No path to ticket plugin can be found in the settings. Please update the setting "TICKET_PLUGIN".'
    )


@pytest.mark.parametrize(
    "plugin, status, message",
    [
        ("no.such.module.Plugin", 500, utils.IMPORT_ERROR_MESSAGE),
        (f"{HERE}.NoSuchClass", 500, utils.IMPORT_ERROR_MESSAGE),
        (f"{HERE}.pytestmark", 500, utils.IMPORT_ERROR_MESSAGE),  # not a plugin
        (f"{HERE}.ClientFailingPlugin", 503, utils.CLIENT_ERROR_MESSAGE),
        (f"{HERE}.CreationFailingPlugin", 403, utils.CREATION_ERROR_MESSAGE),
        (f"{HERE}.SettingsFailingPlugin", 500, utils.PLUGIN_ERROR_MESSAGE),
        (f"{HERE}.CrashingPlugin", 500, utils.PLUGIN_ERROR_MESSAGE),
        (f"{HERE}.NoUrlPlugin", 400, utils.NO_URL_MESSAGE),
    ],
)
def test_plugin_failures_are_reported_and_change_nothing(
    end_user_client, incident, settings, plugin, status, message
):
    settings.TICKET_PLUGIN = plugin
    response = put_ticket(end_user_client, incident.pk)
    assert response.status_code == status
    assert response.json() == message
    assert "secret internals" not in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).ticket_url == ""
    assert not Event.objects.filter(type="CHI").exists()


def test_unknown_incident_is_404(end_user_client, db, settings):
    settings.TICKET_PLUGIN = DUMMY
    response = put_ticket(end_user_client, 999999)
    assert response.status_code == 404
    assert response.json() == {"detail": "No Incident matches the given query."}


def test_only_put_is_allowed(end_user_client, incident):
    response = end_user_client.post(f"/api/v2/incidents/{incident.pk}/automatic-ticket/", {}, format="json")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.'}


def test_automatic_ticket_is_v2_only(end_user_client, incident, settings):
    settings.TICKET_PLUGIN = DUMMY
    assert put_ticket(end_user_client, incident.pk, version="v1").status_code == 404
    assert Incident.objects.get(pk=incident.pk).ticket_url == ""


def test_automatic_ticket_needs_authentication(api_client, incident, settings):
    settings.TICKET_PLUGIN = DUMMY
    assert put_ticket(api_client, incident.pk).status_code == 401


class SlowRacingPlugin(TicketPlugin):
    """Another request stores a ticket while this plugin is still working."""

    @classmethod
    def create_ticket(cls, serialized_incident):
        Incident.objects.filter(pk=serialized_incident["pk"]).update(ticket_url="https://first.example.org/1")
        return "https://second.example.org/1"


def test_ticket_set_meanwhile_is_not_overwritten(end_user_client, incident, settings):
    settings.TICKET_PLUGIN = f"{HERE}.SlowRacingPlugin"
    response = put_ticket(end_user_client, incident.pk)
    assert response.status_code == 200
    assert response.json() == {"ticket_url": "https://first.example.org/1"}
    assert Incident.objects.get(pk=incident.pk).ticket_url == "https://first.example.org/1"
