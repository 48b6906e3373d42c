"""Every row of auth.md §2.1: header formats, token kinds, expiry, inactive users, 401 headers."""

from datetime import timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.authtoken.models import Token

from tests.factories import EndUserFactory, knox_token_for, token_for

pytestmark = pytest.mark.django_db

USER_URL = "/api/v2/auth/user/"


def get(client, url=USER_URL, **headers):
    return client.get(url, **headers)


def assert_401(response, detail):
    assert response.status_code == 401
    assert response.json() == {"detail": detail}
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("keyword", ["Token", "token", "TOKEN", "tOkEn"])
def test_drf_token_keyword_is_case_insensitive(api_client, end_user, keyword):
    key = token_for(end_user).key
    response = get(api_client, HTTP_AUTHORIZATION=f"{keyword} {key}")
    assert response.status_code == 200
    assert response.json()["username"] == end_user.username


@pytest.mark.parametrize("keyword", ["Token", "token"])
def test_knox_token_uses_the_same_keyword(api_client, end_user, keyword):
    key = knox_token_for(end_user)
    assert len(key) == 64
    response = get(api_client, HTTP_AUTHORIZATION=f"{keyword} {key}")
    assert response.status_code == 200
    assert response.json()["username"] == end_user.username


def test_no_header_is_not_authenticated(api_client):
    assert_401(get(api_client), "Authentication credentials were not provided.")


@pytest.mark.parametrize("header", ["Bearer abc", "Basic dXNlcjpwYXNz", "Tokenabc"])
def test_other_schemes_are_treated_as_no_credentials(api_client, end_user, header):
    assert_401(get(api_client, HTTP_AUTHORIZATION=header), "Authentication credentials were not provided.")


def test_bearer_with_a_valid_key_is_not_recognised(api_client, end_user):
    key = token_for(end_user).key
    assert_401(
        get(api_client, HTTP_AUTHORIZATION=f"Bearer {key}"), "Authentication credentials were not provided."
    )


def test_keyword_without_key(api_client):
    assert_401(get(api_client, HTTP_AUTHORIZATION="Token"), "Invalid token header. No credentials provided.")


def test_key_with_spaces(api_client):
    assert_401(
        get(api_client, HTTP_AUTHORIZATION="Token a b"),
        "Invalid token header. Token string should not contain spaces.",
    )


def test_key_with_undecodable_bytes(api_client):
    header = "Token ab\xffcd".encode("latin-1").decode("latin-1")
    assert_401(
        get(api_client, HTTP_AUTHORIZATION=header),
        "Invalid token header. Token string should not contain invalid characters.",
    )


@pytest.mark.parametrize("key", ["0" * 40, "f" * 64, "nonsense", "a\x00b", "x" * 500])
def test_unknown_key(api_client, key):
    assert_401(get(api_client, HTTP_AUTHORIZATION=f"Token {key}"), "Invalid token.")


def test_expired_drf_token_is_rejected_and_deleted(api_client, end_user):
    token = token_for(end_user)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=14, seconds=5))
    assert_401(get(api_client, HTTP_AUTHORIZATION=f"Token {token.key}"), "Token has expired.")
    assert not Token.objects.filter(pk=token.pk).exists()
    assert_401(get(api_client, HTTP_AUTHORIZATION=f"Token {token.key}"), "Invalid token.")


def test_drf_token_just_under_fourteen_days_is_valid(api_client, end_user):
    token = token_for(end_user)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=13, hours=23))
    assert get(api_client, HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200


def test_drf_token_of_inactive_user(api_client):
    user = EndUserFactory(is_active=False)
    key = token_for(user).key
    assert_401(get(api_client, HTTP_AUTHORIZATION=f"Token {key}"), "User inactive or deleted.")


def test_knox_token_of_inactive_user(api_client):
    user = EndUserFactory(is_active=False)
    key = knox_token_for(user)
    assert_401(get(api_client, HTTP_AUTHORIZATION=f"Token {key}"), "User inactive or deleted.")


def test_expired_knox_token_is_invalid_and_deleted(api_client, end_user):
    key = knox_token_for(end_user, expiry=timedelta(hours=-1))
    assert AuthToken.objects.filter(user=end_user).count() == 1
    assert_401(get(api_client, HTTP_AUTHORIZATION=f"Token {key}"), "Invalid token.")
    assert not AuthToken.objects.filter(user=end_user).exists()


def test_knox_tokens_do_not_follow_the_fourteen_day_rule(api_client, end_user):
    key = knox_token_for(end_user, expiry=timedelta(days=30))
    AuthToken.objects.filter(user=end_user).update(created=timezone.now() - timedelta(days=20))
    assert get(api_client, HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/login-methods/"),
        ("post", "/api/v1/token-auth/"),
        ("post", "/api/v2/token-auth/"),
        ("post", "/api/v1/auth/logout/"),
        ("post", "/api/v2/auth/token/login/"),
    ],
)
def test_bad_header_makes_public_endpoints_answer_401(api_client, method, url):
    response = getattr(api_client, method)(url, HTTP_AUTHORIZATION="Token bogus")
    assert_401(response, "Invalid token.")


@pytest.mark.parametrize("url", ["/api/", "/api/schema/", "/api/v1/schema/", "/api/v2/schema/"])
def test_metadata_and_schemas_ignore_authentication(api_client, url):
    assert api_client.get(url, HTTP_AUTHORIZATION="Token bogus").status_code == 200


def test_authentication_happens_before_method_checks(api_client):
    response = api_client.get("/api/v2/auth/refresh-token/", HTTP_AUTHORIZATION="Token bogus")
    assert_401(response, "Invalid token.")


def test_session_authenticates_and_unsafe_methods_need_csrf(end_user):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(end_user)
    assert client.get(USER_URL).status_code == 200
    client.cookies["csrftoken"] = "a" * 32
    response = client.post("/api/v2/auth/refresh-token/")
    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF Failed: CSRF token missing."}


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_both_token_kinds_work_on_both_versions(api_client, end_user, version):
    for key in (token_for(end_user).key, knox_token_for(end_user)):
        response = api_client.get(f"/api/{version}/auth/user/", HTTP_AUTHORIZATION=f"Token {key}")
        assert response.status_code == 200


def test_token_is_valid_up_to_exactly_fourteen_days(end_user):
    from argus.auth.authentication import token_expiry, token_is_expired

    token = token_for(end_user)
    expiry = token.created + timedelta(days=14)
    assert token_expiry(token) == expiry
    assert not token_is_expired(token, now=expiry)
    assert token_is_expired(token, now=expiry + timedelta(microseconds=1))


def test_expiry_follows_the_setting(api_client, end_user, settings):
    settings.AUTH_TOKEN_EXPIRES_AFTER_DAYS = 1
    token = token_for(end_user)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=1, seconds=5))
    assert_401(get(api_client, HTTP_AUTHORIZATION=f"Token {token.key}"), "Token has expired.")


def test_drf_token_of_inactive_user_is_kept(api_client):
    user = EndUserFactory(is_active=False)
    key = token_for(user).key
    get(api_client, HTTP_AUTHORIZATION=f"Token {key}")
    assert Token.objects.filter(key=key).exists()
