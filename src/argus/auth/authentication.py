"""API authentication: expiring DRF tokens first, then knox tokens, then sessions."""

from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from knox.auth import TokenAuthentication as KnoxTokenAuthenticationBase
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


def _columns(model, alias: str, quote) -> list[str]:
    return [f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields]


@lru_cache(maxsize=4)
def _token_statement(vendor: str) -> str:
    """SELECT token, user and source system (LEFT JOIN: most users have none) by key."""
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    user_model, source_model = get_user_model(), _source_system_model()
    columns = (
        _columns(Token, "t", quote) + _columns(user_model, "u", quote) + _columns(source_model, "s", quote)
    )
    return (
        f"SELECT {', '.join(columns)} FROM {quote(Token._meta.db_table)} t "
        f"JOIN {quote(user_model._meta.db_table)} u ON u.{quote(user_model._meta.pk.column)} = t.{quote('user_id')} "
        f"LEFT JOIN {quote(source_model._meta.db_table)} s ON s.{quote('user_id')} = u.{quote(user_model._meta.pk.column)} "
        f"WHERE t.{quote(Token._meta.pk.column)} = %s"
    )


def _source_system_model():
    return get_user_model()._meta.get_field("source_system").related_model


def token_with_user_and_source(key: str) -> Token | None:
    """The DRF token ``key`` with its user and the user's source system (if any) attached, or None.

    What ``Token.objects.select_related("user", "user__source_system").get(key=key)`` gives, in one
    hand-written query: every API request makes it, and compiling the ORM query cost more CPU than
    running it. The user's source system is known either way afterwards (no query to ask).
    """
    user_model, source_model = get_user_model(), _source_system_model()
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute(_token_statement(connection.vendor), [key])
        row = cursor.fetchone()
    if row is None:
        return None
    sizes = [len(model._meta.concrete_fields) for model in (Token, user_model)]
    token_values, user_values = row[: sizes[0]], row[sizes[0] : sizes[0] + sizes[1]]
    source_values = row[sizes[0] + sizes[1] :]
    token = _from_row(connection, Token, token_values)
    user = _from_row(connection, user_model, user_values)
    source = _from_row(connection, source_model, source_values) if source_values[0] is not None else None
    Token._meta.get_field("user").set_cached_value(token, user)
    source_model._meta.get_field("user").remote_field.set_cached_value(user, source)
    if source is not None:
        source_model._meta.get_field("user").set_cached_value(source, user)
    return token


_CONVERTERS: dict[tuple[str, type], list[tuple]] = {}


def _converters(connection, model) -> list[tuple]:
    """Per concrete field: its column and the converters the ORM applies to it (the backend's,
    the field's), worked out once per database kind and model."""
    key = (connection.vendor, model)
    converters = _CONVERTERS.get(key)
    if converters is None:
        converters = []
        for field in model._meta.concrete_fields:
            column = field.get_col(model._meta.db_table)
            found = tuple(connection.ops.get_db_converters(column)) + tuple(
                column.get_db_converters(connection)
            )
            converters.append((column, found))
        _CONVERTERS[key] = converters
    return converters


def _from_row(connection, model, values):
    """A model instance from a row of its concrete fields, converted as the ORM converts them."""
    converted = []
    for (column, converters), value in zip(_converters(connection, model), values, strict=True):
        for converter in converters:
            value = converter(value, column, connection)
        converted.append(value)
    return model.from_db(
        connection.alias, [field.attname for field in model._meta.concrete_fields], converted
    )


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
        token = token_with_user_and_source(key)
        if token is None:
            return None
        if token_is_expired(token):
            token.delete()
            raise exceptions.AuthenticationFailed("Token has expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return (token.user, token)


class KnoxTokenAuthentication(KnoxTokenAuthenticationBase):
    """Knox tokens (many per user, hashed, 10 h TTL) using the same ``Token`` keyword."""
