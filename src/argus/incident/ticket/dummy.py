"""A ticket plugin that talks to no external system, for demos and tests.

``TICKET_PLUGIN = "argus.incident.ticket.dummy.DummyTicketPlugin"`` gives every incident the
ticket ``<TICKET_ENDPOINT>/<incident pk>`` (``TICKET_ENDPOINT`` defaults to
``https://tickets.example.org/argus/``). The tickets it "created" are kept in
:attr:`DummyTicketPlugin.tickets` of the running process.
"""

from argus.incident.ticket.base import TicketPlugin

DEFAULT_ENDPOINT = "https://tickets.example.org/argus/"


class DummyTicketPlugin(TicketPlugin):
    tickets: list[dict] = []

    @classmethod
    def create_ticket(cls, serialized_incident: dict) -> str:
        endpoint, _secret, _information = cls.import_settings()
        endpoint = (endpoint or DEFAULT_ENDPOINT).rstrip("/")
        url = f"{endpoint}/{serialized_incident['pk']}"
        cls.tickets.append({"url": url, "incident": serialized_incident})
        return url
