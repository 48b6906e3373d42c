"""auth.md §6 / operations.md §5: the auth part of the admin site loads and behaves."""

import pytest
from django.contrib.admin.sites import site
from django.test import Client
from rest_framework.authtoken.models import Token

from argus.auth.models import Preferences, User
from tests.factories import EventFactory, IncidentFactory, knox_token_for, token_for

pytestmark = pytest.mark.django_db

AUTH_MODELS = [
    "argus_auth/user",
    "auth/group",
    "authtoken/tokenproxy",
    "knox/authtoken",
    "social_django/association",
    "social_django/nonce",
    "social_django/usersocialauth",
]


@pytest.fixture
def admin_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def registered():
    return {f"{model._meta.app_label}/{model._meta.model_name}" for model in site._registry}


@pytest.mark.parametrize("model", AUTH_MODELS)
def test_auth_models_are_registered(model):
    assert model in registered()


@pytest.mark.parametrize("model", AUTH_MODELS)
def test_changelist_loads(admin_client, end_user, model):
    token_for(end_user)
    knox_token_for(end_user)
    response = admin_client.get(f"/admin/{model}/")
    assert response.status_code == 200


@pytest.mark.parametrize("model", [m for m in AUTH_MODELS if m != "knox/authtoken"])
def test_add_page_loads(admin_client, model):
    assert admin_client.get(f"/admin/{model}/add/").status_code == 200


def test_admin_index_lists_the_token_page_at_the_1_37_path(admin_client):
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    assert b"/admin/authtoken/tokenproxy/" in response.content
    assert admin_client.get("/admin/authtoken/token/").status_code == 404


def test_admin_index_title(admin_client):
    assert b"<title>Site administration | Django site admin</title>" in admin_client.get("/admin/").content


def test_anonymous_is_sent_to_the_login_page():
    response = Client().get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"


def test_a_token_for_a_source_system_user_can_be_created_in_the_admin(admin_client, source_user):
    response = admin_client.post("/admin/authtoken/tokenproxy/add/", {"user": source_user.pk})
    assert response.status_code == 302
    key = Token.objects.get(user=source_user).key
    assert len(key) == 40
    response = Client().get("/api/v2/auth/user/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200


def test_user_change_page_has_the_preferences_inline(admin_client, end_user):
    Preferences.objects.create(user=end_user, namespace="argus_htmx", preferences={"theme": "dark"})
    response = admin_client.get(f"/admin/argus_auth/user/{end_user.pk}/change/")
    assert response.status_code == 200
    assert b"preferences-0-namespace" in response.content
    assert b"argus_htmx" in response.content


def test_preferences_can_be_added_through_the_inline(admin_client, end_user):
    data = {
        "username": end_user.username,
        "first_name": "A",
        "last_name": "B",
        "email": end_user.email,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "preferences-TOTAL_FORMS": "1",
        "preferences-INITIAL_FORMS": "0",
        "preferences-MIN_NUM_FORMS": "0",
        "preferences-MAX_NUM_FORMS": "1000",
        "preferences-0-namespace": "ui",
        "preferences-0-preferences": '{"page_size": 50}',
        "preferences-0-user": end_user.pk,
    }
    response = admin_client.post(f"/admin/argus_auth/user/{end_user.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    assert Preferences.objects.get(user=end_user).preferences == {"page_size": 50}


def test_unused_user_can_be_deleted(admin_client, end_user):
    page = admin_client.get(f"/admin/argus_auth/user/{end_user.pk}/change/")
    assert f"/admin/argus_auth/user/{end_user.pk}/delete/".encode() in page.content
    response = admin_client.post(f"/admin/argus_auth/user/{end_user.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=end_user.pk).exists()


def test_user_who_caused_events_cannot_be_deleted(admin_client, end_user):
    EventFactory(actor=end_user)
    page = admin_client.get(f"/admin/argus_auth/user/{end_user.pk}/change/")
    assert f"/admin/argus_auth/user/{end_user.pk}/delete/".encode() not in page.content
    response = admin_client.post(f"/admin/argus_auth/user/{end_user.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert User.objects.filter(pk=end_user.pk).exists()


def test_source_user_with_incidents_cannot_be_deleted(admin_client, source_system):
    IncidentFactory(source=source_system)
    user = source_system.user
    response = admin_client.post(f"/admin/argus_auth/user/{user.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert User.objects.filter(pk=user.pk).exists()


def test_user_list_has_no_bulk_delete_action(admin_client, end_user):
    response = admin_client.get("/admin/argus_auth/user/")
    assert b'value="delete_selected"' not in response.content


def test_phone_numbers_are_listed_as_sms_destinations(admin_client, end_user):
    from argus.auth import services

    services.phone_number_create(user=end_user, phone_number="+4790909090")
    response = admin_client.get("/admin/argus_notificationprofile/destinationconfig/")
    assert response.status_code == 200
    assert b"+4790909090" in response.content
    assert admin_client.get("/admin/argus_notificationprofile/destinationconfig/add/").status_code == 200
