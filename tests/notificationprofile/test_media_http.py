"""The HTTP rules the webhook and Slack media share: outcomes, Retry-After, the answer's size cap,
no redirects, and URLs as logs may show them."""

import datetime
from email.utils import format_datetime

import httpx
import pytest
from django.utils import timezone

from argus.notificationprofile.media import http
from argus.notificationprofile.media.http import (
    HttpOutcome,
    outcome_of_status,
    redacted_url,
    retry_after_seconds,
    url_origin,
)
from argus.notificationprofile.plugins import PermanentFailure, RetryLater


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_2xx_is_delivered(status):
    outcome = outcome_of_status(status)
    assert (outcome.delivered, outcome.detail) == (True, f"HTTP {status}")
    outcome.raise_unless_delivered()  # nothing to say


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504, 599])
def test_not_now_answers_are_retried(status):
    with pytest.raises(RetryLater, match=f"^HTTP {status}$"):
        outcome_of_status(status).raise_unless_delivered()


@pytest.mark.parametrize("status", [300, 301, 302, 304, 307, 308, 400, 401, 403, 404, 405, 410, 413, 422])
def test_other_answers_fail_for_good(status):
    with pytest.raises(PermanentFailure, match=f"^HTTP {status}$"):
        outcome_of_status(status).raise_unless_delivered()


def test_retry_after_of_a_retried_answer_is_kept():
    with pytest.raises(RetryLater) as raised:
        outcome_of_status(503, "30").raise_unless_delivered()
    assert raised.value.retry_after == 30
    assert outcome_of_status(404, "30").retry_after is None  # not retried anyway


NOW = datetime.datetime(2026, 11, 22, 12, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("99999999999999999999", 1e9),
        (format_datetime(NOW + datetime.timedelta(seconds=90), usegmt=True), 90.0),
        (format_datetime(NOW - datetime.timedelta(seconds=90), usegmt=True), 0.0),
        ("Sun, 22 Nov 2026 12:01:00 GMT", 60.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("٣", None),  # a digit, but not an ASCII one
    ],
)
def test_retry_after_is_seconds_or_an_http_date(header, seconds):
    assert retry_after_seconds(header, now=NOW) == seconds


def fake(handler):
    """Requests answered by ``handler(request)`` in memory (httpx's MockTransport)."""
    return httpx.MockTransport(handler)


def test_redirects_are_not_followed(monkeypatch, settings):
    seen = []

    def handler(request):
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "https://elsewhere.example/"})

    monkeypatch.setattr(http, "transport", fake(handler))
    outcome = http.post("https://hooks.example.com/x", b"{}")
    assert (outcome.status, outcome.retryable, seen) == (302, False, ["https://hooks.example.com/x"])


def test_at_most_64_kib_of_the_answer_is_read(monkeypatch):
    pulled = []

    def endless():
        while True:
            pulled.append(4096)
            yield b"x" * 4096

    monkeypatch.setattr(http, "transport", fake(lambda request: httpx.Response(200, content=endless())))
    assert http.post("https://hooks.example.com/x", b"{}").delivered
    assert sum(pulled) == 64 * 1024


def test_a_broken_answer_body_does_not_change_the_status(monkeypatch):
    def breaking():
        yield b"partial"
        raise httpx.ReadError("connection reset")

    monkeypatch.setattr(http, "transport", fake(lambda request: httpx.Response(200, content=breaking())))
    assert http.post("https://hooks.example.com/x", b"{}").delivered


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (httpx.ConnectTimeout("slow"), HttpOutcome(None, "timeout", retryable=True)),
        (httpx.ReadTimeout("slow"), HttpOutcome(None, "timeout", retryable=True)),
        (httpx.ConnectError("refused"), HttpOutcome(None, "connection error (ConnectError)", retryable=True)),
        (httpx.RemoteProtocolError("bad"), HttpOutcome(None, "connection error (RemoteProtocolError)", True)),
    ],
)
def test_no_answer_is_retried_and_says_why_without_the_url(monkeypatch, error, expected):
    def handler(request):
        raise error

    monkeypatch.setattr(http, "transport", fake(handler))
    assert http.post("https://hooks.example.com/secret-token", b"{}") == expected


def test_the_request_is_a_json_post_with_our_user_agent(monkeypatch):
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(204)

    monkeypatch.setattr(http, "transport", fake(handler))
    http.post("https://hooks.example.com/x", b'{"a":1}', {"X-Extra": "1"})
    (request,) = seen
    assert (request.method, request.content) == ("POST", b'{"a":1}')
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "argus-server/1.37.0"
    assert request.headers["X-Extra"] == "1"


def test_json_bodies_are_compact_utf8():
    assert http.json_body({"a": "æ", "b": [1, None]}) == '{"a":"æ","b":[1,null]}'.encode()


@pytest.mark.parametrize(
    ("url", "origin", "redacted"),
    [
        (
            "https://hooks.example.com/a/b/SECRET1234",
            "https://hooks.example.com",
            "https://hooks.example.com/…1234",
        ),
        (
            "https://user:pw@Example.COM:8443/x?token=abcd",
            "https://example.com:8443",
            "https://example.com:8443/…abcd",
        ),
        ("http://[2001:db8::1]/hook", "http://[2001:db8::1]", "http://[2001:db8::1]/…hook"),
        ("slack://T1/B2/C3/#general", "slack://t1", "slack://t1/…eral"),
        ("not a url", "", "?/… url"),
        ("https://[broken/x", "", "?/…en/x"),
    ],
)
def test_urls_as_labels_and_logs_show_them(url, origin, redacted):
    assert url_origin(url) == origin
    assert redacted_url(url) == redacted


def test_http_dates_are_read_against_the_current_time_by_default():
    later = timezone.now() + datetime.timedelta(hours=1)
    assert retry_after_seconds(format_datetime(later, usegmt=True)) == pytest.approx(3600, abs=2)
