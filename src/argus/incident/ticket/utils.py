"""Loading the configured ticket plugin and creating an incident's automatic ticket."""

import logging
from urllib.parse import urljoin

from django.conf import settings
from django.utils.module_loading import import_string

from argus.incident import services
from argus.incident.models import Incident
from argus.incident.queries import incidents_for_representation
from argus.incident.representation import incident_to_v2
from argus.incident.ticket.base import TicketClientException, TicketCreationException

logger = logging.getLogger(__name__)

NO_PLUGIN_MESSAGE = (
    'No path to ticket plugin can be found in the settings. Please update the setting "TICKET_PLUGIN".'
)
IMPORT_ERROR_MESSAGE = 'The ticket plugin could not be imported. Please check the setting "TICKET_PLUGIN".'
CLIENT_ERROR_MESSAGE = (
    "Client for connecting to the ticket system could not be created. Please check the settings "
    '"TICKET_ENDPOINT" and "TICKET_AUTHENTICATION_SECRET".'
)
CREATION_ERROR_MESSAGE = (
    'The ticket system refused to create the ticket. Please check the setting "TICKET_INFORMATION" '
    "and the permissions of the ticket system user."
)
PLUGIN_ERROR_MESSAGE = "The ticket plugin failed to create a ticket. See the server log for details."
NO_URL_MESSAGE = (
    "No url could be generated. Please check that the ticket plugin provides a function to create tickets."
)


class AutomaticTicketError(Exception):
    """A ticket could not be made; ``message`` is the (bare string) API body."""

    def __init__(self, message: str, status_code: int):
        super().__init__(message)
        self.message = message
        self.status_code = status_code


def get_ticket_plugin_path() -> str | None:
    return settings.TICKET_PLUGIN or None


def import_ticket_plugin(path: str):
    """The plugin class at ``path``; :class:`AutomaticTicketError` (500) when it cannot be used."""
    try:
        plugin = import_string(path)
    except Exception:  # ImportError, or any error raised while importing the plugin's module
        logger.exception("Could not import the ticket plugin %r", path)
        raise AutomaticTicketError(IMPORT_ERROR_MESSAGE, 500) from None
    if not callable(getattr(plugin, "create_ticket", None)):
        logger.error("The ticket plugin %r has no create_ticket()", path)
        raise AutomaticTicketError(IMPORT_ERROR_MESSAGE, 500)
    return plugin


def serialize_incident_for_ticket(incident: Incident, user) -> dict:
    """The v2 incident plus ``argus_url`` (the incident in the frontend) and ``user`` (full name)."""
    incident = incidents_for_representation().get(pk=incident.pk)
    serialized = incident_to_v2(incident)
    serialized["argus_url"] = urljoin(settings.FRONTEND_URL or "", f"incidents/{incident.pk}")
    serialized["user"] = user.get_full_name()
    return serialized


def create_automatic_ticket(*, incident: Incident, actor) -> str:
    """Ask the plugin for a ticket and store its URL (with a CHI event); returns the URL.

    The plugin runs outside any database transaction: it may talk to a slow external system.
    """
    path = get_ticket_plugin_path()
    if not path:
        raise AutomaticTicketError(NO_PLUGIN_MESSAGE, 400)
    plugin = import_ticket_plugin(path)
    serialized = serialize_incident_for_ticket(incident, actor)
    try:
        url = plugin.create_ticket(serialized)
    except TicketClientException:
        logger.exception("Ticket plugin %r could not connect to the ticket system", path)
        raise AutomaticTicketError(CLIENT_ERROR_MESSAGE, 503) from None
    except TicketCreationException:
        logger.exception("Ticket plugin %r could not create a ticket", path)
        raise AutomaticTicketError(CREATION_ERROR_MESSAGE, 403) from None
    except Exception:
        logger.exception("Ticket plugin %r failed", path)
        raise AutomaticTicketError(PLUGIN_ERROR_MESSAGE, 500) from None
    if not url or not isinstance(url, str):
        raise AutomaticTicketError(NO_URL_MESSAGE, 400)
    # A concurrent request may have set a ticket while the plugin worked: never overwrite it.
    existing = Incident.objects.filter(pk=incident.pk).values_list("ticket_url", flat=True).first()
    if existing:
        logger.warning("Incident %s got ticket %s meanwhile; %s is not used", incident.pk, existing, url)
        return existing
    services.incident_set_ticket_url(incident=incident, actor=actor, ticket_url=url)
    return url
