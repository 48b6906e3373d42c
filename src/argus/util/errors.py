"""The base class of every domain error.

Services raise a :class:`DomainError` subclass when a rule refuses a change ("this filter is used
by a profile", "the incident is already closed"). The error carries what happened, in the
domain's words, and never an HTTP status or a response body: each app's ``api/errors.py`` says how
the API answers it, and ``argus.site.exceptions.exception_handler`` is the one place that turns
the error into that answer. The admin and the management commands show ``message`` to the user.
"""


class DomainError(Exception):
    """A domain rule refused a change. ``message`` is the sentence a person reads."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


#: The API's body for a bug (a 500): the exception handler's, and the direct ingest path's.
SERVER_ERROR_BODY = {"detail": "Internal server error."}
