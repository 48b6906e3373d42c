"""API authentication: expiring DRF tokens first, then knox tokens, then sessions."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from knox.auth import TokenAuthentication as KnoxTokenAuthenticationBase
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


def token_expiry(token: Token):
    return token.created + timedelta(days=settings.AUTH_TOKEN_EXPIRES_AFTER_DAYS)


def token_is_expired(token: Token, now=None) -> bool:
    return token_expiry(token) < (now or timezone.now())


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF token valid for AUTH_TOKEN_EXPIRES_AFTER_DAYS, checked (and deleted) on every request.

    Header errors are reported here, since this authenticator runs first. A well-formed key that is
    not a DRF token is left to the knox authenticator (which answers "Invalid token." if it is not a
    knox token either).
    """

    def authenticate_credentials(self, key):
        if not key.isprintable():
            # Control characters (NUL in particular) can never be part of a key, and some
            # databases refuse them in a query: answer like any other unknown key.
            raise exceptions.AuthenticationFailed("Invalid token.")
        try:
            # The user's source system (if any) comes along: source endpoints need it anyway.
            token = Token.objects.select_related("user", "user__source_system").get(key=key)
        except Token.DoesNotExist:
            return None
        if token_is_expired(token):
            token.delete()
            raise exceptions.AuthenticationFailed("Token has expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return (token.user, token)


class KnoxTokenAuthentication(KnoxTokenAuthenticationBase):
    """Knox tokens (many per user, hashed, 10 h TTL) using the same ``Token`` keyword."""
