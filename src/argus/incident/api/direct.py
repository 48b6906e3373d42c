"""The direct path for the request a glue service makes most: a source system POSTing an incident.

``POST /api/v1/incidents/`` and ``/api/v2/incidents/`` with a source system's token and a
well-formed JSON body is nearly all the ingest traffic of a site. Through Django and DRF such a
request passes thirteen middleware, URL resolution, content negotiation, three authenticators,
the permission check and the view: together as much CPU as creating the incident itself. The
ASGI handler (``argus.site.asgi_http``) offers each such request to :func:`create_directly`
first, in the same request thread; it does what that path does, no more:

* the same token query and checks (``ExpiringTokenAuthentication``), the same JSON parser rules,
  the same request serializer (``IncidentCreateV1Serializer``/``V2``), the same service
  (``services.incident_create``) and the same rendering, so the incident, its event, its
  notifications, its websocket frame and the response body are the ones the view would make;
* what the middleware does to such a request: the request id in the log records and the
  ``X-Request-ID`` header, the request metrics, the source's ``last_seen``, and the response
  headers (security headers, ``Vary``, ``Allow``).

Whatever it does not handle exactly like that path it declines (returns ``None``) before changing
anything, and the request goes through Django as before: another URL or method, a query string,
a cookie, an ``Origin``, an ``Accept`` other than JSON, another content type, a host not allowed,
a token that is not a valid DRF token of an active source system's user, a body that is not a
valid incident, a ``source`` field (a superuser's choice), settings or URLs that make Django
answer otherwise. Once the service is called this path answers, as Django would: the new
incident (201), a duplicate ``source_incident_id`` (400, nothing written), a bug (500); only a
database error, after which nothing was written, is left to Django's path (its 503). The test
``tests/incident/api/test_direct.py`` holds the two paths to the same status, headers and
body, request by request.

``ARGUS_DIRECT_INGEST`` (default on) turns it off.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
from types import SimpleNamespace

from corsheaders.conf import conf as cors_conf
from corsheaders.signals import check_request_enabled
from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse
from django.http.request import split_domain_port, validate_host
from django.urls import Resolver404, resolve
from django.utils import timezone
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.settings import api_settings
from rest_framework.versioning import NamespaceVersioning

from argus.auth.authentication import token_is_expired, token_with_user_and_source
from argus.incident import services
from argus.incident.errors import DuplicateSourceIncidentId
from argus.incident.representation import incident_to_v1, incident_to_v2
from argus.util.errors import SERVER_ERROR_BODY
from argus.util.logs import request_context, request_id_from
from argus.util.parsers import JSONParser, exceeds_json_depth

from .errors import ERROR_RESPONSES
from .operations import record_request, record_sighting
from .serializers import IncidentCreateV1Serializer, IncidentCreateV2Serializer
from .views_incidents import IncidentListV1View, IncidentListView

logger = logging.getLogger(__name__)
request_logger = logging.getLogger("django.request")  # its 4xx/5xx lines, as Django logs them

#: Path -> (API version, request serializer, rendering).
PATHS = {
    "/api/v1/incidents/": ("v1", IncidentCreateV1Serializer, incident_to_v1),
    "/api/v2/incidents/": ("v2", IncidentCreateV2Serializer, incident_to_v2),
}
#: The middleware this path stands in for (the default ``MIDDLEWARE``, copied on purpose): with any
#: other list it declines every request, and the parity test fails until this path is checked
#: against the new middleware and the copy updated.
MIDDLEWARE = [
    "argus.site.middleware.ProbeMiddleware",
    "argus.site.middleware.RequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "argus.site.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "social_django.middleware.SocialAuthExceptionMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]
_JSON_TYPES = frozenset({b"application/json", b"application/json; charset=utf-8"})
_JSON_ACCEPTS = frozenset({b"*/*", b"application/json"})
#: Request headers whose presence makes some middleware or authenticator act: declined.
_DECLINED_HEADERS = frozenset({b"cookie", b"origin", b"transfer-encoding"})
_RENDERER = JSONRenderer()


#: The REST framework settings the view runs under that this path relies on.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["argus.auth.authentication.ExpiringTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [IsAuthenticated],
    "DEFAULT_THROTTLE_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": [JSONRenderer, BrowsableAPIRenderer],
    "DEFAULT_PARSER_CLASSES": [JSONParser],
    "DEFAULT_VERSIONING_CLASS": NamespaceVersioning,
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": DefaultContentNegotiation,
}


def enabled() -> bool:
    """Whether the settings let this path stand in for Django's (checked per request: cheap):
    the middleware it stands in for, no setting that makes them redirect, refuse or add headers
    it does not, and the REST framework settings the view runs under."""
    return (
        settings.ARGUS_DIRECT_INGEST
        and settings.MIDDLEWARE == MIDDLEWARE
        and not settings.SECURE_SSL_REDIRECT
        and not settings.SECURE_HSTS_SECONDS
        and settings.SECURE_PROXY_SSL_HEADER is None
        and not settings.USE_X_FORWARDED_HOST
        and not settings.PREPEND_WWW
        and not settings.DISALLOWED_USER_AGENTS
        and not settings.CSRF_USE_SESSIONS
        and settings.DEFAULT_CHARSET.lower() == "utf-8"
        and not check_request_enabled.has_listeners()
        and _rest_framework_as_expected()
        and _urls_as_expected(settings.ROOT_URLCONF)
    )


def _rest_framework_as_expected() -> bool:
    found = {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            _dotted(c) for c in api_settings.DEFAULT_AUTHENTICATION_CLASSES[:1]
        ],
        "DEFAULT_PERMISSION_CLASSES": list(api_settings.DEFAULT_PERMISSION_CLASSES),
        "DEFAULT_THROTTLE_CLASSES": list(api_settings.DEFAULT_THROTTLE_CLASSES),
        "DEFAULT_RENDERER_CLASSES": list(api_settings.DEFAULT_RENDERER_CLASSES),
        "DEFAULT_PARSER_CLASSES": list(api_settings.DEFAULT_PARSER_CLASSES[:1]),
        "DEFAULT_VERSIONING_CLASS": api_settings.DEFAULT_VERSIONING_CLASS,
        "DEFAULT_CONTENT_NEGOTIATION_CLASS": api_settings.DEFAULT_CONTENT_NEGOTIATION_CLASS,
    }
    return found == REST_FRAMEWORK


@functools.lru_cache(maxsize=4)
def _urls_as_expected(urlconf: str) -> bool:
    """Whether the two paths reach the incident list views (an overriding app's URLs may not)."""
    views = {"/api/v1/incidents/": IncidentListV1View, "/api/v2/incidents/": IncidentListView}
    try:
        return all(
            getattr(resolve(path, urlconf).func, "view_class", None) is view for path, view in views.items()
        )
    except Resolver404:
        return False


def _dotted(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def handles(scope) -> bool:
    """Whether :func:`create_directly` may take this request (a cheap look at the scope)."""
    return scope["method"] == "POST" and scope["path"] in PATHS and not scope.get("query_string")


def create_directly(scope, body_file) -> HttpResponse | None:
    """The response to a source system's incident POST, or ``None``: Django's path must answer.

    Called in a request thread, after Django's ``request_started`` signal, with the request body
    (a file, left at its start). Until the service is called nothing has changed, and whatever
    goes wrong (an exception included) leaves the request to Django; from then on this path
    answers, as Django would: the incident, a duplicate ``source_incident_id`` (400), a bug (500).
    Only a database error, after which nothing was written, still goes to Django's path (503).
    """
    if not enabled() or scope.get("root_path"):
        return None
    version, serializer_class, render = PATHS[scope["path"]]
    headers = _headers(scope)
    length = None if headers is None else _content_length(headers)
    if length is None:
        return None
    body = body_file.read(length + 1)
    body_file.seek(0)
    if len(body) != length:
        return None
    key = _token_key(headers.get(b"authorization"))
    data = _json_object(body)
    if key is None or data is None or "source" in data or ("metadata" in data and data["metadata"] is None):
        return None
    try:
        token = token_with_user_and_source(key)
    except DatabaseError:  # Django's path answers 503 and says why
        return None
    if token is None or token_is_expired(token) or not token.user.is_active:
        return None
    user = token.user
    source = services.source_system_of(user)
    if source is None:
        return None
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        return None
    request_id = request_id_from(_text(headers.get(b"x-request-id")))
    started, started_at = time.perf_counter(), timezone.now()
    with request_context(request_id, SimpleNamespace(user=user)):
        try:
            incident = services.incident_create(actor=user, source=source, **serializer.validated_data)
            status, body = 201, render(incident)
        except DatabaseError:
            return None  # rolled back: Django's path answers (503 when the database is away)
        except DuplicateSourceIncidentId as error:
            status, body = ERROR_RESPONSES[DuplicateSourceIncidentId](error, None)
            request_logger.warning("Bad Request: %s", scope["path"])
        except Exception:
            logger.error("Server error in POST %s", scope["path"], exc_info=True)
            status, body = 500, dict(SERVER_ERROR_BODY)
            request_logger.error("Internal Server Error: %s", scope["path"])
        response = HttpResponse(_RENDERER.render(body), status=status, content_type="application/json")
        record_sighting(source, started_at)
        record_request(
            version=version,
            method="POST",
            url_name="incident-list",
            status=status,
            seconds=time.perf_counter() - started,
        )
    response.headers["Vary"] = _vary(scope["path"])
    response.headers["Allow"] = "GET, POST, HEAD, OPTIONS"
    response.headers["X-Frame-Options"] = settings.X_FRAME_OPTIONS.upper()
    response.headers["Content-Length"] = str(len(response.content))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        response.headers["X-Content-Type-Options"] = "nosniff"
    if settings.SECURE_REFERRER_POLICY:
        policy = settings.SECURE_REFERRER_POLICY
        parts = policy.split(",") if isinstance(policy, str) else policy
        response.headers["Referrer-Policy"] = ",".join(part.strip() for part in parts)
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        response.headers["Cross-Origin-Opener-Policy"] = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
    response.headers["X-Request-ID"] = request_id
    return response


def _vary(path: str) -> str:
    """DRF varies on ``Accept`` (it has several renderers), corsheaders on ``origin`` where it
    is enabled."""
    return "Accept, origin" if re.match(cors_conf.CORS_URLS_REGEX, path) else "Accept"


def _content_length(headers: dict) -> int | None:
    """The body's announced length when it is one DRF reads and Django accepts, else ``None``."""
    try:
        length = int(headers.get(b"content-length", b""))
    except ValueError:
        return None
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if length <= 0 or (limit is not None and length > limit):
        return None  # DRF reads no body without a Content-Length; over the limit Django refuses
    return length


def _headers(scope) -> dict[bytes, bytes] | None:
    """The request headers (lower-case names), or ``None`` when one of them makes this path
    decline: repeated, a cookie or an origin, a content type or ``Accept`` other than JSON, a
    host Django would refuse."""
    headers = {}
    for name, value in scope["headers"]:
        name = name.lower()
        if name in headers or name in _DECLINED_HEADERS:
            return None
        headers[name] = value
    if headers.get(b"content-type", b"").lower() not in _JSON_TYPES:
        return None
    if headers.get(b"accept", b"*/*") not in _JSON_ACCEPTS:
        return None
    host = _text(headers.get(b"host"))
    if not host:
        return None
    domain, _port = split_domain_port(host)
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    if not domain or not validate_host(domain, allowed):
        return None
    return headers


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin1")


def _token_key(header: bytes | None) -> str | None:
    """The key of ``Authorization: Token <key>`` when DRF would read it so, else ``None``."""
    if header is None:
        return None
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != b"token":
        return None
    try:
        key = parts[1].decode()
    except UnicodeError:
        return None
    return key if key.isprintable() else None


def _refuse_constant(name):
    raise ValueError(f"Invalid JSON constant {name}")


def _json_object(body: bytes) -> dict | None:
    """The body as a JSON object, by the request parser's rules (strict, depth-limited), or
    ``None`` for anything else."""
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict) or exceeds_json_depth(value):
        return None
    return value
