"""auth.md §4.5: the current user (v1 with phone numbers, v2 with admin_url) and user lookup."""

import pytest

from argus.auth import services
from tests.factories import EndUserFactory

pytestmark = pytest.mark.django_db

VERSIONS = ["v1", "v2"]


def test_v1_current_user_embeds_phone_numbers_in_pk_order(end_user, end_user_client, other_end_user):
    first = services.phone_number_create(user=end_user, phone_number="+4790909090")
    second = services.phone_number_create(user=end_user, phone_number="+47 67 67 67 67")
    services.phone_number_create(user=other_end_user, phone_number="+4791234567")
    response = end_user_client.get("/api/v1/auth/user/")
    assert response.status_code == 200
    assert response.json() == {
        "username": end_user.username,
        "first_name": end_user.first_name,
        "last_name": end_user.last_name,
        "email": end_user.email,
        "phone_numbers": [
            {"pk": first.pk, "user": end_user.pk, "phone_number": "+4790909090"},
            {"pk": second.pk, "user": end_user.pk, "phone_number": "+4767676767"},
        ],
    }
    assert list(response.json()) == ["username", "first_name", "last_name", "email", "phone_numbers"]


def test_v1_current_user_without_phone_numbers(end_user_client):
    assert end_user_client.get("/api/v1/auth/user/").json()["phone_numbers"] == []


def test_v2_current_user_has_no_admin_url_for_non_staff(end_user, end_user_client):
    response = end_user_client.get("/api/v2/auth/user/")
    assert response.status_code == 200
    assert response.json() == {
        "username": end_user.username,
        "first_name": end_user.first_name,
        "last_name": end_user.last_name,
        "email": end_user.email,
        "admin_url": None,
    }


def test_v2_current_user_links_the_admin_for_staff(superuser, superuser_client):
    response = superuser_client.get("/api/v2/auth/user/", HTTP_HOST="127.0.0.1:8100")
    assert response.json()["admin_url"] == "http://127.0.0.1:8100/admin/"
    assert list(response.json()) == ["username", "first_name", "last_name", "email", "admin_url"]


def test_v2_admin_url_for_staff_without_superuser(client_for):
    staff = EndUserFactory(is_staff=True)
    response = client_for(staff).get("/api/v2/auth/user/")
    assert response.json()["admin_url"] == "http://testserver/admin/"


@pytest.mark.parametrize("version", VERSIONS)
def test_current_user_needs_authentication(api_client, version):
    response = api_client.get(f"/api/{version}/auth/user/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("version", VERSIONS)
def test_current_user_is_read_only(end_user_client, version):
    response = end_user_client.put(f"/api/{version}/auth/user/", {"username": "x"})
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.'}


@pytest.mark.parametrize("version", VERSIONS)
def test_any_user_may_read_any_user(end_user_client, other_end_user, version):
    response = end_user_client.get(f"/api/{version}/auth/users/{other_end_user.pk}/")
    assert response.status_code == 200
    assert response.json() == {
        "username": other_end_user.username,
        "first_name": other_end_user.first_name,
        "last_name": other_end_user.last_name,
        "email": other_end_user.email,
    }


@pytest.mark.parametrize("version", VERSIONS)
def test_source_system_may_read_users(source_client, end_user, version):
    assert source_client.get(f"/api/{version}/auth/users/{end_user.pk}/").status_code == 200


@pytest.mark.parametrize("version", VERSIONS)
def test_unknown_user_pk(end_user_client, version):
    response = end_user_client.get(f"/api/{version}/auth/users/999999/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No User matches the given query."}


@pytest.mark.parametrize("version", VERSIONS)
def test_huge_user_pk_is_404_not_500(end_user_client, version):
    response = end_user_client.get(f"/api/{version}/auth/users/{10**30}/")
    assert response.status_code == 404


@pytest.mark.parametrize("version", VERSIONS)
def test_non_integer_user_pk_is_html_404(end_user_client, version):
    response = end_user_client.get(f"/api/{version}/auth/users/abc/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("method", ["post", "put"])
def test_user_lookup_is_read_only(end_user_client, other_end_user, version, method):
    response = getattr(end_user_client, method)(f"/api/{version}/auth/users/{other_end_user.pk}/", {})
    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method.upper()}" not allowed.'}


@pytest.mark.parametrize("version", VERSIONS)
def test_user_lookup_needs_authentication(api_client, end_user, version):
    response = api_client.get(f"/api/{version}/auth/users/{end_user.pk}/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
