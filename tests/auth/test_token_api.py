"""Token endpoints of auth.md §4.1-§4.4: token-auth, knox login/logout/logoutall, refresh-token, logout."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import EndUserFactory, knox_token_for, token_for

pytestmark = pytest.mark.django_db

VERSIONS = ["v1", "v2"]
KNOX_LOGIN_URL = "/api/v2/auth/token/login/"
KNOX_LOGOUT_URL = "/api/v2/auth/token/logout/"
KNOX_LOGOUTALL_URL = "/api/v2/auth/token/logoutall"
REFRESH_URL = "/api/v2/auth/refresh-token/"
CREDENTIALS_ERROR = "Unable to log in with provided credentials."


def token_client(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def user(db):
    return EndUserFactory(username="ola", password="secret-pw")


# §4.1 token-auth ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("fmt", ["json", "multipart", "form"])
def test_token_auth_returns_a_new_40_hex_token(api_client, user, version, fmt):
    url = f"/api/{version}/token-auth/"
    data = {"username": "ola", "password": "secret-pw"}
    if fmt == "form":
        response = api_client.post(
            url, "username=ola&password=secret-pw", content_type="application/x-www-form-urlencoded"
        )
    else:
        response = api_client.post(url, data, format=fmt)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["token"]
    assert re.fullmatch(r"[0-9a-f]{40}", body["token"])
    assert Token.objects.get(user=user).key == body["token"]


@pytest.mark.parametrize("version", VERSIONS)
def test_token_auth_replaces_the_previous_token(api_client, user, version):
    old = token_for(user)
    Token.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=10))
    response = api_client.post(f"/api/{version}/token-auth/", {"username": "ola", "password": "secret-pw"})
    new_key = response.json()["token"]
    assert new_key != old.key
    assert list(Token.objects.filter(user=user).values_list("key", flat=True)) == [new_key]
    assert Token.objects.get(user=user).created > timezone.now() - timedelta(minutes=1)
    assert token_client(old.key).get("/api/v2/auth/user/").status_code == 401
    assert token_client(new_key).get("/api/v2/auth/user/").status_code == 200


def test_token_auth_leaves_knox_tokens_alone(api_client, user):
    knox_key = knox_token_for(user)
    api_client.post("/api/v1/token-auth/", {"username": "ola", "password": "secret-pw"})
    assert token_client(knox_key).get("/api/v2/auth/user/").status_code == 200


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "username, password",
    [("ola", "wrong"), ("nobody", "secret-pw"), ("inactive", "secret-pw")],
)
def test_token_auth_bad_credentials(api_client, user, version, username, password):
    EndUserFactory(username="inactive", password="secret-pw", is_active=False)
    response = api_client.post(f"/api/{version}/token-auth/", {"username": username, "password": password})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [CREDENTIALS_ERROR]}
    assert not Token.objects.exists()


@pytest.mark.parametrize(
    "data, errors",
    [
        ({}, {"username": ["This field is required."], "password": ["This field is required."]}),
        ({"username": "ola"}, {"password": ["This field is required."]}),
        ({"password": "x"}, {"username": ["This field is required."]}),
        (
            {"username": "", "password": ""},
            {"username": ["This field may not be blank."], "password": ["This field may not be blank."]},
        ),
    ],
)
def test_token_auth_field_errors(api_client, user, data, errors):
    response = api_client.post("/api/v1/token-auth/", data, format="json")
    assert response.status_code == 400
    assert response.json() == errors


def test_token_auth_malformed_json(api_client, user):
    response = api_client.post("/api/v2/token-auth/", "{bad", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error - ")


@pytest.mark.parametrize("version", VERSIONS)
def test_token_auth_get_is_405(api_client, version):
    response = api_client.get(f"/api/{version}/token-auth/")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "GET" not allowed.'}


def test_token_auth_renders_json_even_for_a_browser(api_client, user):
    response = api_client.post(
        "/api/v1/token-auth/",
        {"username": "ola", "password": "secret-pw"},
        HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8",
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_old_seed_token_path_does_not_exist(api_client, user):
    response = api_client.post("/oidc/api-token-auth/", {"username": "ola", "password": "secret-pw"})
    assert response.status_code == 404


# §4.2 knox ---------------------------------------------------------------------------------------


def test_knox_login_with_credentials(api_client, user):
    before = timezone.now()
    response = api_client.post(KNOX_LOGIN_URL, {"username": "ola", "password": "secret-pw"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["expiry", "token"]
    assert re.fullmatch(r"[0-9a-f]{64}", body["token"])
    expiry = parse_datetime(body["expiry"])
    assert body["expiry"].endswith(("+01:00", "+02:00"))  # server time zone Europe/Oslo
    assert before + timedelta(hours=10) <= expiry <= timezone.now() + timedelta(hours=10)
    assert token_client(body["token"]).get("/api/v1/auth/user/").json()["username"] == "ola"


def test_knox_login_gives_unlimited_tokens_and_keeps_the_drf_token(api_client, user):
    drf_key = token_for(user).key
    keys = {
        api_client.post(KNOX_LOGIN_URL, {"username": "ola", "password": "secret-pw"}, format="json").json()[
            "token"
        ]
        for _ in range(3)
    }
    assert len(keys) == 3
    assert AuthToken.objects.filter(user=user).count() == 3
    assert Token.objects.get(user=user).key == drf_key


@pytest.mark.parametrize("kind", ["drf", "knox"])
def test_knox_login_without_body_uses_the_authorization_header(user, kind):
    key = token_for(user).key if kind == "drf" else knox_token_for(user)
    response = token_client(key).post(KNOX_LOGIN_URL)
    assert response.status_code == 200
    assert len(response.json()["token"]) == 64


def test_knox_login_without_body_uses_the_session(user):
    client = APIClient()
    client.force_login(user)
    response = client.post(KNOX_LOGIN_URL)
    assert response.status_code == 200
    assert len(response.json()["token"]) == 64


def test_knox_login_body_takes_precedence_over_the_header(user):
    other = EndUserFactory(username="kari", password="kari-pw")
    response = token_client(token_for(user).key).post(
        KNOX_LOGIN_URL, {"username": "kari", "password": "kari-pw"}, format="json"
    )
    assert response.status_code == 200
    assert AuthToken.objects.get().user == other


@pytest.mark.parametrize(
    "data, detail",
    [
        (
            {"username": "ola", "password": "wrong"},
            "{'non_field_errors': [ErrorDetail(string='Unable to log in with provided credentials.', "
            "code='authorization')]}",
        ),
        (
            {"username": "inactive", "password": "secret-pw"},
            "{'non_field_errors': [ErrorDetail(string='Unable to log in with provided credentials.', "
            "code='authorization')]}",
        ),
        (
            {"username": "ola"},
            "{'password': [ErrorDetail(string='This field is required.', code='required')]}",
        ),
        (
            {},
            "{'username': [ErrorDetail(string='This field is required.', code='required')], "
            "'password': [ErrorDetail(string='This field is required.', code='required')]}",
        ),
    ],
)
def test_knox_login_errors_are_403_with_the_error_repr(api_client, user, data, detail):
    EndUserFactory(username="inactive", password="secret-pw", is_active=False)
    response = api_client.post(KNOX_LOGIN_URL, data, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": detail}
    assert not AuthToken.objects.exists()


def test_knox_login_without_body_or_header(api_client, user):
    response = api_client.post(KNOX_LOGIN_URL)
    assert response.status_code == 403
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_knox_login_invalid_json(api_client, user):
    response = api_client.post(KNOX_LOGIN_URL, "{bad", content_type="application/json")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
    }


def test_knox_login_get_is_405(api_client):
    response = api_client.get(KNOX_LOGIN_URL)
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "GET" not allowed.'}


def test_knox_logout_deletes_only_the_token_used(user):
    used, other = knox_token_for(user), knox_token_for(user)
    response = token_client(used).post(KNOX_LOGOUT_URL)
    assert response.status_code == 204
    assert response.content == b""
    assert token_client(used).get("/api/v2/auth/user/").status_code == 401
    assert token_client(other).get("/api/v2/auth/user/").status_code == 200


def test_knox_logout_refuses_a_drf_token(user):
    key = token_for(user).key
    response = token_client(key).post(KNOX_LOGOUT_URL)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    assert Token.objects.filter(key=key).exists()


def test_knox_logoutall_deletes_every_knox_token_of_the_user(user):
    keys = [knox_token_for(user) for _ in range(3)]
    stranger_key = knox_token_for(EndUserFactory())
    drf_key = token_for(user).key
    response = token_client(keys[0]).post(KNOX_LOGOUTALL_URL)
    assert response.status_code == 204
    assert not AuthToken.objects.filter(user=user).exists()
    assert token_client(stranger_key).get("/api/v2/auth/user/").status_code == 200
    assert token_client(drf_key).get("/api/v2/auth/user/").status_code == 200


def test_knox_logoutall_has_no_trailing_slash(user):
    response = token_client(knox_token_for(user)).post(KNOX_LOGOUTALL_URL + "/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_knox_logoutall_refuses_a_drf_token(user):
    response = token_client(token_for(user).key).post(KNOX_LOGOUTALL_URL)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_knox_endpoints_do_not_exist_on_v1(user):
    client = token_client(knox_token_for(user))
    for path in ("token/login/", "token/logout/", "token/logoutall"):
        assert client.post(f"/api/v1/auth/{path}").status_code == 404


# §4.3 refresh-token -----------------------------------------------------------------------------


def test_refresh_token_replaces_the_drf_token(user):
    old = token_for(user)
    Token.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=13))
    response = token_client(old.key).post(REFRESH_URL)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["token"]
    assert re.fullmatch(r"[0-9a-f]{40}", body["token"])
    assert body["token"] != old.key
    new = Token.objects.get(user=user)
    assert new.key == body["token"]
    assert new.created > timezone.now() - timedelta(minutes=1)


def test_refresh_token_with_a_knox_token_replaces_the_drf_token(user):
    old = token_for(user).key
    response = token_client(knox_token_for(user)).post(REFRESH_URL)
    assert response.status_code == 200
    assert Token.objects.get(user=user).key == response.json()["token"] != old


def test_refresh_token_without_a_drf_token(user):
    response = token_client(knox_token_for(user)).post(REFRESH_URL)
    assert response.status_code == 400
    assert response.json() == [
        "No token for the user 'ola' exists, one needs to be created in the admin interface."
    ]
    assert not Token.objects.exists()


@pytest.mark.parametrize("method", ["get", "put"])
def test_refresh_token_only_accepts_post(user, method):
    response = getattr(token_client(token_for(user).key), method)(REFRESH_URL)
    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method.upper()}" not allowed.'}


def test_refresh_token_needs_authentication(api_client):
    response = api_client.post(REFRESH_URL)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_refresh_token_is_not_on_v1(user):
    response = token_client(token_for(user).key).post("/api/v1/auth/refresh-token/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# §4.4 logout -------------------------------------------------------------------------------------


def assert_logout_response(response):
    assert response.status_code == 200
    assert response.content == b""
    assert "Content-Type" not in response
    cookie = response.cookies["token"]
    assert cookie.value == ""
    assert cookie["max-age"] == 0
    assert cookie["expires"] == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert cookie["path"] == "/"


@pytest.mark.parametrize("version", VERSIONS)
def test_logout_deletes_the_drf_token_but_not_knox_tokens(user, version):
    drf_key = token_for(user).key
    knox_key = knox_token_for(user)
    assert_logout_response(token_client(drf_key).post(f"/api/{version}/auth/logout/"))
    assert not Token.objects.filter(user=user).exists()
    assert token_client(knox_key).get("/api/v2/auth/user/").status_code == 200


def test_logout_with_a_knox_token_deletes_the_drf_token_too(user):
    token_for(user)
    assert_logout_response(token_client(knox_token_for(user)).post("/api/v2/auth/logout/"))
    assert not Token.objects.filter(user=user).exists()
    assert AuthToken.objects.filter(user=user).count() == 1


@pytest.mark.parametrize("version", VERSIONS)
def test_logout_is_allowed_anonymously(api_client, version):
    assert_logout_response(api_client.post(f"/api/{version}/auth/logout/"))


def test_logout_ends_the_session(user):
    client = APIClient()
    client.force_login(user)
    assert client.get("/api/v2/auth/user/").status_code == 200
    assert_logout_response(client.post("/api/v1/auth/logout/"))
    assert client.get("/api/v2/auth/user/").status_code == 401


@pytest.mark.parametrize("version", VERSIONS)
def test_logout_get_is_405(api_client, version):
    response = api_client.get(f"/api/{version}/auth/logout/")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "GET" not allowed.'}


def test_logout_with_a_bad_header_is_401(api_client):
    response = api_client.post("/api/v2/auth/logout/", HTTP_AUTHORIZATION="Token bogus")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
