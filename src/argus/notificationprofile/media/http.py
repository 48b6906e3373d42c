"""Posting notifications over HTTP(S), for the webhook and Slack media.

One request per attempt through httpx, with the rules both media share:

* no redirects (a 3xx is an answer, and a permanent failure);
* TLS certificates are verified; proxies come from the environment (``HTTPS_PROXY``,
  ``NO_PROXY``), as httpx reads them;
* connect timeout :data:`CONNECT_TIMEOUT`, and the receiver has ``WEBHOOK_TIMEOUT`` seconds to
  answer; at most :data:`MAX_RESPONSE_BYTES` of the answer are read, within that time, and
  otherwise ignored: the status decides;
* the outcome (:class:`HttpOutcome`): 2xx delivered; 408, 425, 429, 5xx, a timeout or a
  connection/TLS error worth another attempt (``Retry-After``, seconds or an HTTP date, is kept
  as the least wait); any other status a permanent failure.

URLs are secrets (whoever knows a webhook's URL can post to it): they are never logged, and
errors carry only the status or the kind of failure. :func:`redacted_url` gives the form logs and
the delivery log may show. httpx logs every request with its full URL at INFO, so the settings
keep its logger at WARNING.
"""

from __future__ import annotations

import datetime
import email.utils
import functools
import hashlib
import json
import math
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.utils import timezone

import argus
from argus.notificationprofile.plugins import PermanentFailure, RetryLater, TestMessageResult

CONNECT_TIMEOUT = 5.0
MAX_RESPONSE_BYTES = 64 * 1024
#: Statuses below 500 that mean "not now" rather than "never".
RETRY_STATUSES = frozenset({408, 425, 429})
USER_AGENT = f"argus-server/{argus.__version__}"
#: The longest ``Retry-After`` taken as it is (a larger one is capped by the engine anyway).
MAX_RETRY_AFTER = 10**9

#: The httpx transport requests go through (``None``: httpx's own). Tests route requests to a
#: receiver on loopback by setting it; production code never does.
transport: httpx.BaseTransport | None = None


@dataclass(frozen=True)
class HttpOutcome:
    """How one request ended: the status (``None`` when there was no answer) and a short account."""

    status: int | None
    #: ``"HTTP 200"``, ``"timeout"``, ``"connection error (ConnectError)"``: no URL, no body.
    detail: str
    retryable: bool
    retry_after: float | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def raise_unless_delivered(self) -> None:
        """Tell the delivery engine how the attempt ended (return: delivered)."""
        if self.delivered:
            return
        if self.retryable:
            raise RetryLater(self.detail, retry_after=self.retry_after)
        raise PermanentFailure(self.detail)

    def as_test_result(self) -> TestMessageResult:
        return TestMessageResult(delivered=self.delivered, detail=self.detail)


def outcome_of_status(status: int, retry_after: str | None = None, *, now=None) -> HttpOutcome:
    retryable = status in RETRY_STATUSES or status >= 500
    wait = retry_after_seconds(retry_after, now=now) if retryable else None
    return HttpOutcome(status, f"HTTP {status}", retryable=retryable, retry_after=wait)


def retry_after_seconds(value: str | None, *, now=None) -> float | None:
    """A ``Retry-After`` header in seconds from ``now``; ``None`` when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(min(int(value[:12]), MAX_RETRY_AFTER))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    seconds = (when - (now or timezone.now())).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def json_body(data) -> bytes:
    """Compact UTF-8 JSON, as the API writes it; these exact bytes are sent (and signed)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default TLS context (certifi's CAs, ``SSL_CERT_FILE``), made once per process:
    making one reads the CA bundle, ~35 ms of CPU, which would otherwise be paid per message."""
    return httpx.create_ssl_context()


def post(url: str, body: bytes, headers: Mapping[str, str] | None = None) -> HttpOutcome:
    """POST ``body`` (JSON) to ``url`` once and report how it ended; never raises for HTTP trouble."""
    timeout = float(settings.WEBHOOK_TIMEOUT)
    deadline = time.monotonic() + timeout
    all_headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **(headers or {})}
    try:
        with (
            httpx.Client(
                timeout=httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT, timeout)),
                follow_redirects=False,
                verify=tls_context(),
                transport=transport,
            ) as client,
            client.stream("POST", url, content=body, headers=all_headers) as response,
        ):
            _read_some(response, deadline)
            return outcome_of_status(response.status_code, response.headers.get("Retry-After"))
    except httpx.TimeoutException:
        return HttpOutcome(None, "timeout", retryable=True)
    except httpx.UnsupportedProtocol:
        return HttpOutcome(None, "unsupported URL scheme", retryable=False)
    except httpx.TransportError as error:  # refused, reset, DNS, TLS, a broken answer
        return HttpOutcome(None, f"connection error ({type(error).__name__})", retryable=True)
    except httpx.InvalidURL:
        return HttpOutcome(None, "invalid URL", retryable=False)


def _read_some(response: httpx.Response, deadline: float) -> None:
    """Read at most MAX_RESPONSE_BYTES of the answer before ``deadline``; the rest is dropped.

    The status is known by now and decides the outcome, so a body that breaks off or comes too
    slowly changes nothing.
    """
    received = 0
    try:
        for chunk in response.iter_raw():
            received += len(chunk)
            if received >= MAX_RESPONSE_BYTES or time.monotonic() >= deadline:
                break
    except (httpx.HTTPError, httpx.StreamError):
        pass


# --- URLs in logs and labels -----------------------------------------------------------------------


def url_origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, without user name or password ("" when unreadable)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return ""
    if ":" in host:
        host = f"[{host}]"
    if not parts.scheme or not host:
        return ""
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def redacted_url(url: str) -> str:
    """What logs may show of a URL: ``https://hooks.example.com/…a1b2`` (scheme, host, last 4)."""
    return f"{url_origin(url) or '?'}/…{url[-4:]}"


def fingerprint(*parts: str) -> str:
    """A short stable digest of ``parts`` (tells addresses apart without showing them)."""
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:16]
