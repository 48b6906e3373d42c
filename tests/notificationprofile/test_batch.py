"""One running dispatch task takes the dispatch tasks queued beside it (``notificationprofile.batch``).

Through the database task backend and ``db_worker``, as in production, with a real SMTP sink.
"""

import datetime

import pytest
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from argus.incident import services
from argus.incident.models import Event
from argus.notificationprofile import tasks
from argus.notificationprofile.matching import destinations_for_event, destinations_for_events, load_event
from argus.notificationprofile.media.rendering import prefetch_search_texts, search_text_before
from argus.notificationprofile.models import DestinationConfig
from tests.factories import EndUserFactory, SourceSystemFactory
from tests.notificationprofile.delivery import (
    DB_TASKS,
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


def run_one_task():
    run_worker(max_tasks=1)


def post_incidents(client, count):
    return [post_incident(client, f"outage {n}", source_incident_id=f"batch-{n}") for n in range(count)]


def test_one_dispatch_takes_the_events_queued_beside_it(subscriber, source_system, source_client):
    port = free_port()
    sink = counting_sink(port)
    with sink, smtp_settings(port), DB_TASKS:
        post_incidents(source_client, 4)
        assert DBTaskResult.objects.filter(status="READY").count() == 4
        run_one_task()
        messages = sink.wait_for(4)
    subjects = sorted(message["Subject"].split(":")[1].split(",")[0].strip() for _, message in messages)
    assert subjects == ["outage 0", "outage 1", "outage 2", "outage 3"]
    assert sink.handler.conversations == 1
    results = list(DBTaskResult.objects.all())
    assert {result.status for result in results} == {"SUCCESSFUL"}
    assert [result.return_value for result in results] == [1, 1, 1, 1]
    assert all(result.started_at and result.finished_at for result in results)
    (worker_ids,) = {tuple(result.worker_ids) for result in results}
    assert len(worker_ids) == 1  # the worker that ran the batch, as db_worker records it


def test_each_claimed_task_finishes_with_its_own_events_count(subscriber, source_system):
    bob = EndUserFactory(username="bob", email="bob@example.org")
    profile = NotificationProfileFactory(
        user=bob,
        filters=[FilterFactory(user=bob, filter={"sourceSystemIds": [source_system.pk], "maxlevel": 1})],
        destinations=[DestinationConfig.objects.get(user=bob, settings__synced=True)],
    )
    TimeRecurrenceFactory(timeslot=profile.timeslot)
    port = free_port()
    with counting_sink(port) as sink, smtp_settings(port), DB_TASKS:
        levels = {}
        for level in (1, 3):
            incident = services.incident_create(
                actor=source_system.user, source=source_system, start_time=timezone.now(), level=level
            )
            levels[incident.pk] = level
        run_one_task()
        sink.wait_for(3)
    returned = {
        levels[Event.objects.get(pk=result.args_kwargs["args"][0]).incident_id]: result.return_value
        for result in DBTaskResult.objects.all()
    }
    assert returned == {1: 2, 3: 1}


def test_a_dispatch_that_found_few_looks_again_after_the_window(subscriber, source_client, monkeypatch):
    from argus.notificationprofile import batch

    naps = []

    def nap(seconds):  # an event arrives while the first dispatch waits
        naps.append(seconds)
        post_incident(source_client, "arrived meanwhile", source_incident_id="late")

    monkeypatch.setattr(batch.time, "sleep", nap)
    port = free_port()
    sink = counting_sink(port)
    with sink, smtp_settings(port), DB_TASKS, override_settings(NOTIFICATION_BATCH_WINDOW=0.25):
        post_incidents(source_client, 2)
        run_one_task()
        messages = sink.wait_for(3)
    assert naps == [0.25]
    assert len(messages) == 3 and sink.handler.conversations == 1
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_a_full_batch_does_not_wait(subscriber, source_client, monkeypatch):
    from argus.notificationprofile import batch

    monkeypatch.setattr(batch.time, "sleep", lambda seconds: pytest.fail("a full batch waited"))
    port = free_port()
    with counting_sink(port) as sink, smtp_settings(port), DB_TASKS:
        with override_settings(NOTIFICATION_BATCH_SIZE=2, NOTIFICATION_BATCH_WINDOW=5):
            post_incidents(source_client, 2)
            run_one_task()
        assert len(sink.wait_for(2)) == 2


def test_the_batch_size_bounds_what_one_task_takes(subscriber, source_client):
    port = free_port()
    with (
        counting_sink(port) as sink,
        smtp_settings(port),
        DB_TASKS,
        override_settings(NOTIFICATION_BATCH_SIZE=2),
    ):
        post_incidents(source_client, 5)
        run_one_task()
        assert len(sink.wait_for(2)) == 2
        assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2
        assert DBTaskResult.objects.filter(status="READY").count() == 3
        run_worker()
        assert len(sink.wait_for(5)) == 5
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_only_ready_dispatch_tasks_of_the_queue_are_taken(subscriber, source_client):
    port = free_port()
    with counting_sink(port) as sink, smtp_settings(port), DB_TASKS:
        first, later = post_incidents(source_client, 2)
        later_event = Event.objects.get(incident_id=later)
        # Not yet due, another task, another queue: none of them is the running task's to take.
        DBTaskResult.objects.filter(args_kwargs__args=[later_event.pk]).delete()
        not_due = tasks.dispatch_event.using(run_after=timezone.now() + datetime.timedelta(hours=1)).enqueue(
            later_event.pk
        )
        other_task = tasks.deliver.enqueue(later_event.pk, "email", [])
        with override_settings(
            TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "other"]}}
        ):
            other_queue = tasks.dispatch_event.using(queue_name="other").enqueue(later_event.pk)
            run_one_task()
        assert len(sink.wait_for(1)) == 1
    statuses = {str(pk): status for pk, status in DBTaskResult.objects.values_list("id", "status")}
    assert statuses.pop(not_due.id) == "READY"
    assert statuses.pop(other_task.id) == "READY"
    assert statuses.pop(other_queue.id) == "READY"
    assert list(statuses.values()) == ["SUCCESSFUL"]


def test_a_queued_task_with_unreadable_arguments_is_left_to_db_worker(subscriber, source_client, caplog):
    port = free_port()
    with counting_sink(port) as sink, smtp_settings(port), DB_TASKS:
        post_incident(source_client)
        unreadable = tasks.dispatch_event.enqueue("not an event id")
        run_one_task()
        assert len(sink.wait_for(1)) == 1
        assert DBTaskResult.objects.get(pk=unreadable.id).status == "READY"
        run_one_task()
    # ... which runs it alone, as before batching: the lookup fails and is logged and retried.
    assert DBTaskResult.objects.get(pk=unreadable.id).status == "SUCCESSFUL"
    assert "matching event not an event id failed" in caplog.text


def test_when_the_claim_fails_the_running_task_still_sends_its_event(
    subscriber, source_client, monkeypatch, caplog
):
    from argus.notificationprofile import batch

    def unreachable(*args):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(batch, "claim_queued_dispatches", unreachable)
    port = free_port()
    with counting_sink(port) as sink, smtp_settings(port), DB_TASKS:
        post_incidents(source_client, 2)
        run_one_task()
        assert len(sink.wait_for(1)) == 1
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == ["READY", "SUCCESSFUL"]
    assert "could not take the queued dispatch tasks" in caplog.text


def test_a_batch_that_raises_fails_every_task_it_claimed(subscriber, source_client, monkeypatch):
    def broken(pairs):
        raise RuntimeError("worker bug")

    monkeypatch.setattr(tasks, "dispatch_events", broken)
    with smtp_settings(free_port()), DB_TASKS:
        post_incidents(source_client, 3)
        run_one_task()
    results = list(DBTaskResult.objects.all())
    assert {result.status for result in results} == {"FAILED"}
    assert {result.exception_class_path for result in results} == {"builtins.RuntimeError"}
    assert all("worker bug" in result.traceback for result in results)


def test_when_matching_fails_each_event_is_retried_on_its_own(subscriber, source_client, monkeypatch, caplog):
    real = tasks.deliveries_for_events
    calls = []

    def flaky(events):
        calls.append(len(events))
        if len(calls) == 1:
            raise ConnectionError("database went away")
        return real(events)

    monkeypatch.setattr(tasks, "deliveries_for_events", flaky)
    port = free_port()
    with (
        counting_sink(port) as sink,
        smtp_settings(port),
        DB_TASKS,
        override_settings(NOTIFICATION_RETRY_DELAY=0),
    ):
        post_incidents(source_client, 3)
        run_one_task()
        retries = DBTaskResult.objects.filter(status="READY")
        assert sorted(result.args_kwargs["args"][1] for result in retries) == [2, 2, 2]
        assert sink.messages == []
        run_worker()
        assert len(sink.wait_for(3)) == 3
    assert calls[0] == 3
    assert caplog.text.count("database went away") == 3


# --- the batch helpers against their one-event forms ----------------------------------------------


def test_destinations_for_events_is_destinations_for_event_of_each(subscriber, source_system):
    add_subscriber(source_system, "bob")
    elsewhere = SourceSystemFactory()
    for source in (source_system, elsewhere, source_system):
        services.incident_create(actor=source.user, source=source, start_time=timezone.now())
    events = [load_event(pk) for pk in Event.objects.order_by("pk").values_list("pk", flat=True)]
    expected = [[d.pk for d in destinations_for_event(event)] for event in events]
    assert [[d.pk for d in found] for found in destinations_for_events(events)] == expected
    assert len(expected[0]) == 2 and expected[1] == [] and expected[2] == expected[0]


def test_search_texts_of_several_events_are_read_at_once(db, source_system, django_assert_num_queries):
    first = services.incident_create(
        actor=source_system.user, source=source_system, start_time=timezone.now(), description="down"
    )
    second = services.incident_create(
        actor=source_system.user, source=source_system, start_time=timezone.now(), description="slow"
    )
    for incident, note in ((first, "looking"), (second, "rebooted"), (first, "found it")):
        services.event_create(
            incident=incident,
            actor=source_system.user,
            type="OTH",
            description=note,
            timestamp=timezone.now(),
        )
    events = list(Event.objects.order_by("pk"))
    expected = [search_text_before(Event.objects.get(pk=event.pk)) for event in events]
    with django_assert_num_queries(1):
        prefetch_search_texts(events)
    assert [search_text_before(event) for event in events] == expected
    assert expected == ["", "", " down", " slow", " down looking"]
