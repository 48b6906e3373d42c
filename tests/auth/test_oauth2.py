"""auth.md §5: OAuth2 login under /oidc/, against a fake provider running on loopback."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from social_django.models import UserSocialAuth

from argus.auth.models import User
from argus.auth.oauth2 import split_full_name
from tests.auth.conftest import CLIENT_ID
from tests.factories import EndUserFactory, token_for

pytestmark = pytest.mark.django_db

LOGIN_URL = "/oidc/login/dataporten_feide/"
COMPLETE_URL = "/oidc/complete/dataporten_feide/"


def start(client, method="get"):
    if method == "post":
        response = client.post(LOGIN_URL)
    else:
        response = client.get(LOGIN_URL)
    assert response.status_code == 302
    return response["Location"]


def visit_provider(location):
    """Follow the redirect to the provider for real; it answers with a redirect to our callback."""
    response = httpx.get(location, follow_redirects=False, timeout=5, trust_env=False)
    assert response.status_code == 302
    callback = urlsplit(response.headers["location"])
    return f"{callback.path}?{callback.query}"


def log_in(client, method="get"):
    return client.get(visit_provider(start(client, method)))


def assert_logged_in_redirect(response, user):
    assert response.status_code == 301
    assert response["Location"] == "http://localhost:3000/"
    cookie = response.cookies["token"]
    assert cookie.value == Token.objects.get(user=user).key
    assert cookie["domain"] == "localhost"


@pytest.mark.parametrize("method", ["get", "post"])
def test_login_redirects_to_the_provider(oauth2_provider, method):
    location = start(Client(), method)
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == oauth2_provider.authorization_url
    query = parse_qs(parts.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [f"http://testserver{COMPLETE_URL}"]
    assert query["response_type"] == ["code"]
    assert query["scope"] == ["userid profile userid-feide email"]
    assert len(query["state"][0]) == 32
    assert "+" in parts.query.split("scope=")[1]  # scopes joined by "+" as on the reference


def test_post_login_needs_csrf(oauth2_provider):
    client = Client(enforce_csrf_checks=True)
    assert client.post(LOGIN_URL).status_code == 403
    client.get("/admin/login/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(LOGIN_URL, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302


def test_login_with_unknown_backend_is_404(oauth2_provider):
    assert Client().get("/oidc/login/no-such-backend/").status_code == 404
    assert Client().post("/oidc/login/no-such-backend/").status_code == 404


@pytest.mark.parametrize("method", ["put", "delete"])
def test_login_only_accepts_get_and_post(oauth2_provider, method):
    assert getattr(Client(), method)(LOGIN_URL).status_code == 405


@pytest.mark.parametrize("method", ["get", "post"])
def test_complete_creates_the_user_and_hands_over_a_token(oauth2_provider, method):
    client = Client()
    response = log_in(client, method)
    user = User.objects.get(username="ola.nordmann@uninett.no")
    assert_logged_in_redirect(response, user)
    assert user.first_name == "Ola Mellom"
    assert user.last_name == "Nordmann"
    assert user.email == "ola@example.org"
    assert not user.has_usable_password()
    social = UserSocialAuth.objects.get(user=user)
    assert social.provider == "dataporten_feide"
    assert social.uid == "76a7a061-3c55-430d-8ee0-6f82ec42501f"
    assert social.extra_data["fullname"] == "Ola Mellom Nordmann"
    assert social.extra_data["profilephoto_url"].endswith("/p:2a9a3b9e")
    # The session is logged in, and the cookie token works on the API.
    assert client.get("/api/v2/auth/user/").json()["username"] == user.username
    key = response.cookies["token"].value
    assert client.get("/api/v1/auth/user/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_provider_saw_the_code_exchange_and_bearer_token(oauth2_provider):
    log_in(Client())
    token_request = next(r for r in oauth2_provider.requests if r["path"] == "/oauth/token")
    assert token_request["method"] == "POST"
    assert token_request["form"]["grant_type"] == "authorization_code"
    assert token_request["form"]["redirect_uri"] == f"http://testserver{COMPLETE_URL}"
    userinfo_request = next(r for r in oauth2_provider.requests if r["path"] == "/userinfo")
    assert userinfo_request["headers"]["Authorization"].startswith("Bearer ")


def test_second_login_finds_the_same_user_and_keeps_the_token(oauth2_provider):
    first = log_in(Client())
    second = log_in(Client())
    assert User.objects.filter(username="ola.nordmann@uninett.no").count() == 1
    assert first.cookies["token"].value == second.cookies["token"].value


def test_existing_names_are_kept(oauth2_provider):
    log_in(Client())
    User.objects.filter(username="ola.nordmann@uninett.no").update(first_name="Ola", last_name="N.")
    log_in(Client())
    user = User.objects.get(username="ola.nordmann@uninett.no")
    assert (user.first_name, user.last_name) == ("Ola", "N.")


def test_expired_token_is_replaced_on_login(oauth2_provider):
    from datetime import timedelta

    from django.utils import timezone

    old = log_in(Client()).cookies["token"].value
    Token.objects.filter(key=old).update(created=timezone.now() - timedelta(days=15))
    new = log_in(Client()).cookies["token"].value
    assert new != old
    assert Token.objects.get().key == new


def test_username_collision_gets_a_suffix(oauth2_provider):
    existing = EndUserFactory(username="ola.nordmann@uninett.no")
    response = log_in(Client())
    social = UserSocialAuth.objects.get()
    assert social.user != existing
    assert social.user.username.startswith("ola.nordmann@uninett.no")
    assert_logged_in_redirect(response, social.user)


def test_inactive_user_is_refused(oauth2_provider):
    log_in(Client())
    User.objects.filter(username="ola.nordmann@uninett.no").update(is_active=False)
    client = Client()
    response = log_in(client)
    assert response.status_code == 403
    assert b"Authentication failed" in response.content
    assert "token" not in response.cookies
    assert client.get("/api/v2/auth/user/").status_code == 401


def test_wrong_audience_is_refused(oauth2_provider):
    oauth2_provider.audience = "someone-else"
    response = log_in(Client())
    assert response.status_code == 403
    assert b"Authentication failed" in response.content
    assert not User.objects.filter(username="ola.nordmann@uninett.no").exists()


def test_missing_feide_id_is_refused(oauth2_provider):
    oauth2_provider.user["userid_sec"] = ["nin:12345678901"]
    response = log_in(Client())
    assert response.status_code == 403
    assert b"Authentication failed" in response.content
    assert not UserSocialAuth.objects.exists()


def test_missing_state_is_400(oauth2_provider):
    client = Client()
    callback = visit_provider(start(client))
    query = parse_qs(urlsplit(callback).query)
    response = client.get(COMPLETE_URL, {"code": query["code"][0]})
    assert response.status_code == 400
    assert b"Authentication failed" in response.content
    assert not User.objects.filter(username="ola.nordmann@uninett.no").exists()


def test_wrong_state_is_refused(oauth2_provider):
    client = Client()
    callback = visit_provider(start(client))
    query = parse_qs(urlsplit(callback).query)
    response = client.get(COMPLETE_URL, {"code": query["code"][0], "state": "x" * 32})
    assert response.status_code == 400
    assert b"Authentication failed" in response.content


def test_callback_without_a_session_is_refused(oauth2_provider):
    callback = visit_provider(start(Client()))
    response = Client().get(callback)
    assert response.status_code == 400
    assert b"Authentication failed" in response.content


def test_provider_error_on_callback_is_refused(oauth2_provider):
    client = Client()
    start(client)
    response = client.get(COMPLETE_URL, {"error": "access_denied"})
    assert response.status_code == 403
    assert b"Authentication failed" in response.content


@pytest.mark.parametrize("endpoint", ["token", "userinfo"])
@pytest.mark.parametrize("failure", [500, 400, 401, "garbage"])
def test_provider_failure_is_refused_not_500(oauth2_provider, endpoint, failure):
    oauth2_provider.fail[endpoint] = failure
    response = log_in(Client())
    assert response.status_code == 403
    assert b"Authentication failed" in response.content


def test_unreachable_provider_is_refused_not_500(oauth2_provider, settings):
    client = Client()
    callback = visit_provider(start(client))
    oauth2_provider.stop()
    oauth2_provider.start()  # a new port: the configured token URL now points at nothing
    settings.SOCIAL_AUTH_DATAPORTEN_FEIDE_ACCESS_TOKEN_URL = "http://127.0.0.1:1/oauth/token"
    response = client.get(callback)
    assert response.status_code == 403
    assert b"Authentication failed" in response.content


def test_disconnect_by_anonymous_redirects_to_login(oauth2_provider):
    response = Client().post("/oidc/disconnect/dataporten_feide/")
    assert response.status_code == 302


def test_disconnect_removes_the_association(oauth2_provider):
    client = Client()
    log_in(client)
    user = User.objects.get(username="ola.nordmann@uninett.no")
    user.set_password("now-with-a-password")  # social-auth refuses to strand a user without login
    user.save()
    client.force_login(user)  # the password change ended the OAuth2 session
    response = client.post("/oidc/disconnect/dataporten_feide/")
    assert response.status_code == 302
    assert not UserSocialAuth.objects.filter(user=user).exists()


def test_login_methods_lists_password_and_oauth2(api_client):
    response = api_client.get("/login-methods/", HTTP_HOST="127.0.0.1:8100")
    assert response.status_code == 200
    assert response.json() == [
        {"type": "username_password", "url": "http://127.0.0.1:8100/api/v1/token-auth/", "name": "user_pw"},
        {
            "type": "OAuth2",
            "url": "http://127.0.0.1:8100/oidc/login/dataporten_feide/",
            "name": "dataporten_feide",
        },
    ]


def test_login_methods_follow_the_backends(api_client, settings):
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    assert [m["name"] for m in api_client.get("/login-methods/").json()] == ["user_pw"]
    settings.AUTHENTICATION_BACKENDS = ["argus.auth.oauth2.DataportenFeideOAuth2"]
    assert [m["name"] for m in api_client.get("/login-methods/").json()] == ["dataporten_feide"]


def test_login_methods_is_public_but_read_only(api_client, end_user):
    assert api_client.get("/login-methods/").status_code == 200
    response = api_client.post("/login-methods/")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.'}
    key = token_for(end_user).key
    assert api_client.get("/login-methods/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


@pytest.mark.parametrize(
    "full, first, last",
    [
        ("Ola Mellom Nordmann", "Ola Mellom", "Nordmann"),
        ("Ola Nordmann", "Ola", "Nordmann"),
        ("Cher", "", "Cher"),
        ("  ", "", ""),
        ("", "", ""),
    ],
)
def test_split_full_name(full, first, last):
    assert split_full_name(full) == (first, last)
