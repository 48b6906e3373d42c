"""A real SMTP server for the delivery tests: an aiosmtpd sink on loopback (ports 8300-8399),
the settings that point Django at it, the database task backend and a ``db_worker`` run."""

import email
import email.policy
import socket
import time

from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.test import override_settings

from argus.notificationprofile.models import DestinationConfig
from tests.factories import EndUserFactory
from tests.notificationprofile.factories import (
    FilterFactory,
    NotificationProfileFactory,
    TimeRecurrenceFactory,
)

PORTS = range(8300, 8400)


def free_port() -> int:
    for port in PORTS:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8300-8399")


class Sink:
    """Collects every message the SMTP server accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"


class SMTPSink:
    def __init__(self, port: int):
        self.port = port
        self.handler = Sink()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    @property
    def messages(self):
        return self.handler.messages

    def wait_for(self, count: int, timeout: float = 5.0):
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


def smtp_settings(port):
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_TIMEOUT=5,
        EMAIL_USE_TLS=False,
        SEND_NOTIFICATIONS=True,
        DEFAULT_FROM_EMAIL="argus@argus.example",
    )


DB_TASKS = override_settings(
    TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}},
    NOTIFICATION_RETRY_DELAY=0.5,
    NOTIFICATION_MAX_ATTEMPTS=5,
)


def run_worker(max_tasks: int | None = None):
    """``db_worker --batch``: run what is queued (at most ``max_tasks`` tasks), then return."""
    limit = ["--max-tasks", str(max_tasks)] if max_tasks else []
    call_command(
        "db_worker", "--batch", *limit, "--queue-name", "*", "--no-reload", "--no-startup-delay", verbosity=0
    )


def add_subscriber(source_system, username):
    """A user whose one profile fires for every incident of ``source_system``."""
    user = EndUserFactory(username=username, email=f"{username}@example.org")
    profile = NotificationProfileFactory(
        user=user,
        filters=[FilterFactory(user=user, filter={"sourceSystemIds": [source_system.pk]})],
        destinations=[DestinationConfig.objects.get(user=user, settings__synced=True)],
    )
    TimeRecurrenceFactory(timeslot=profile.timeslot)
    return user


class CountingSink(Sink):
    """Counts SMTP conversations (one EHLO each), can refuse some recipients and, like most mail
    servers, offers PIPELINING (RFC 2920) unless told not to."""

    def __init__(self, refuse=(), pipelining=True, reject_data=()):
        super().__init__()
        self.conversations = 0
        self.refuse = tuple(refuse)
        self.pipelining = pipelining
        self.reject_data = tuple(reject_data)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.conversations += 1
        session.host_name = hostname
        if self.pipelining:
            responses = [responses[0], "250-PIPELINING", *responses[1:]]
        return responses

    async def handle_DATA(self, server, session, envelope):
        if any(recipient.startswith(self.reject_data) for recipient in envelope.rcpt_tos):
            return "554 message rejected"
        return await super().handle_DATA(server, session, envelope)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith(self.refuse):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def counting_sink(port, refuse=(), pipelining=True, reject_data=()):
    sink = SMTPSink(port)
    sink.handler = CountingSink(refuse, pipelining, reject_data)
    sink.controller = Controller(sink.handler, hostname="127.0.0.1", port=port)
    return sink


def post_incident(client, description="core switch down", source_incident_id="e2e-1"):
    response = client.post(
        "/api/v2/incidents/",
        {
            "start_time": "2026-11-22T12:30:00+01:00",
            "end_time": "infinity",
            "source_incident_id": source_incident_id,
            "description": description,
            "level": 2,
            "tags": [{"tag": "host=switch1.example"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["pk"]
