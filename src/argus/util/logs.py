"""Log records that say which request they belong to, as text or as one JSON object per line.

``ARGUS_LOG_FORMAT=json`` (settings) makes every handler of the default logging configuration use
:class:`JsonFormatter`: ``time``, ``level``, ``logger``, ``message``, and where known
``request_id``, ``user``, ``source`` and ``exception`` (the traceback). The server, the worker and
the commands all log through it. The request middleware (``argus.site.middleware``) opens a
:func:`request_context` per request; :class:`RequestContextFilter` copies what it knows onto every
record logged meanwhile in that thread.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import json
import logging
import re
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ObjectDoesNotExist
from django.utils.functional import SimpleLazyObject

LOG_FORMATS = ("text", "json")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


@dataclass
class RequestContext:
    request_id: str
    #: The request (an ``HttpRequest``); who made it is read from it lazily, never from the database.
    request: object = field(default=None, repr=False)


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "argus_request_context", default=None
)


def request_id_from(header: str | None) -> str:
    """The client's ``X-Request-ID`` when it is a sane token, else a new random one."""
    if header and _REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


@contextlib.contextmanager
def request_context(request_id: str, request=None):
    token = _current.set(RequestContext(request_id, request))
    try:
        yield
    finally:
        _current.reset(token)


def current_request_context() -> RequestContext | None:
    return _current.get()


def known_user(request):
    """The request's user once the API authenticated it (DRF sets the user it found on the request).

    The session's lazy user of other pages is left alone: reading it could query the database
    from inside a log call.
    """
    user = getattr(request, "__dict__", {}).get("user")
    if user is None or isinstance(user, SimpleLazyObject) or not getattr(user, "is_authenticated", False):
        return None
    return user


def _known_source_name(user) -> str | None:
    """The name of the user's source system when it was loaded with the user (token auth does)."""
    descriptor = getattr(type(user), "source_system", None)
    if descriptor is None or not hasattr(descriptor, "is_cached") or not descriptor.is_cached(user):
        return None
    try:
        return user.source_system.name
    except ObjectDoesNotExist:
        return None


#: The attribute of an ``HttpRequest`` that holds its request id.
REQUEST_ID_ATTRIBUTE = "argus_request_id"


class RequestContextFilter(logging.Filter):
    """Adds ``request_id``, ``user`` and ``source`` (None when unknown) to every record.

    The request is the one being served in this thread, or the one Django's request logger names
    (``extra={"request": ...}``: its "Internal Server Error" line comes after the middleware).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        context = _current.get()
        request = getattr(record, "request", None) or (context.request if context else None)
        if not getattr(record, "request_id", None):
            record.request_id = getattr(request, REQUEST_ID_ATTRIBUTE, None) or (
                context.request_id if context else None
            )
        user = known_user(request) if request is not None else None
        record.user = user.get_username() if user is not None else None
        record.source = _known_source_name(user) if user is not None else None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "user", "source"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The plain format, with the request id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{text} [request {request_id}]" if request_id else text


def logging_config(log_format: str, argus_level: str = "INFO") -> dict:
    """The default ``LOGGING``: Argus at ``argus_level``, everything else at WARNING, to stderr."""
    formatter = "json" if log_format == "json" else "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": "argus.util.logs.RequestContextFilter"}},
        "formatters": {
            "text": {
                "()": "argus.util.logs.TextFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            },
            "json": {"()": "argus.util.logs.JsonFormatter"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": formatter, "filters": ["request"]}
        },
        "root": {"handlers": ["console"], "level": "WARNING"},
        "loggers": {
            "argus": {"handlers": ["console"], "level": argus_level, "propagate": False},
            # They write whole URLs (webhook and Slack URLs are secrets) at INFO and DEBUG.
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
            "urllib3": {"level": "WARNING"},
            "apprise": {"level": "WARNING"},
        },
    }
