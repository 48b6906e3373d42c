"""Bad input to the auth endpoints is a 4xx with a JSON body and changes nothing; never a 500."""

import pytest
from knox.models import AuthToken
from rest_framework.authtoken.models import Token

from argus.auth import services

pytestmark = pytest.mark.django_db

ODD_JSON_BODIES = [
    "[]",
    "null",
    '"text"',
    "123",
    "true",
    '{"username": ["a"], "password": {"b": 1}}',
    "{",
    "\ud800",
]


@pytest.mark.parametrize("body", ODD_JSON_BODIES)
@pytest.mark.parametrize("url", ["/api/v1/token-auth/", "/api/v2/token-auth/", "/api/v2/auth/token/login/"])
def test_token_endpoints_reject_odd_bodies(api_client, end_user, url, body):
    response = api_client.post(url, body.encode("utf-8", "surrogatepass"), content_type="application/json")
    assert 400 <= response.status_code < 500
    assert isinstance(response.json(), dict)
    assert not Token.objects.exists()
    assert not AuthToken.objects.exists()


@pytest.mark.parametrize("body", ODD_JSON_BODIES)
@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_phone_number_endpoints_reject_odd_bodies(end_user, end_user_client, method, body):
    number = services.phone_number_create(user=end_user, phone_number="+4790909090")
    url = "/api/v1/auth/phone-number/" if method == "post" else f"/api/v1/auth/phone-number/{number.pk}/"
    response = getattr(end_user_client, method)(
        url, body.encode("utf-8", "surrogatepass"), content_type="application/json"
    )
    assert 400 <= response.status_code < 500
    assert [d.settings for d in services.phone_numbers_of(end_user)] == [{"phone_number": "+4790909090"}]


@pytest.mark.parametrize("value", ["+47" + "9" * 300, "+47\x0090909090", "+4790909090" * 50])
def test_absurd_phone_numbers(end_user_client, value):
    response = end_user_client.post("/api/v1/auth/phone-number/", {"phone_number": value}, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "header", ["Token " + "a" * 10000, "Token \x00", "Token \xe2\x98\x83", "TOKEN\t" + "a" * 40]
)
def test_odd_authorization_headers(api_client, header):
    response = api_client.get("/api/v2/auth/user/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
