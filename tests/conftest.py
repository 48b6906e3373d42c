"""Shared fixtures: API clients authenticated as the three kinds of users."""

from functools import partial

import pytest
from django.http import HttpResponse
from rest_framework.test import APIClient as DRFAPIClient

from tests.factories import (
    EndUserFactory,
    SourceSystemFactory,
    SuperUserFactory,
    token_for,
)


class APIClient(DRFAPIClient):
    """DRF's test client, reading a streamed answer whole as an HTTP client would, so that
    ``content`` and ``json()`` work on every response; ``streamed`` says whether it was."""

    def request(self, **kwargs):
        response = super().request(**kwargs)
        if not response.streaming:
            response.streamed = False
            return response
        # Reading it to the end closes it (the test client's wrapper, as a WSGI server would).
        whole = HttpResponse(b"".join(response.streaming_content), status=response.status_code)
        for header, value in response.items():
            whole[header] = value
        for name in ("client", "request", "wsgi_request", "resolver_match", "templates", "context"):
            if hasattr(response, name):
                setattr(whole, name, getattr(response, name))
        whole.json = partial(self._parse_json, whole)
        whole.streamed = True
        return whole


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def end_user(db):
    return EndUserFactory()


@pytest.fixture
def other_end_user(db):
    return EndUserFactory()


@pytest.fixture
def superuser(db):
    return SuperUserFactory()


@pytest.fixture
def source_system(db):
    return SourceSystemFactory()


@pytest.fixture
def source_user(source_system):
    return source_system.user


def _client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user).key}")
    return client


@pytest.fixture
def end_user_client(end_user):
    return _client_for(end_user)


@pytest.fixture
def other_end_user_client(other_end_user):
    return _client_for(other_end_user)


@pytest.fixture
def superuser_client(superuser):
    return _client_for(superuser)


@pytest.fixture
def source_client(source_user):
    return _client_for(source_user)


@pytest.fixture
def client_for():
    return _client_for


@pytest.fixture
def ui_off(settings):
    """The site as it is with ARGUS_UI=false: no UI paths, the 1.37 home page at /."""
    settings.ARGUS_UI = False
    settings.LOGIN_URL = "/admin/login/"
    settings.ROOT_URLCONF = "tests.ui.urls_ui_off"
