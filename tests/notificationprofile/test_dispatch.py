"""The whole pipeline in-process: services → after commit → task → matching → media (locmem mail)."""

import datetime

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from argus.incident import services
from argus.incident.models import Event
from argus.notificationprofile import dispatch
from argus.notificationprofile.models import Delivery, DestinationConfig, NotificationProfile, PendingEvent
from argus.notificationprofile.tasks import process_notifications
from tests.factories import EndUserFactory, IncidentFactory, SourceSystemFactory
from tests.notificationprofile.factories import (
    FilterFactory,
    NotificationProfileFactory,
    TimeRecurrenceFactory,
)


def subscribe(username, blob):
    user = EndUserFactory(username=username, email=f"{username}@example.org")
    profile = NotificationProfileFactory(
        user=user,
        filters=[FilterFactory(user=user, filter=blob)],
        destinations=[DestinationConfig.objects.get(user=user, settings__synced=True)],
    )
    TimeRecurrenceFactory(timeslot=profile.timeslot)
    return profile


def recipients():
    names = sorted(message.to[0].split("@")[0] for message in mail.outbox)
    mail.outbox.clear()
    return names


@pytest.fixture
def source(db):
    return SourceSystemFactory()


@pytest.fixture
def worked_example(source):
    subscribe("a", {"sourceSystemIds": [source.pk]})
    subscribe("b", {"sourceSystemIds": [source.pk], "event_types": ["STA", "END", "CLO"]})
    subscribe("c", {"acked": False, "sourceSystemIds": [source.pk]})
    subscribe("d", {"open": True, "sourceSystemIds": [source.pk]})


def test_worked_example_of_the_spec_with_false_meaning_false(
    worked_example, source, django_capture_on_commit_callbacks
):
    """notifications.md §12.8, with the §16 differences (``acked: false`` is honoured)."""
    user = EndUserFactory()
    steps = []
    with django_capture_on_commit_callbacks(execute=True):
        incident = services.incident_create(
            actor=source.user, source=source, start_time=timezone.now(), description="x"
        )
    steps.append(("STA", recipients()))
    with django_capture_on_commit_callbacks(execute=True):
        services.event_create(incident=incident, actor=user, type=Event.Type.OTHER, description="note")
    steps.append(("OTH", recipients()))
    with django_capture_on_commit_callbacks(execute=True):
        services.acknowledgement_create(incident=incident, actor=user, description="mine")
    steps.append(("ACK", recipients()))
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_update(incident=incident, actor=user, data={"level": 2})
    steps.append(("CHI", recipients()))
    with django_capture_on_commit_callbacks(execute=True):
        services.event_create(incident=incident, actor=source.user, type=Event.Type.INCIDENT_END)
    steps.append(("END", recipients()))
    with django_capture_on_commit_callbacks(execute=True):
        services.event_create(incident=incident, actor=user, type=Event.Type.REOPEN)
    steps.append(("REO", recipients()))
    with django_capture_on_commit_callbacks(execute=True):
        services.event_create(incident=incident, actor=user, type=Event.Type.CLOSE)
    steps.append(("CLO", recipients()))
    NotificationProfile.objects.update(active=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.event_create(incident=incident, actor=user, type=Event.Type.REOPEN)
    steps.append(("inactive", recipients()))
    assert steps == [
        ("STA", ["a", "b", "c", "d"]),
        ("OTH", ["a", "c", "d"]),
        ("ACK", ["a", "d"]),  # the incident is acked now: c's acked:false excludes it
        ("CHI", []),
        ("END", ["a", "b"]),
        ("REO", ["a", "d"]),
        ("CLO", ["a", "b"]),
        ("inactive", []),
    ]


def test_bulk_events_notify_one_message_per_event(worked_example, source, django_capture_on_commit_callbacks):
    incidents = [IncidentFactory(source=source) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        services.bulk_event_create(
            incidents=incidents, actor=EndUserFactory(), type=Event.Type.CLOSE, timestamp=timezone.now()
        )
    assert recipients() == ["a"] * 3 + ["b"] * 3 + ["c"] * 3


def test_profiles_sharing_an_address_get_one_mail(source, django_capture_on_commit_callbacks):
    first = subscribe("shared", {"sourceSystemIds": [source.pk]})
    second = NotificationProfileFactory(
        user=first.user,
        timeslot=first.timeslot,
        filters=[FilterFactory(user=first.user, filter={"maxlevel": 5})],
    )
    second.destinations.set(first.destinations.all())
    other = EndUserFactory(email="other@example.org")
    third = NotificationProfileFactory(
        user=other, timeslot=first.timeslot, filters=[FilterFactory(user=other, filter={"maxlevel": 5})]
    )
    third.destinations.set(
        [
            DestinationConfig.objects.create(
                user=other,
                media_id="email",
                settings={"email_address": "shared@example.org", "synced": False},
            )
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_create(actor=source.user, source=source, start_time=timezone.now())
    assert recipients() == ["shared"]


def test_rolled_back_changes_do_not_notify(worked_example, source, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            from django.db import transaction

            with transaction.atomic():
                services.incident_create(actor=source.user, source=source, start_time=timezone.now())
                raise RuntimeError
    assert callbacks == [] and mail.outbox == []


@override_settings(SEND_NOTIFICATIONS=False)
def test_the_gate_stops_everything(worked_example, source, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.incident_create(actor=source.user, source=source, start_time=timezone.now())
    assert mail.outbox == []
    assert dispatch.wake_workers not in callbacks
    assert not PendingEvent.objects.exists() and not Delivery.objects.exists()


def test_every_message_is_in_the_delivery_log(worked_example, source, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = services.incident_create(actor=source.user, source=source, start_time=timezone.now())
    event = incident.events.get()
    log = Delivery.objects.filter(event=event).order_by("address")
    assert [(d.medium, d.address, d.recipients, d.state, d.attempts) for d in log] == [
        ("email", f"{name}@example.org", name, "sent", 1) for name in "abcd"
    ]
    assert all(d.sent_at is not None and d.due_at is None and d.last_error == "" for d in log)
    assert not PendingEvent.objects.exists()
    # Each mail carries its delivery's id, so receivers can drop a repeated one.
    by_address = {message.to[0]: message.extra_headers["Message-ID"] for message in mail.outbox}
    assert by_address == {d.address: f"<{d.message_id}@argus.example>" for d in log} or by_address == {
        d.address: f"<{d.message_id}@localhost>" for d in log
    }


@override_settings(TASKS={"default": {"BACKEND": "no.such.TaskBackend"}})
def test_a_wake_up_that_cannot_be_enqueued_is_logged_and_the_record_stays(
    source, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = services.incident_create(actor=source.user, source=source, start_time=timezone.now())
    assert "could not enqueue a notification run" in caplog.text
    assert list(PendingEvent.objects.values_list("event_id", flat=True)) == [incident.events.get().pk]


def test_a_run_with_nothing_due_does_nothing(db):
    assert process_notifications.enqueue().return_value == 0


def test_a_deleted_event_takes_its_records_along(worked_example, source):
    with override_settings(SEND_NOTIFICATIONS=True, TASKS=DATABASE_TASKS):
        incident = services.incident_create(actor=source.user, source=source, start_time=timezone.now())
    assert PendingEvent.objects.count() == 1
    services.incident_delete(incident=incident)
    assert not PendingEvent.objects.exists()


def test_module_level_api_of_1_37(worked_example, source, django_capture_on_commit_callbacks):
    from argus.notificationprofile.media import (
        find_destinations_for_event,
        send_notification,
        send_notifications_to_users,
    )

    event = IncidentFactory(source=source).events.create(
        actor=source.user, timestamp=timezone.now(), type=Event.Type.INCIDENT_START
    )
    destinations = find_destinations_for_event(event)
    assert sorted(d.settings["email_address"] for d in destinations) == [
        "a@example.org",
        "b@example.org",
        "c@example.org",
        "d@example.org",
    ]
    send_notification(destinations[:1], event)
    assert recipients() == ["a"]
    send_notifications_to_users(event, send=send_notification)
    assert recipients() == ["a", "b", "c", "d"]
    with django_capture_on_commit_callbacks(execute=True):
        send_notifications_to_users(event)  # through the records and the (immediate) task queue
    assert recipients() == ["a", "b", "c", "d"]


DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def database_queue(settings):
    settings.TASKS = DATABASE_TASKS
    settings.NOTIFICATION_BATCH_WINDOW = 0.5
    dispatch.forget_wake_up()
    yield
    dispatch.forget_wake_up()


def test_the_request_writes_one_small_row_per_event_in_its_own_transaction(
    database_queue, source, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_tasks_db.models import DBTaskResult

    incidents = [IncidentFactory(source=source) for _ in range(3)]
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        CaptureQueriesContext(connection) as queries,
    ):
        services.bulk_event_create(
            incidents=incidents, actor=source.user, type=Event.Type.CLOSE, timestamp=timezone.now()
        )
    inserts = [q["sql"] for q in queries.captured_queries if "pendingevent" in q["sql"]]
    assert len(inserts) == 1 and inserts[0].startswith("INSERT")
    assert PendingEvent.objects.count() == 3
    assert not DBTaskResult.objects.exists()  # the workers are woken after the commit
    assert dispatch.wake_workers in callbacks


def test_a_rolled_back_change_leaves_no_record(database_queue, source):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        services.incident_create(actor=source.user, source=source, start_time=timezone.now())
        raise RuntimeError
    assert not PendingEvent.objects.exists()


def test_one_wake_up_per_window_however_many_commits(
    database_queue, source, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    before = timezone.now()
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            services.incident_create(actor=source.user, source=source, start_time=timezone.now())
    (run,) = DBTaskResult.objects.all()
    assert run.task_path == process_notifications.module_path
    assert run.run_after >= before + datetime.timedelta(seconds=0.5)  # after every commit it covers
    assert PendingEvent.objects.count() == 5


def test_without_a_window_every_commit_wakes_the_workers(
    database_queue, settings, source, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    settings.NOTIFICATION_BATCH_WINDOW = 0
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.incident_create(actor=source.user, source=source, start_time=timezone.now())
    assert DBTaskResult.objects.count() == 2
