"""The ticket plugin interface, loading and the dummy plugin (argus.incident.ticket)."""

import pytest

from argus.incident.ticket import utils
from argus.incident.ticket.base import TicketPlugin
from argus.incident.ticket.dummy import DEFAULT_ENDPOINT, DummyTicketPlugin
from tests.factories import EndUserFactory, IncidentFactory


def test_plugin_base_class_requires_create_ticket():
    class Incomplete(TicketPlugin):
        pass

    with pytest.raises(TypeError):
        Incomplete()


def test_import_settings_reads_the_ticket_settings(settings):
    settings.TICKET_ENDPOINT = "https://t.example.org/"
    settings.TICKET_AUTHENTICATION_SECRET = {"token": "s3cret"}
    settings.TICKET_INFORMATION = {"queue": "noc"}
    assert TicketPlugin.import_settings() == ("https://t.example.org/", {"token": "s3cret"}, {"queue": "noc"})


def test_import_ticket_plugin_returns_the_class():
    assert utils.import_ticket_plugin("argus.incident.ticket.dummy.DummyTicketPlugin") is DummyTicketPlugin


@pytest.mark.parametrize(
    "path", ["nope", "argus.incident.ticket.dummy.Missing", "argus.incident.ticket.dummy"]
)
def test_import_ticket_plugin_refuses_what_is_not_a_plugin(path):
    with pytest.raises(utils.AutomaticTicketError) as excinfo:
        utils.import_ticket_plugin(path)
    assert excinfo.value.status_code == 500
    assert excinfo.value.message == utils.IMPORT_ERROR_MESSAGE


def test_dummy_plugin_url_is_deterministic(settings):
    settings.TICKET_ENDPOINT = None
    assert DummyTicketPlugin.create_ticket({"pk": 42}) == f"{DEFAULT_ENDPOINT}42"
    settings.TICKET_ENDPOINT = "https://t.example.org/q"
    assert DummyTicketPlugin.create_ticket({"pk": 42}) == "https://t.example.org/q/42"


@pytest.mark.django_db
def test_serialized_incident_has_frontend_link_and_requester_name(settings):
    settings.FRONTEND_URL = "https://argus.example.org/"
    incident = IncidentFactory()
    user = EndUserFactory(first_name="Ada", last_name="Lovelace")
    serialized = utils.serialize_incident_for_ticket(incident, user)
    assert serialized["pk"] == incident.pk
    assert list(serialized)[-2:] == ["argus_url", "user"]
    assert serialized["argus_url"] == f"https://argus.example.org/incidents/{incident.pk}"
    assert serialized["user"] == "Ada Lovelace"


@pytest.mark.django_db
def test_create_automatic_ticket_without_plugin(settings):
    settings.TICKET_PLUGIN = None
    with pytest.raises(utils.AutomaticTicketError) as excinfo:
        utils.create_automatic_ticket(incident=IncidentFactory(), actor=EndUserFactory())
    assert excinfo.value.status_code == 400


@pytest.mark.parametrize(
    "path, problems",
    [
        (None, 0),
        ("argus.incident.ticket.dummy.DummyTicketPlugin", 0),
        ("no.such.Plugin", 1),
        ("argus.incident.ticket.dummy.DEFAULT_ENDPOINT", 1),
    ],
)
def test_system_check_reports_unusable_ticket_plugin(settings, path, problems):
    from django.core.checks import run_checks

    settings.TICKET_PLUGIN = path
    errors = [e for e in run_checks() if e.id == "argus_incident.E001"]
    assert len(errors) == problems
