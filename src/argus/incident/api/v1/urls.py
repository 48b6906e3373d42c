"""URLs under /api/v1/incidents/."""

from argus.incident.api.urls_incidents import v1_patterns as incident_patterns
from argus.incident.api.urls_related import v1_patterns as related_patterns

urlpatterns = related_patterns + incident_patterns
