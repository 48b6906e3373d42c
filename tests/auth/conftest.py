"""Fixtures of the auth tests: a fake OAuth2 provider on loopback, wired into the settings."""

import pytest

from tests.auth.fake_oauth2_provider import FakeOAuth2Provider

CLIENT_ID = "argus-test-client"
CLIENT_SECRET = "argus-test-secret"


@pytest.fixture
def oauth2_provider(settings, monkeypatch):
    # The backend reaches the provider with requests; never through an HTTP proxy of the host.
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    provider = FakeOAuth2Provider(CLIENT_ID, CLIENT_SECRET).start()
    settings.SOCIAL_AUTH_DATAPORTEN_FEIDE_KEY = CLIENT_ID
    settings.SOCIAL_AUTH_DATAPORTEN_FEIDE_SECRET = CLIENT_SECRET
    settings.SOCIAL_AUTH_DATAPORTEN_FEIDE_AUTHORIZATION_URL = provider.authorization_url
    settings.SOCIAL_AUTH_DATAPORTEN_FEIDE_ACCESS_TOKEN_URL = provider.token_url
    settings.SOCIAL_AUTH_DATAPORTEN_FEIDE_USERINFO_URL = provider.userinfo_url
    settings.FRONTEND_URL = "http://localhost:3000/"
    provider.user = {
        "userid": "76a7a061-3c55-430d-8ee0-6f82ec42501f",
        "userid_sec": ["nin:12345678901", "feide:ola.nordmann@uninett.no"],
        "name": "Ola Mellom Nordmann",
        "email": "ola@example.org",
        "profilephoto": "p:2a9a3b9e",
    }
    yield provider
    provider.stop()
