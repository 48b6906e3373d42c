"""The DRF token services: one token per user, and what a change of a source's token ends.

Every view, command and admin action that issues, replaces or deletes a classic DRF token (the
v1 ``token-auth/`` login, ``refresh-token/``, logout, the token admin) goes through these. A
source system's token-expiry warning (``argus.incident.token_expiry``) was about its old token, so
any change of the token ends it.
"""

from django.db import transaction
from rest_framework.authtoken.models import Token

from argus.incident.models import SourceSystem
from argus.incident.token_expiry import end_token_expiry_incidents


def token_changed(*, user) -> None:
    """A user's DRF token was created, replaced or deleted.

    For a source system this ends its open token-expiry incident: the warning was about the old
    token. End users have no such incidents.
    """
    source_id = SourceSystem.objects.filter(user=user).values_list("pk", flat=True).first()
    if source_id is not None:
        end_token_expiry_incidents(source_id=source_id)


@transaction.atomic
def token_replace(*, user) -> Token:
    """Delete the user's DRF token (if any) and issue a new one: the 14-day clock restarts."""
    Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    token_changed(user=user)
    return token


@transaction.atomic
def token_get_or_create(*, user) -> Token:
    token, created = Token.objects.get_or_create(user=user)
    if created:
        token_changed(user=user)
    return token


@transaction.atomic
def token_delete(*, user) -> None:
    deleted, _ = Token.objects.filter(user=user).delete()
    if deleted:
        token_changed(user=user)
