"""How the API answers the incident services' domain errors (see ``argus.site.exceptions``).

The bodies are Argus 1.37's, quirks included: a list for some errors, a dict keyed by the
offending field for others.
"""

from rest_framework import status

from argus.incident.errors import (
    DuplicateSourceIncidentId,
    EndTimeBeforeStartTime,
    EventNotAllowed,
    ExpiredAcknowledgement,
    InvalidSystemUsername,
    SourceSystemExists,
    SourceSystemInUse,
    SourceSystemTypeExists,
    TagRemovalNotAllowed,
)

BAD_REQUEST = status.HTTP_400_BAD_REQUEST
TAG_REMOVAL_REFUSED = "Cannot remove this tag when you're not the one who added it."
#: A rename that collides is reported as a uniqueness rule of the (name, type) pair.
SOURCE_SYSTEM_NOT_UNIQUE = "The fields name, type must make a unique set."


def _as_list(error, request):
    return BAD_REQUEST, [error.message]


def _source_system_exists(error, request):
    if request is not None and request.method == "POST":
        return BAD_REQUEST, {"__all__": [error.message]}
    return BAD_REQUEST, {"non_field_errors": [SOURCE_SYSTEM_NOT_UNIQUE]}


ERROR_RESPONSES = {
    DuplicateSourceIncidentId: _as_list,
    # Raised by admin corrections; an API body would be refused by the serializer the same way.
    EndTimeBeforeStartTime: lambda error, request: (BAD_REQUEST, {"non_field_errors": [error.message]}),
    EventNotAllowed: lambda error, request: (BAD_REQUEST, {"type": error.message}),
    TagRemovalNotAllowed: lambda error, request: (
        BAD_REQUEST,
        {tag: TAG_REMOVAL_REFUSED for tag in error.tags},
    ),
    ExpiredAcknowledgement: _as_list,
    InvalidSystemUsername: lambda error, request: (
        BAD_REQUEST,
        {"username": [f"username: {message}" for message in error.messages]},
    ),
    SourceSystemExists: _source_system_exists,
    # The API has no DELETE of sources (405); should one come, this is its answer.
    SourceSystemInUse: lambda error, request: (BAD_REQUEST, {"detail": error.message}),
    SourceSystemTypeExists: lambda error, request: (BAD_REQUEST, {"name": [error.message]}),
}
