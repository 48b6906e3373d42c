"""The one DRF exception handler of every API view.

On top of DRF's own handler it answers:

* a :class:`~argus.util.errors.DomainError` raised by a service with the status and body its
  app's ``api/errors.py`` gives for it (views never catch service errors themselves);
* a Django ``ValidationError`` with a DRF-style 400 instead of a 500;
* a body over Django's size limits with a JSON 413/400 like every other API error (not Django's
  HTML page);
* a ``RecursionError`` (input nested deeper than Python can walk, e.g. a JSON text inside a form
  field) as a JSON parse error (400);
* a database that cannot be reached with ``503 {"detail": ...}``, without the driver's text (which
  names hosts and ports); the error is logged;
* anything else (a bug) with ``500 {"detail": "Internal server error."}``, not an HTML page; the
  traceback is logged once, here (Django adds its one-line "Internal Server Error: <path>").
"""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from argus.auth.api.errors import ERROR_RESPONSES as AUTH_ERROR_RESPONSES
from argus.incident.api.errors import ERROR_RESPONSES as INCIDENT_ERROR_RESPONSES
from argus.notificationprofile.api.errors import ERROR_RESPONSES as NOTIFICATION_ERROR_RESPONSES
from argus.plannedmaintenance.api.errors import ERROR_RESPONSES as MAINTENANCE_ERROR_RESPONSES
from argus.util.database import database_unavailable
from argus.util.errors import SERVER_ERROR_BODY, DomainError
from argus.util.parsers import TOO_DEEP_MESSAGE

logger = logging.getLogger(__name__)

#: Domain error class -> function(error, request) -> (HTTP status, JSON body[, headers]).
ERROR_RESPONSES = {
    **AUTH_ERROR_RESPONSES,
    **INCIDENT_ERROR_RESPONSES,
    **NOTIFICATION_ERROR_RESPONSES,
    **MAINTENANCE_ERROR_RESPONSES,
}

DATABASE_UNAVAILABLE_MESSAGE = "The database is unavailable. Please try again later."


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = DATABASE_UNAVAILABLE_MESSAGE
    default_code = "database_unavailable"


def domain_error_response(error: DomainError, request) -> Response:
    """The API's answer to ``error``: the most specific entry of :data:`ERROR_RESPONSES`
    (status and body, and the headers when the entry gives them).

    An error no app describes is a 400 with its message as ``detail``.
    """
    headers = None
    for cls in type(error).__mro__:
        render = ERROR_RESPONSES.get(cls)
        if render is not None:
            http_status, body, *extra = render(error, request)
            headers = extra[0] if extra else None
            break
    else:
        http_status, body = status.HTTP_400_BAD_REQUEST, {"detail": error.message}
    set_rollback()
    return Response(body, status=http_status, headers=headers)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return domain_error_response(exc, context.get("request"))
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(
            f"Request body exceeded {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes "
            "(DATA_UPLOAD_MAX_MEMORY_SIZE)."
        )
    elif isinstance(exc, TooManyFieldsSent):
        exc = exceptions.ParseError(str(exc))
    elif isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError(exc.messages)
    elif isinstance(exc, RecursionError):
        exc = exceptions.ParseError(f"JSON parse error - {TOO_DEEP_MESSAGE}")
    elif database_unavailable(exc):
        logger.error("Database unavailable: %s", exc)
        exc = DatabaseUnavailable()
    response = drf_exception_handler(exc, context)
    if response is None:
        request = context.get("request")
        logger.error(
            "Server error in %s %s",
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
            exc_info=(type(exc), exc, exc.__traceback__),
        )
        set_rollback()
        response = Response(dict(SERVER_ERROR_BODY), status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    return response
