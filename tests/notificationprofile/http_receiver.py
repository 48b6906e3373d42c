"""A real HTTP receiver on loopback for the webhook and Slack tests, and what they share.

The receiver answers POSTs from a script (status, headers, delay per request, then 200) and keeps
every request it got, so a test can check headers, body and signature, and count attempts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from argus.notificationprofile.media import http
from argus.notificationprofile.models import DestinationConfig, Media
from argus.notificationprofile.plugins import sync_media_table
from tests.factories import EndUserFactory
from tests.notificationprofile.delivery import free_port
from tests.notificationprofile.factories import (
    FilterFactory,
    NotificationProfileFactory,
    TimeRecurrenceFactory,
)

WEBHOOK_PLUGIN = "argus.notificationprofile.media.webhook.WebhookNotification"
SLACK_PLUGIN = "argus.notificationprofile.media.slack.SlackNotification"


@dataclass
class Answer:
    status: int = 200
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    body: bytes = b"ok"


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


class Receiver:
    """``with Receiver([Answer(500), Answer(500)]) as receiver:`` answers 500, 500, then 200."""

    def __init__(self, answers=()):
        self.answers = [answer if isinstance(answer, Answer) else Answer(answer) for answer in answers]
        self.requests: list[Received] = []
        self.lock = threading.Lock()
        self.port = free_port()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests.append(Received(self.path, dict(self.headers), body))
                    answer = receiver.answers.pop(0) if receiver.answers else Answer()
                time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except OSError:  # the client gave up waiting
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str = "/hooks/argus") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.requests)


def signature_is_valid(received: Received, secret: str) -> bool:
    """What a receiver does: HMAC-SHA256 over "<timestamp>.<body>", compared in constant time."""
    timestamp = received.headers["X-Argus-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + received.body, hashlib.sha256)
    return hmac.compare_digest("sha256=" + expected.hexdigest(), received.headers["X-Argus-Signature"])


class ToLoopback(httpx.HTTPTransport):
    """Sends every request to the receiver on ``port`` over plain HTTP, whatever its URL says
    (a Slack URL must be https://hooks.slack.com/...)."""

    def __init__(self, port: int):
        super().__init__()
        self.port = port

    def handle_request(self, request):
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return super().handle_request(request)


@pytest.fixture
def http_media(settings, db):
    """The Slack and webhook media enabled (with their Media rows)."""
    settings.MEDIA_PLUGINS = [*settings.MEDIA_PLUGINS, SLACK_PLUGIN, WEBHOOK_PLUGIN]
    sync_media_table()
    return settings


@pytest.fixture
def to_loopback(monkeypatch):
    """``to_loopback(receiver)``: from now on every webhook/Slack request goes to ``receiver``."""

    def route(receiver: Receiver):
        monkeypatch.setattr(http, "transport", ToLoopback(receiver.port))

    return route


def subscribe(source_system, username: str, media: str, settings: dict, *, user=None):
    """A user whose one profile fires for every incident of ``source_system``, to one destination."""
    user = user or EndUserFactory(username=username, email="")
    destination = DestinationConfig.objects.create(
        user=user, media=Media.objects.get(slug=media), settings=settings
    )
    profile = NotificationProfileFactory(
        user=user,
        filters=[FilterFactory(user=user, filter={"sourceSystemIds": [source_system.pk]})],
        destinations=[destination],
    )
    TimeRecurrenceFactory(timeslot=profile.timeslot)
    return destination
