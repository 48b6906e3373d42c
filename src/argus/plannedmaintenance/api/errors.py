"""How the API answers the planned maintenance services' domain errors (see ``argus.site.exceptions``)."""

from rest_framework import status
from rest_framework.settings import api_settings

from argus.plannedmaintenance.errors import (
    EndTimeNotAfterStartTime,
    EndTimeNotInFuture,
    FiltersNotFound,
    StartTimeLocked,
    TaskAlreadyEnded,
    TaskNotDeletable,
    TaskNotModifiable,
    TaskNotStarted,
)

BAD_REQUEST = status.HTTP_400_BAD_REQUEST
NON_FIELD_ERRORS = api_settings.NON_FIELD_ERRORS_KEY


def _on(field):
    return lambda error, request: (BAD_REQUEST, {field: [error.message]})


def _as_list(error, request):
    return BAD_REQUEST, [error.message]


def _filters_not_found(error, request):
    # As the serializer words it when the filter is gone before the request is read.
    return BAD_REQUEST, {"filters": [f'Invalid pk "{pk}" - object does not exist.' for pk in error.pks]}


ERROR_RESPONSES = {
    EndTimeNotAfterStartTime: _on("end_time"),
    EndTimeNotInFuture: _on("end_time"),
    TaskNotModifiable: _on(NON_FIELD_ERRORS),
    StartTimeLocked: _on("start_time"),
    TaskNotDeletable: _as_list,
    TaskNotStarted: _as_list,
    TaskAlreadyEnded: _as_list,
    FiltersNotFound: _filters_not_found,
}
