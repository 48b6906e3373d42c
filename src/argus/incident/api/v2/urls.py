"""URLs under /api/v2/incidents/."""

from argus.incident.api.urls_incidents import v2_patterns as incident_patterns
from argus.incident.api.urls_related import v2_patterns as related_patterns

urlpatterns = related_patterns + incident_patterns
