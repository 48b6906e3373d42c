"""Fixtures of the incident endpoint tests (incidents.md §4.1–§4.9)."""

import pytest

from argus.incident import services
from argus.util.datetime_utils import INFINITY
from tests.factories import SourceSystemFactory, SuperUserFactory


@pytest.fixture(params=["v1", "v2"])
def version(request):
    return request.param


@pytest.fixture
def incidents_url(version):
    return f"/api/{version}/incidents/"


@pytest.fixture
def make_incident(source_system):
    """Create an incident through the service layer (tags as ``key=value`` strings)."""

    def make(*, source=None, actor=None, tags=(), **fields):
        source = source or source_system
        fields.setdefault("start_time", "2024-05-01T10:00:00+02:00")
        if isinstance(fields["start_time"], str):
            from argus.incident.api.fields import parse_api_datetime

            fields["start_time"] = parse_api_datetime(fields["start_time"])
        fields.setdefault("end_time", INFINITY)
        return services.incident_create(actor=actor or source.user, source=source, tags=tags, **fields)

    return make


@pytest.fixture
def other_source_system(db):
    return SourceSystemFactory()


@pytest.fixture
def source_superuser(db):
    """A superuser that is also a source system's user."""
    user = SuperUserFactory()
    return SourceSystemFactory(user=user)
