"""Helpers shared by the test_related_* modules (incident sub-resources)."""

from datetime import timedelta

from django.utils import timezone

from argus.incident import services
from argus.util.datetime_utils import INFINITY

VERSIONS = ["v1", "v2"]


def make_incident(source, *, stateless=False, end_time=INFINITY, start_time=None, **kwargs):
    """An incident created the way the API creates one (tags, STA/LES event)."""
    return services.incident_create(
        actor=source.user,
        source=source,
        start_time=start_time or timezone.now() - timedelta(hours=1),
        end_time=None if stateless else end_time,
        **kwargs,
    )


def url(version: str, path: str) -> str:
    return f"/api/{version}/incidents/{path}"
