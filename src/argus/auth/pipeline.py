"""Our step in social-auth's login pipeline (``SOCIAL_AUTH_PIPELINE`` in the settings)."""

from django.db import transaction
from social_core.pipeline.user import create_user as social_auth_create_user

from argus.notificationprofile import services as notification_services


def create_user(strategy, details, backend, user=None, *args, **kwargs):
    """social-auth's own ``create_user`` step, and the new user's notification defaults with it.

    social-auth builds the user (its fields, a username conflict); like every user our code
    creates (``argus.auth.services.user_save``), the new user gets its default timeslot and synced
    email destination in the same transaction.
    """
    with transaction.atomic(), notification_services.caller_keeps_user_defaults():
        result = social_auth_create_user(strategy, details, backend, user, *args, **kwargs)
        if result and result.get("is_new"):
            notification_services.user_defaults_keep(user=result["user"], created=True)
    return result
