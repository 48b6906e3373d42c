"""End to end: a source posts an incident over REST, the task runs, a real SMTP server gets the mail.

The SMTP server is an aiosmtpd sink on loopback (ports 8300-8399). Two task backends are exercised:
the immediate backend of the test settings, and the database backend run by ``db_worker --batch``
as in production, including SMTP being down and coming back.
"""

import time

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from argus.notificationprofile.models import Delivery, PendingEvent
from tests.factories import EndUserFactory
from tests.notificationprofile.delivery import (
    DB_TASKS,
    Sink,
    SMTPSink,
    add_subscriber,
    counting_sink,
    free_port,
    post_incident,
    run_worker,
    smtp_settings,
)
from tests.notificationprofile.factories import (
    FilterFactory,
    NotificationProfileFactory,
    TimeRecurrenceFactory,
)


def assert_is_the_start_mail(recipients, message, source_system, description="core switch down"):
    assert recipients == ["alice@example.org"]
    assert message["To"] == "alice@example.org"
    assert message["From"] == "argus@argus.example"
    assert message["Subject"] == (
        f"[Argus] 'Incident start': {description}, {source_system.user.username} @ 2026-11-22 12:30:00+01:00"
    )
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith(
        f"Status: STA\nActor: {source_system.user.username}\n\nstart_time       : 2026-11-22"
    )
    assert "end_time         : Still open\n" in text
    assert f"description      : {description}\n" in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Nov. 22, 2026, 12:30 p.m." in html


def test_incident_posted_over_rest_is_mailed_with_the_immediate_backend(
    subscriber, source_system, source_client
):
    port = free_port()
    with SMTPSink(port) as sink, smtp_settings(port):
        post_incident(source_client)
        ((recipients, message),) = sink.wait_for(1)
    assert_is_the_start_mail(recipients, message, source_system)


def test_nothing_is_sent_when_notifications_are_off(subscriber, source_client):
    port = free_port()
    with SMTPSink(port) as sink, smtp_settings(port), override_settings(SEND_NOTIFICATIONS=False):
        post_incident(source_client)
        time.sleep(0.2)
        assert sink.messages == []


def test_smtp_down_does_not_reach_the_http_response(subscriber, source_client, caplog):
    port = free_port()  # nothing listens there
    with smtp_settings(port):
        post_incident(source_client)
    assert "failed" in caplog.text


def test_database_queue_delivers_through_db_worker(subscriber, source_system, source_client):
    port = free_port()
    with SMTPSink(port) as sink, smtp_settings(port), DB_TASKS:
        post_incident(source_client)
        assert sink.messages == []  # only recorded: the request did not send anything
        assert PendingEvent.objects.count() == 1
        run_worker()
        ((recipients, message),) = sink.wait_for(1)
    assert_is_the_start_mail(recipients, message, source_system)
    (delivery,) = Delivery.objects.all()
    assert (delivery.state, delivery.attempts, delivery.address) == ("sent", 1, "alice@example.org")
    assert message["Message-ID"] == f"<{delivery.message_id}@argus.example>"
    assert not PendingEvent.objects.exists()


def test_smtp_down_then_up_delivers_exactly_once_with_the_same_message_id(
    subscriber, source_system, source_client, caplog
):
    add_subscriber(source_system, "bob")
    port = free_port()
    with smtp_settings(port), DB_TASKS:
        post_incident(source_client)
        run_worker()  # SMTP is down: both deliveries fail and are due again after the backoff
        log = Delivery.objects.order_by("address")
        assert [(d.address, d.state, d.attempts) for d in log] == [
            ("alice@example.org", "pending", 1),
            ("bob@example.org", "pending", 1),
        ]
        assert all("Connection refused" in d.last_error and d.due_at > d.last_attempt_at for d in log)
        assert "retrying at" in caplog.text and "alice@example.org" in caplog.text
        with SMTPSink(port) as sink:
            time.sleep(0.6)  # the backoff
            run_worker()
            run_worker()  # nothing left to do: no second copy
            messages = sink.wait_for(2)
            time.sleep(0.2)
            assert len(sink.messages) == 2
    by_address = {recipients[0]: message["Message-ID"] for recipients, message in messages}
    assert by_address == {d.address: f"<{d.message_id}@argus.example>" for d in log}
    assert [(d.state, d.attempts) for d in Delivery.objects.order_by("address")] == [("sent", 2), ("sent", 2)]


def test_one_failing_address_does_not_hold_back_the_others(subscriber, source_system, source_client):
    """A recipient the server refuses is retried alone; the other address gets its mail at once."""
    port = free_port()

    class Refusing(Sink):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.startswith("bob@"):
                return "550 no such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    add_subscriber(source_system, "bob")
    sink = SMTPSink(port)
    sink.handler = Refusing()
    sink.controller = Controller(sink.handler, hostname="127.0.0.1", port=port)
    with sink, smtp_settings(port), DB_TASKS:
        post_incident(source_client)
        run_worker()
        assert [recipients for recipients, _ in sink.wait_for(1)] == [["alice@example.org"]]
    states = dict(Delivery.objects.values_list("address", "state"))
    assert states == {"alice@example.org": "sent", "bob@example.org": "pending"}
    assert "550" in Delivery.objects.get(address="bob@example.org").last_error


def test_gives_up_after_the_last_attempt_without_crashing_the_worker(subscriber, source_client, caplog):
    port = free_port()  # nothing listens there
    with (
        smtp_settings(port),
        DB_TASKS,
        override_settings(NOTIFICATION_MAX_ATTEMPTS=3, NOTIFICATION_RETRY_DELAY=0.01),
    ):
        post_incident(source_client)
        for _ in range(3):
            time.sleep(0.05)
            run_worker()
    (delivery,) = Delivery.objects.all()
    assert (delivery.state, delivery.attempts, delivery.due_at) == ("failed", 3, None)
    assert delivery.last_error  # connection refused (unless something came to listen meanwhile)
    assert "failed 3 times, giving up" in caplog.text


def test_a_failing_match_is_retried(subscriber, source_client, monkeypatch, caplog):
    from argus.notificationprofile import tasks

    real = tasks.destinations_for_events
    calls = []

    def flaky(events):
        calls.append([event.pk for event in events])
        if len(calls) == 1:
            raise ConnectionError("database went away")
        return real(events)

    monkeypatch.setattr(tasks, "destinations_for_events", flaky)
    port = free_port()
    with (
        SMTPSink(port) as sink,
        smtp_settings(port),
        DB_TASKS,
        override_settings(NOTIFICATION_RETRY_DELAY=0.01),
    ):
        post_incident(source_client)
        run_worker()
        time.sleep(0.05)
        run_worker()
        assert [recipients for recipients, _ in sink.wait_for(1)] == [["alice@example.org"]]
    assert len(calls) == 2
    assert "working out the notifications of event" in caplog.text and "database went away" in caplog.text


def test_sms_goes_to_the_gateway_over_smtp(transactional_db, source_system, source_client):
    from tests.notificationprofile.factories import SMSDestinationFactory

    user = EndUserFactory(username="carol", email="")
    profile = NotificationProfileFactory(
        user=user,
        filters=[FilterFactory(user=user, filter={"sourceSystemIds": [source_system.pk]})],
        destinations=[SMSDestinationFactory(user=user, settings={"phone_number": "+4747470001"})],
    )
    TimeRecurrenceFactory(timeslot=profile.timeslot)
    port = free_port()
    with SMTPSink(port) as sink, smtp_settings(port), override_settings(SMS_GATEWAY_ADDRESS="gw@sms.example"):
        post_incident(source_client, description="disk full")
        ((recipients, message),) = sink.wait_for(1)
    assert recipients == ["gw@sms.example"]
    assert message["Subject"] == "sms +4747470001"
    assert message.get_content().strip() == "disk full"
    assert not message.is_multipart()


def test_the_messages_of_one_event_share_one_smtp_conversation(subscriber, source_system, source_client):
    add_subscriber(source_system, "bob")
    port = free_port()
    sink = counting_sink(port)
    with sink, smtp_settings(port), DB_TASKS:
        post_incident(source_client)
        run_worker()
        received = sorted(recipients[0] for recipients, _ in sink.wait_for(2))
    assert received == ["alice@example.org", "bob@example.org"]
    assert sink.handler.conversations == 1


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "no-pipelining"])
@pytest.mark.parametrize("refusal", ["recipient", "data"])
def test_after_a_refusal_the_next_messages_still_go(
    subscriber, source_system, source_client, pipelining, refusal
):
    """The first address (alice) is refused: it is retried alone, bob and carol get theirs now."""
    add_subscriber(source_system, "bob")
    add_subscriber(source_system, "carol")
    port = free_port()
    if refusal == "recipient":
        sink = counting_sink(port, refuse=("alice@",), pipelining=pipelining)
    else:
        sink = counting_sink(port, reject_data=("alice@",), pipelining=pipelining)
    with sink, smtp_settings(port), DB_TASKS:
        post_incident(source_client)
        run_worker()
        received = sorted(recipients[0] for recipients, _ in sink.wait_for(2))
        assert received == ["bob@example.org", "carol@example.org"]
    assert list(Delivery.objects.filter(state="pending").values_list("address", flat=True)) == [
        "alice@example.org"
    ]
