"""The worker (argus.notificationprofile.tasks): batches, follow-up runs, leases kept while sending,
and what it records when a delivery cannot be made."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from argus.incident import services
from argus.notificationprofile import deliveries, tasks
from argus.notificationprofile.media.base import NotificationMedium, PermanentFailure, RetryLater
from argus.notificationprofile.models import Delivery, Media, PendingEvent
from argus.notificationprofile.tasks import process_notifications
from tests.notificationprofile.delivery import add_subscriber
from tests.notificationprofile.factories import DeliveryFactory, DestinationConfigFactory

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def queued_runs():
    from django_tasks_db.models import DBTaskResult

    return list(DBTaskResult.objects.filter(status="READY").values_list("run_after", flat=True))


@pytest.fixture
def alice(source_system):
    return add_subscriber(source_system, "alice")


def record_incidents(source, count):
    """Incidents whose events wait for a worker (no worker woken)."""
    for n in range(count):
        services.incident_create(
            actor=source.user, source=source, start_time=timezone.now(), description=f"i{n}"
        )


def test_a_backlog_is_worked_off_in_a_loop_by_the_immediate_backend(alice, source_system, settings):
    settings.NOTIFICATION_BATCH_SIZE = 2
    record_incidents(source_system, 5)
    assert process_notifications.enqueue().return_value == 5
    assert len(mail.outbox) == 5 and not PendingEvent.objects.exists()


def test_a_full_batch_enqueues_the_next_run_for_another_worker(alice, source_system, settings):
    settings.TASKS = DATABASE_TASKS
    settings.NOTIFICATION_BATCH_SIZE = 2
    record_incidents(source_system, 3)
    assert tasks.process_batch() == 2
    assert len(queued_runs()) == 1 and PendingEvent.objects.count() == 1


class RefusingBackend:
    """A mail backend whose relay refuses every message."""

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")


class UnreachableBackend(RefusingBackend):
    """A mail backend whose relay cannot be reached; counts the tries."""

    opened = []

    def open(self):
        self.opened.append(1)
        raise TimeoutError("timed out")


def test_a_failed_attempt_enqueues_a_run_for_when_the_retry_is_due(db, settings):
    settings.TASKS = DATABASE_TASKS
    settings.EMAIL_BACKEND = "tests.notificationprofile.test_tasks.RefusingBackend"
    destination = DestinationConfigFactory()
    delivery = DeliveryFactory(
        address=destination.settings["email_address"], destination_ids=[destination.pk]
    )
    tasks.process_batch()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert delivery.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"
    assert queued_runs() == [delivery.due_at]


class ScriptedMedium(NotificationMedium):
    """Raises what ``ScriptedMedium.outcome`` says, and remembers what the worker passed."""

    MEDIA_SLUG = "scripted"
    MEDIA_NAME = "Scripted"
    ACCEPTS_MESSAGE_ID = True
    ACCEPTS_ATTEMPT = True
    outcome: Exception | None = None
    calls: list = []

    @classmethod
    def validate(cls, instance, dict, user):
        return dict["settings"]

    @classmethod
    def has_duplicate(cls, queryset, settings):
        return False

    @staticmethod
    def get_label(destination):
        return "scripted"

    @classmethod
    def send(cls, event, destinations, **kwargs):
        cls.calls.append(kwargs)
        if cls.outcome is not None:
            raise cls.outcome
        return True


@pytest.fixture
def scripted(db, settings):
    settings.MEDIA_PLUGINS = [*settings.MEDIA_PLUGINS, f"{__name__}.ScriptedMedium"]
    settings.NOTIFICATION_RETRY_DELAY = 10
    settings.NOTIFICATION_MAX_RETRY_DELAY = 600
    media = Media.objects.create(slug="scripted", name="Scripted")
    destination = DestinationConfigFactory(media=media, settings={"to": "x"})
    ScriptedMedium.calls = []
    return DeliveryFactory(
        medium="scripted", address=ScriptedMedium.get_address(destination), destination_ids=[destination.pk]
    )


def test_a_medium_saying_retry_later_is_retried_not_before_the_wait_it_asked(scripted):
    ScriptedMedium.outcome = RetryLater("HTTP 503", retry_after=120)
    tasks.process_batch()
    scripted.refresh_from_db()
    assert (scripted.state, scripted.last_error) == ("pending", "HTTP 503")
    assert (scripted.due_at - scripted.last_attempt_at).total_seconds() == pytest.approx(120, abs=1)
    assert ScriptedMedium.calls == [{"message_id": str(scripted.message_id), "attempt": 1}]


def test_a_medium_saying_permanent_failure_is_not_retried(scripted, caplog):
    ScriptedMedium.outcome = PermanentFailure("HTTP 404")
    tasks.process_batch()
    scripted.refresh_from_db()
    assert (scripted.state, scripted.attempts, scripted.last_error, scripted.due_at) == (
        "failed",
        1,
        "HTTP 404",
        None,
    )
    assert f"delivery {scripted.message_id}, destination(s) {scripted.destination_ids}" in caplog.text


def test_a_medium_is_told_which_attempt_it_makes(scripted):
    ScriptedMedium.outcome = None
    Delivery.objects.filter(pk=scripted.pk).update(attempts=2)
    tasks.process_batch()
    assert ScriptedMedium.calls == [{"message_id": str(scripted.message_id), "attempt": 3}]


def test_a_medium_that_is_not_installed_fails_the_delivery_for_good(db):
    delivery = DeliveryFactory(medium="fax")
    tasks.process_batch()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.last_error) == ("failed", "The medium 'fax' is not installed.")


def test_a_medium_that_sends_nothing_fails_the_delivery_for_good(db, settings):
    from tests.notificationprofile.factories import SMSDestinationFactory

    settings.SMS_GATEWAY_ADDRESS = None
    destination = SMSDestinationFactory(settings={"phone_number": "+4747470001"})
    delivery = DeliveryFactory(medium="sms", address="+4747470001", destination_ids=[destination.pk])
    tasks.process_batch()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.last_error) == (
        "failed",
        "The medium sent nothing (see the worker's log).",
    )


def test_when_the_relay_cannot_be_reached_every_mail_of_the_batch_fails_at_once(
    alice, source_system, settings
):
    settings.EMAIL_BACKEND = "tests.notificationprofile.test_tasks.UnreachableBackend"
    UnreachableBackend.opened.clear()
    add_subscriber(source_system, "bob")
    add_subscriber(source_system, "carol")
    record_incidents(source_system, 1)
    tasks.process_batch()
    assert len(UnreachableBackend.opened) == 1  # one try for the batch, not one timeout per mail
    assert [(d.state, d.attempts, d.last_error) for d in Delivery.objects.all()] == [
        ("pending", 1, "TimeoutError: timed out")
    ] * 3


def test_a_slow_batch_keeps_its_lease(alice, source_system, settings, monkeypatch):
    settings.NOTIFICATION_LEASE = 30
    add_subscriber(source_system, "bob")
    record_incidents(source_system, 1)
    clock = [1000.0]
    monkeypatch.setattr(tasks.time, "monotonic", lambda: clock[0])
    real_send = tasks.send_one
    renewed = []

    def slow_send(item, *args):
        clock[0] += 20  # every mail takes 20 s: the lease (30 s) is renewed after the first
        renewed.append(Delivery.objects.get(pk=item.delivery.pk).due_at)
        real_send(item, *args)

    monkeypatch.setattr(tasks, "send_one", slow_send)
    tasks.process_batch()
    assert len(mail.outbox) == 2
    assert renewed[1] > renewed[0]


def test_a_worker_that_lost_its_lease_leaves_the_rest_to_the_new_holder(
    alice, source_system, settings, monkeypatch
):
    settings.NOTIFICATION_LEASE = 30
    add_subscriber(source_system, "bob")
    record_incidents(source_system, 1)
    clock = [1000.0]
    monkeypatch.setattr(tasks.time, "monotonic", lambda: clock[0])
    real_send = tasks.send_one

    def stalled_send(item, *args):
        real_send(item, *args)
        clock[0] += 60  # stalled past the lease: another worker takes the rest meanwhile
        deliveries.claim_due_deliveries(10, now=timezone.now() + datetime.timedelta(seconds=31))

    monkeypatch.setattr(tasks, "send_one", stalled_send)
    assert tasks.process_batch() == 1
    assert [message.to for message in mail.outbox] == [["alice@example.org"]]
    bob = Delivery.objects.get(address="bob@example.org")
    assert (bob.state, bob.attempts) == ("pending", 2)  # the other worker's now
