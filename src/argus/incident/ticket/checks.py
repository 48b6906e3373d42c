"""System check: a configured TICKET_PLUGIN must be importable and usable (`manage.py check`)."""

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string

TICKET_PLUGIN_CHECK_ID = "argus_incident.E001"


@register()
def check_ticket_plugin(app_configs=None, **kwargs):
    path = settings.TICKET_PLUGIN
    if not path:
        return []
    try:
        plugin = import_string(path)
    except Exception as error:  # any failure to import is a misconfiguration
        return [
            Error(
                f"The ticket plugin {path!r} cannot be imported: {error}",
                hint="Check the setting TICKET_PLUGIN (env ARGUS_TICKET_PLUGIN).",
                id=TICKET_PLUGIN_CHECK_ID,
            )
        ]
    if not callable(getattr(plugin, "create_ticket", None)):
        return [
            Error(
                f"The ticket plugin {path!r} has no create_ticket() method.",
                hint="A ticket plugin subclasses argus.incident.ticket.base.TicketPlugin.",
                id=TICKET_PLUGIN_CHECK_ID,
            )
        ]
    return []
