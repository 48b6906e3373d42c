"""The ticket plugin interface.

A plugin is a class, named by its dotted path in the setting ``TICKET_PLUGIN``, with a
``create_ticket`` classmethod. It receives the incident as the v2 API represents it, plus
``argus_url`` (the incident in the frontend) and ``user`` (the full name of the user asking for
the ticket), and returns the URL of the new ticket. Connection settings come from
``TICKET_ENDPOINT``, ``TICKET_AUTHENTICATION_SECRET`` and ``TICKET_INFORMATION``.

Plugins report failures with the exceptions below; the API turns them into answers:
:class:`TicketClientException` 503, :class:`TicketCreationException` 403, anything else 500.
"""

from abc import ABC, abstractmethod

from django.conf import settings


class TicketPluginException(Exception):
    """Any failure of a ticket plugin."""


class TicketSettingsException(TicketPluginException):
    """The TICKET_* settings the plugin needs are missing or malformed."""


class TicketClientException(TicketPluginException):
    """No client for the ticket system could be made (unreachable, bad credentials, ...)."""


class TicketCreationException(TicketPluginException):
    """The ticket system refused to create the ticket."""


class TicketPlugin(ABC):
    """Base class of ticket plugins; subclasses implement :meth:`create_ticket`."""

    @classmethod
    def import_settings(cls) -> tuple[str | None, object, object]:
        """``(TICKET_ENDPOINT, TICKET_AUTHENTICATION_SECRET, TICKET_INFORMATION)``."""
        return (
            settings.TICKET_ENDPOINT,
            settings.TICKET_AUTHENTICATION_SECRET,
            settings.TICKET_INFORMATION,
        )

    @classmethod
    @abstractmethod
    def create_ticket(cls, serialized_incident: dict) -> str | None:
        """Create a ticket for the incident and return its URL."""
