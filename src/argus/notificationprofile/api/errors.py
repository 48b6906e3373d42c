"""How the API answers the notification app's domain errors (see ``argus.site.exceptions``).

The bodies are Argus 1.37's, quirks included: a bare JSON string for a filter in use, a
one-element list for a destination its medium will not delete, "a another timeslot". An entry
gives (status, body) or (status, body, headers).
The serializers use the same messages when they report a taken name early.
"""

import math

from rest_framework import status
from rest_framework.exceptions import Throttled
from rest_framework.settings import api_settings

from argus.notificationprofile.errors import (
    DestinationExists,
    DestinationLabelTaken,
    DestinationNotDeletable,
    DestinationTestTooSoon,
    DestinationTestUnsupported,
    EmailAddressRequired,
    FilterInMaintenance,
    FilterInUse,
    FilterNameTaken,
    NotificationsOff,
    PhoneNumberRequired,
    ProfileNameTaken,
    TimeslotNameTaken,
    TimeslotNotOwned,
)

BAD_REQUEST = status.HTTP_400_BAD_REQUEST
NON_FIELD_ERRORS = api_settings.NON_FIELD_ERRORS_KEY

PROFILE_NAME_TAKEN = "The requesting user already has a profile with that name."
TIMESLOT_NOT_OWNED = "The user of 'timeslot' must be the same as the requesting user."
MAY_NOT_BE_NULL = "This field may not be null."
NO_EMAIL = "User email is not set, therefore this field cannot include email."


def timeslot_name_taken_message(name: str, username: str) -> str:
    return f'The name "{name}" is already in use for a another timeslot owned by user {username}.'


def filter_name_taken_message(name: str, username: str) -> str:
    return f'The name "{name}" is already in use for another filter owned by user {username}.'


def filter_in_use_message(profiles: list[str]) -> str:
    return (
        f"Cannot delete this filter since it is in use in the notification profile(s): {', '.join(profiles)}."
    )


def destination_label_taken_message(label: str, media_name: str) -> str:
    return f'The label "{label}" is already in use for another {media_name} destination.'


def throttled(wait: float):
    """DRF's own throttling answer (message and ``Retry-After``), for a rule our service keeps."""
    seconds = max(1, math.ceil(wait))
    return (
        status.HTTP_429_TOO_MANY_REQUESTS,
        {"detail": str(Throttled(wait=seconds).detail)},
        {"Retry-After": str(seconds)},
    )


ERROR_RESPONSES = {
    TimeslotNameTaken: lambda error, request: (
        BAD_REQUEST,
        {"name": [timeslot_name_taken_message(error.name, error.username)]},
    ),
    FilterNameTaken: lambda error, request: (
        BAD_REQUEST,
        {"name": [filter_name_taken_message(error.name, error.username)]},
    ),
    FilterInUse: lambda error, request: (BAD_REQUEST, filter_in_use_message(error.profiles)),
    # Not in 1.37: the same bare string, naming the tasks.
    FilterInMaintenance: lambda error, request: (BAD_REQUEST, error.message),
    DestinationLabelTaken: lambda error, request: (
        BAD_REQUEST,
        {"label": [destination_label_taken_message(error.label, error.media_name)]},
    ),
    DestinationExists: lambda error, request: (BAD_REQUEST, {NON_FIELD_ERRORS: [error.message]}),
    DestinationNotDeletable: lambda error, request: (BAD_REQUEST, [error.message]),
    ProfileNameTaken: lambda error, request: (BAD_REQUEST, {NON_FIELD_ERRORS: [PROFILE_NAME_TAKEN]}),
    TimeslotNotOwned: lambda error, request: (BAD_REQUEST, {NON_FIELD_ERRORS: [TIMESLOT_NOT_OWNED]}),
    PhoneNumberRequired: lambda error, request: (BAD_REQUEST, {"phone_number": [MAY_NOT_BE_NULL]}),
    EmailAddressRequired: lambda error, request: (BAD_REQUEST, {"media": [NO_EMAIL]}),
    NotificationsOff: lambda error, request: (status.HTTP_409_CONFLICT, {"detail": error.message}),
    DestinationTestUnsupported: lambda error, request: (BAD_REQUEST, {"detail": error.message}),
    DestinationTestTooSoon: lambda error, request: throttled(error.wait),
}
