"""The Django admin of the incident app, one module per subject.

Importing the package registers every ModelAdmin (Django's admin autodiscovery imports it).
Every state change made here goes through :mod:`argus.incident.services`, exactly as an API
request would; a service's refusal is shown as a form error or a message
(:mod:`argus.incident.admin.refusals`), never as a server error.
"""

from argus.incident.admin import (  # noqa: F401  (registers the ModelAdmins)
    acknowledgements,
    events,
    incidents,
    relations,
    source_systems,
    tags,
)
