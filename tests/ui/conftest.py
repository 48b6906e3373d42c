"""Fixtures of the web UI tests: logged-in Django test clients and a few incidents."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from argus.auth.services import preferences_update
from argus.incident import services
from argus.ui import conf
from tests.factories import EndUserFactory, SourceSystemFactory, SuperUserFactory, UserFactory


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def set_preferences(user, changes: dict) -> None:
    """Store UI preferences for ``user`` as the preferences page would."""
    preferences_update(user=user, namespace=conf.PREFERENCES_NAMESPACE, changes=changes)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def user(db):
    return EndUserFactory(username="operator")


@pytest.fixture
def ui(user):
    """A browser without scripts, logged in as an ordinary user."""
    return logged_in(user)


@pytest.fixture
def staff(db):
    return UserFactory(username="staffer", is_staff=True)


@pytest.fixture
def staff_ui(staff):
    return logged_in(staff)


@pytest.fixture
def admin_ui(db):
    return logged_in(SuperUserFactory())


@pytest.fixture
def htmx(ui):
    """The same user's requests as htmx sends them."""

    class HtmxClient:
        def get(self, path, data=None, **extra):
            return ui.get(path, data, HTTP_HX_REQUEST="true", **extra)

        def post(self, path, data=None, **extra):
            return ui.post(path, data, HTTP_HX_REQUEST="true", **extra)

    return HtmxClient()


@pytest.fixture
def source(db):
    return SourceSystemFactory(name="nav-prod")


@pytest.fixture
def make_incident(source):
    counter = iter(range(10_000))

    def make(**fields):
        n = next(counter)
        fields.setdefault("start_time", timezone.now() - timedelta(minutes=n))
        fields.setdefault("description", f"Incident number {n}")
        fields.setdefault("source_incident_id", f"ui-{n}")
        return services.incident_create(
            actor=fields.pop("actor", source.user), source=fields.pop("source", source), **fields
        )

    return make
