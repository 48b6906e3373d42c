"""Websocket authentication.

The Django session cookie is resolved by Channels' ``AuthMiddlewareStack``. When that leaves the
user anonymous, :class:`TokenAuthMiddleware` tries an ``Authorization: Token <key>`` header and then
the ``token`` cookie the SPA login sets. Keys are checked by the same authenticators as the REST API,
so the 14-day expiry of DRF tokens and knox tokens apply here too.
"""

import logging

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.conf import settings
from rest_framework import exceptions

from argus.auth.authentication import ExpiringTokenAuthentication, KnoxTokenAuthentication

logger = logging.getLogger(__name__)

TOKEN_KEYWORD = "token"


def user_for_token_key(key: str):
    """The active user owning the DRF or knox token ``key``, or None (expired DRF tokens are deleted)."""
    key = key.strip()
    if not key or " " in key:
        return None
    try:
        found = ExpiringTokenAuthentication().authenticate_credentials(key)
        if found is None:
            found = KnoxTokenAuthentication().authenticate_credentials(key.encode())
    except exceptions.AuthenticationFailed:
        return None
    user = found[0]
    return user if user.is_active else None


def header_token_key(scope) -> str | None:
    """The key of an ``Authorization: Token <key>`` header, if any."""
    for name, value in scope.get("headers", ()):
        if name.lower() != b"authorization":
            continue
        keyword, _, key = value.decode("latin-1").strip().partition(" ")
        if keyword.lower() == TOKEN_KEYWORD and key:
            return key
    return None


def scope_token_keys(scope) -> list[str]:
    keys = []
    header_key = header_token_key(scope)
    if header_key:
        keys.append(header_key)
    cookie_key = scope.get("cookies", {}).get(settings.ARGUS_SPA_TOKEN_COOKIE_NAME)
    if cookie_key:
        keys.append(cookie_key)
    return keys


@database_sync_to_async
def user_for_token_keys(keys: list[str]):
    for key in keys:
        user = user_for_token_key(key)
        if user is not None:
            return user
    return None


class TokenAuthMiddleware(BaseMiddleware):
    """Authenticate by token when the session did not; must run inside ``AuthMiddlewareStack``."""

    async def __call__(self, scope, receive, send):
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            keys = scope_token_keys(scope)
            if keys:
                token_user = await user_for_token_keys(keys)
                if token_user is not None:
                    scope = dict(scope, user=token_user)
        return await super().__call__(scope, receive, send)
