"""Site-wide middleware."""

import time

from django.conf import settings
from django.middleware.common import CommonMiddleware as DjangoCommonMiddleware
from django.utils import timezone
from django.utils.http import escape_leading_slashes

from argus.incident.api.operations import record_request, record_sighting
from argus.incident.services import source_system_of
from argus.site import health
from argus.site.metrics import metrics_view
from argus.util.logs import REQUEST_ID_ATTRIBUTE, known_user, request_context, request_id_from


class CommonMiddleware(DjangoCommonMiddleware):
    """Django's, redirecting every method to the URL with the slash, with ``DEBUG`` on too.

    Argus answers a request without the trailing slash with ``301`` to the slashed path whatever
    the method. Django does so only with ``DEBUG`` off: with it on (the
    ``dev`` settings of ``make run``) a ``POST``, ``PUT``, ``PATCH`` or ``DELETE`` raised a
    ``RuntimeError`` meant to warn the author of an HTML form, a 500 to an API client.
    """

    def get_full_path_with_slash(self, request):
        return escape_leading_slashes(request.get_full_path(force_append_slash=True))


class ProbeMiddleware:
    """Serves ``/.still-alive/``, ``/.ready/`` and ``/metrics`` before anything else runs.

    First in ``MIDDLEWARE``: no host validation (probes use the pod's IP), session, CSRF, cookie or
    authentication is involved, and nothing is logged for them. The other paths pass through.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path == "/.still-alive/":
            return health.still_alive(request)
        if path == "/.ready/":
            return health.ready(request)
        if path in ("/metrics", "/metrics/") and settings.METRICS_ENABLED:
            return metrics_view(request)
        return self.get_response(request)


class RequestMiddleware:
    """What every request gets: a request id in the log records and the ``X-Request-ID`` header,
    and for the v1/v2 API the request metrics and the source system's ``last_seen``.

    * The id is the client's ``X-Request-ID`` when it is a sane token, else a new one; log records
      of the request carry it (``argus.util.logs``).
    * ``argus_api_requests_total`` counts every API request, ``argus_ingest_requests_total`` and
      the duration histogram the write requests of the incident API (``incident.api.operations``).
    * A request that a source system's user made, that passed authentication and the permission
      checks (whatever its status otherwise: a 400 or 404 still proves the source is alive), sets
      the source's ``last_seen`` (at most one write per 5 s, see ``source_system_seen``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get("X-Request-ID"))
        setattr(request, REQUEST_ID_ATTRIBUTE, request_id)
        with request_context(request_id, request):
            path = request.path_info
            version = path[5:7] if path.startswith(("/api/v1/", "/api/v2/")) else None
            if version is None:
                response = self.get_response(request)
            else:
                started, started_at = time.perf_counter(), timezone.now()
                response = self.get_response(request)
                seconds = time.perf_counter() - started
                self.record_source_seen(request, response, started_at)
                self.record_metrics(request, response, version, seconds)
        response.headers.setdefault("X-Request-ID", request_id)
        return response

    @staticmethod
    def record_metrics(request, response, version: str, seconds: float) -> None:
        match = request.resolver_match
        record_request(
            version=version,
            method=request.method,
            url_name=match.url_name if match else None,
            status=response.status_code,
            seconds=seconds,
        )

    @staticmethod
    def record_source_seen(request, response, started_at) -> None:
        if response.status_code in SOURCE_NOT_SEEN_STATUSES:
            return
        user = known_user(request)  # the user the API authenticated, if it did
        if user is None:
            return
        source = source_system_of(user)
        if source is not None:
            record_sighting(source, started_at)


#: Answers after which a source system's request does not count as a sighting: refused by
#: authentication or permissions, or the database is unavailable (a write would wait for it again).
SOURCE_NOT_SEEN_STATUSES = frozenset({401, 403, 503})
