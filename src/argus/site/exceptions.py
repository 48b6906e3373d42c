"""The one DRF exception handler of every API view.

On top of DRF's own handler it answers:

* a :class:`~argus.util.errors.DomainError` raised by a service with the status and body its
  app's ``api/errors.py`` gives for it (views never catch service errors themselves);
* a Django ``ValidationError`` with a DRF-style 400 instead of a 500;
* a body over Django's size limits with a JSON 413/400 like every other API error (not Django's
  HTML page).
"""

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
from argus.util.errors import DomainError

#: Domain error class -> function(error, request) -> (HTTP status, JSON body).
ERROR_RESPONSES = {**AUTH_ERROR_RESPONSES, **INCIDENT_ERROR_RESPONSES, **NOTIFICATION_ERROR_RESPONSES}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


def domain_error_response(error: DomainError, request) -> Response:
    """The API's answer to ``error``: the most specific entry of :data:`ERROR_RESPONSES`.

    An error no app describes is a 400 with its message as ``detail``.
    """
    for cls in type(error).__mro__:
        render = ERROR_RESPONSES.get(cls)
        if render is not None:
            http_status, body = render(error, request)
            break
    else:
        http_status, body = status.HTTP_400_BAD_REQUEST, {"detail": error.message}
    set_rollback()
    return Response(body, status=http_status)


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
    return drf_exception_handler(exc, context)
