"""The whole pipeline in-process: services → after commit → task → matching → media (locmem mail)."""

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from argus.incident import services
from argus.incident.models import Event
from argus.notificationprofile import dispatch
from argus.notificationprofile.models import DestinationConfig, NotificationProfile
from argus.notificationprofile.tasks import dispatch_event
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
        incident = services.incident_create(actor=source.user, source=source, start_time=timezone.now())
    assert mail.outbox == []
    assert not any(getattr(c, "__qualname__", "").startswith("enqueue") for c in callbacks)
    assert dispatch_event.enqueue(incident.events.get().pk).return_value == 0


@override_settings(TASKS={"default": {"BACKEND": "no.such.TaskBackend"}})
def test_enqueue_errors_are_logged_not_raised(caplog):
    assert dispatch.enqueue_now([1, 2]) == 0
    assert "could not enqueue dispatch of event 1" in caplog.text


def test_a_deleted_event_is_skipped(db, caplog):
    assert dispatch_event.enqueue(987654).return_value == 0
    assert "no longer exists" in caplog.text


def test_module_level_api_of_1_37(worked_example, source):
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
    send_notifications_to_users(event)  # through the (immediate) task queue
    assert recipients() == ["a", "b", "c", "d"]


DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@override_settings(TASKS=DATABASE_TASKS)
def test_database_queue_enqueues_in_the_events_own_transaction(source, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        incident = services.incident_create(actor=source.user, source=source, start_time=timezone.now())
    # Written before commit (no on_commit hook needed), one task for the STA event.
    assert not any("enqueue" in getattr(c, "__qualname__", "") for c in callbacks)
    (task,) = DBTaskResult.objects.all()
    assert task.args_kwargs["args"] == [incident.events.get().pk]


@override_settings(TASKS=DATABASE_TASKS)
def test_database_queue_rolls_back_with_the_event(source):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    with pytest.raises(RuntimeError), transaction.atomic():
        services.incident_create(actor=source.user, source=source, start_time=timezone.now())
        raise RuntimeError
    assert not DBTaskResult.objects.exists()


COMPARED_FIELDS = [
    "status",
    "priority",
    "task_path",
    "queue_name",
    "backend_name",
    "run_after",
    "worker_ids",
    "return_value",
    "exception_class_path",
    "traceback",
    "started_at",
    "finished_at",
]


@override_settings(TASKS=DATABASE_TASKS)
def test_written_task_rows_are_what_enqueue_writes(db):
    from django_tasks_db.models import DBTaskResult

    enqueued = dispatch_event.enqueue(41).id
    dispatch.write_dispatch_tasks(dispatch_event.get_backend(), [42])
    by_args = {row.args_kwargs["args"][0]: row for row in DBTaskResult.objects.all()}
    assert str(by_args[41].pk) == enqueued and by_args[42].pk != by_args[41].pk
    for field in COMPARED_FIELDS:
        assert getattr(by_args[42], field) == getattr(by_args[41], field), field
    assert by_args[42].args_kwargs == {"args": [42], "kwargs": {}}
    assert by_args[42].enqueued_at is not None
    assert by_args[42].task_result.task.func is dispatch_event.func  # readable by db_worker


@override_settings(TASKS=DATABASE_TASKS, SEND_NOTIFICATIONS=True)
@pytest.mark.parametrize("count", [1, 5])
def test_a_change_with_many_events_writes_its_tasks_in_one_insert(db, source, count):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django_tasks_db.models import DBTaskResult

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        dispatch.enqueue_after_commit(list(range(1, count + 1)))
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1 and "dbtaskresult" in inserts[0]
    assert sorted(row.args_kwargs["args"][0] for row in DBTaskResult.objects.all()) == list(
        range(1, count + 1)
    )
