"""OAuth2 login backends.

``DataportenFeideOAuth2`` logs people in with Feide through Dataporten. Its three provider URLs
are the settings ``SOCIAL_AUTH_DATAPORTEN_FEIDE_AUTHORIZATION_URL``, ``..._ACCESS_TOKEN_URL`` and
``..._USERINFO_URL``, read from ``ARGUS_DATAPORTEN_AUTHORIZATION_URL``,
``ARGUS_DATAPORTEN_ACCESS_TOKEN_URL`` and ``ARGUS_DATAPORTEN_USERINFO_URL`` (the tests point them
at a fake provider on loopback). See docs/authentication.md.
"""

from typing import Any

from social_core.backends.oauth import BaseOAuth2
from social_core.exceptions import AuthCredentialError, AuthResponseError

FEIDE_USERID_PREFIX = "feide:"


def split_full_name(full_name: str) -> tuple[str, str]:
    """Argus' rule: the last word is the last name, every word before it the first name."""
    words = (full_name or "").split()
    if not words:
        return "", ""
    return " ".join(words[:-1]), words[-1]


class DataportenFeideOAuth2(BaseOAuth2):
    """Feide login via Dataporten; the username is the user's ``feide:`` id (``ola@uni.no``)."""

    name = "dataporten_feide"
    AUTHORIZATION_URL = "https://auth.dataporten.no/oauth/authorization"
    ACCESS_TOKEN_URL = "https://auth.dataporten.no/oauth/token"
    ACCESS_TOKEN_METHOD = "POST"
    USERINFO_URL = "https://auth.dataporten.no/userinfo"
    PROFILE_PHOTO_URL = "https://api.dataporten.no/userinfo/v1/user/media/{}"
    DEFAULT_SCOPE = ["userid", "profile", "userid-feide", "email"]
    SCOPE_SEPARATOR = " "
    REDIRECT_STATE = False
    ID_KEY = "userid"
    EXTRA_DATA = [
        ("userid", "userid"),
        ("scope", "scope"),
        ("fullname", "fullname"),
        ("profilephoto_url", "profilephoto_url"),
    ]

    def userinfo_url(self) -> str:
        return self.setting("USERINFO_URL", self.USERINFO_URL)

    def user_data(self, access_token, *args, **kwargs) -> dict[str, Any]:
        data = self.get_json(self.userinfo_url(), headers={"Authorization": f"Bearer {access_token}"})
        if not isinstance(data, dict) or not isinstance(data.get("user"), dict):
            raise AuthResponseError(self, code="malformed_response", stage="user_info")
        client_id, _secret = self.get_key_and_secret()
        if data.get("audience") != client_id:
            raise AuthCredentialError(self, "Token issued for another client", stage="user_info")
        user = data["user"]
        photo = user.get("profilephoto")
        return {
            "userid": user.get("userid"),
            "userid_sec": user.get("userid_sec") or [],
            "fullname": user.get("name") or "",
            "email": user.get("email") or "",
            "profilephoto_url": self.PROFILE_PHOTO_URL.format(photo) if photo else None,
        }

    def get_user_details(self, response) -> dict[str, Any]:
        username = None
        for userid in response.get("userid_sec") or []:
            if isinstance(userid, str) and userid.startswith(FEIDE_USERID_PREFIX):
                username = userid[len(FEIDE_USERID_PREFIX) :]
                break
        if not username:
            raise AuthResponseError(self, claim="userid_sec", code="missing_claim", stage="user_info")
        first_name, last_name = split_full_name(response.get("fullname", ""))
        return {
            "username": username,
            "email": response.get("email", ""),
            "fullname": response.get("fullname", ""),
            "first_name": first_name,
            "last_name": last_name,
        }
