"""How the API answers the auth app's domain errors (see ``argus.site.exceptions``)."""

ERROR_RESPONSES = {}
