"""auth.md §7: replacing or deleting a source system's DRF token ends its token-expiry incident."""

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from argus.incident.token_expiry import open_token_expiry_incidents, token_expiry_incident_create
from tests.factories import SourceSystemFactory, knox_token_for, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    source = SourceSystemFactory()
    source.user.set_password("source-pw")
    source.user.save()
    return source


@pytest.fixture
def warning(source):
    token_for(source.user)
    return token_expiry_incident_create(source=source, expiry=timezone.now())


def assert_ended_by_argus(incident):
    incident.refresh_from_db()
    assert not incident.open
    end = incident.events.get(type="END")
    assert end.actor.username == "argus"


def test_new_token_via_token_auth_ends_the_warning(api_client, source, warning):
    response = api_client.post(
        "/api/v1/token-auth/", {"username": source.user.username, "password": "source-pw"}
    )
    assert response.status_code == 200
    assert_ended_by_argus(warning)
    assert not open_token_expiry_incidents(source.pk).exists()


def test_refresh_token_ends_the_warning(source, warning):
    response = Client().post(
        "/api/v2/auth/refresh-token/", HTTP_AUTHORIZATION=f"Token {knox_token_for(source.user)}"
    )
    assert response.status_code == 200
    assert_ended_by_argus(warning)


def test_logout_deleting_the_token_ends_the_warning(source, warning):
    key = Token.objects.get(user=source.user).key
    assert Client().post("/api/v1/auth/logout/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    assert_ended_by_argus(warning)


def test_failed_login_leaves_the_warning_open(api_client, source, warning):
    response = api_client.post("/api/v1/token-auth/", {"username": source.user.username, "password": "wrong"})
    assert response.status_code == 400
    warning.refresh_from_db()
    assert warning.open


def test_other_sources_warnings_stay_open(api_client, source, warning):
    other = SourceSystemFactory()
    other.user.set_password("pw")
    other.user.save()
    api_client.post("/api/v1/token-auth/", {"username": other.user.username, "password": "pw"})
    warning.refresh_from_db()
    assert warning.open


def test_admin_token_creation_and_deletion_end_the_warning(superuser, source, warning):
    client = Client()
    client.force_login(superuser)
    Token.objects.filter(user=source.user).delete()  # the admin can only add a token for a user without one
    response = client.post("/admin/authtoken/tokenproxy/add/", {"user": source.user.pk})
    assert response.status_code == 302
    assert_ended_by_argus(warning)
    second = token_expiry_incident_create(source=source, expiry=timezone.now())
    response = client.post(f"/admin/authtoken/tokenproxy/{source.user.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Token.objects.filter(user=source.user).exists()
    assert_ended_by_argus(second)
