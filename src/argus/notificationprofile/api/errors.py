"""How the API answers the notification app's domain errors (see ``argus.site.exceptions``)."""

ERROR_RESPONSES = {}
