"""Crash tests: real ``db_worker`` processes SIGKILLed while they hold work, a real SMTP sink that goes
down, the sweep run by ``run_periodic_jobs``; every incident's mail arrives.

PostgreSQL only (the processes share the test database; the SQLite test database lives in memory).
Leases and sweeps are short here (3 s, 1 s) so a dead worker's work is taken again within seconds.
"""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from argus.incident import services
from argus.notificationprofile import dispatch
from argus.notificationprofile.models import Delivery, PendingEvent
from tests.notificationprofile.delivery import add_subscriber, free_port
from tests.notificationprofile.processes import DatabaseProxy, Processes, Relay

pytestmark = [pytest.mark.integration]

LEASE = 3.0
SWEEP = 1.0
#: Generous: a loaded CI machine must not fail these on speed.
DEADLINE = 120.0

DATABASE_QUEUE = override_settings(
    TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}},
    SEND_NOTIFICATIONS=True,
    NOTIFICATION_BATCH_WINDOW=0.1,
)


@pytest.fixture
def postgres(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("the worker processes need a database they can share (PostgreSQL)")


@pytest.fixture
def relay():
    relay = Relay(free_port(), delay=0.01)
    relay.up()
    yield relay
    relay.down()


@pytest.fixture
def processes(postgres, relay, tmp_path):
    running = Processes(tmp_path, relay.port, lease=LEASE, sweep=SWEEP)
    yield running
    running.stop_all()


def create_incidents(source, count: int, prefix: str) -> None:
    """``count`` incidents, each its own transaction, as sources post them (records + wake-ups)."""
    dispatch.forget_wake_up()
    with DATABASE_QUEUE:
        for n in range(count):
            services.incident_create(
                actor=source.user, source=source, start_time=timezone.now(), description=f"{prefix}-{n}"
            )


def wait_until_all_recorded(timeout: float = DEADLINE) -> None:
    """Until no event waits and no delivery is pending: what a killed worker had sent without
    recording it is sent again (after its lease) and recorded, so every copy has arrived."""
    deadline = time.monotonic() + timeout
    while PendingEvent.objects.exists() or Delivery.objects.filter(state=Delivery.State.PENDING).exists():
        assert time.monotonic() < deadline, "deliveries still pending"
        time.sleep(0.1)


def held_deliveries() -> int:
    """Deliveries a worker holds right now (claimed, lease running, outcome not recorded)."""
    return Delivery.objects.filter(state=Delivery.State.PENDING, due_at__gt=timezone.now()).count()


@pytest.mark.parametrize("outage", [False, True], ids=["smtp-up", "smtp-down-20s"])
def test_killing_the_worker_twice_loses_no_mail(source_system, processes, relay, outage):
    add_subscriber(source_system, "alice")
    create_incidents(source_system, 300, "crash")
    processes.periodic_jobs()
    in_flight = 0
    worker = processes.worker("worker1")
    relay.wait_for_tokens(113, DEADLINE)  # not a multiple of the batch: killed mid-batch
    processes.kill(worker)
    in_flight += held_deliveries()
    worker = processes.worker("worker2")
    if outage:
        relay.down()
        time.sleep(20)
        relay.up()
    relay.wait_for_tokens(227, DEADLINE)
    processes.kill(worker)
    in_flight += held_deliveries()
    processes.worker("worker3")
    received = relay.wait_for_tokens(300, DEADLINE)
    wait_until_all_recorded()

    assert received == {f"crash-{n}" for n in range(300)}  # nothing lost
    copies = relay.handler.copies()
    duplicates = sum(len(message_ids) - 1 for message_ids in copies.values())
    print(f"duplicates: {duplicates}, held by the killed workers: {in_flight}")
    assert 0 < in_flight and duplicates <= in_flight
    # A repeated mail is the same message: receivers can drop it by its Message-ID.
    assert all(len(set(message_ids)) == 1 for message_ids in copies.values())
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
    assert Delivery.objects.count() == 300


def test_a_running_worker_takes_over_the_work_of_a_killed_one(source_system, processes, relay):
    relay.handler.delay = 0.2  # the first worker is still sending when it is killed
    add_subscriber(source_system, "alice")
    create_incidents(source_system, 40, "takeover")  # one batch: the first worker takes them all
    processes.periodic_jobs()
    first = processes.worker("first")
    relay.wait_for_tokens(5, DEADLINE)
    second = processes.worker("second")
    processes.wait_for_log("second", "Starting worker")
    processes.kill(first)
    killed_at = timezone.now()
    relay.handler.delay = 0.01
    held = {
        delivery.pk: delivery.due_at
        for delivery in Delivery.objects.filter(state=Delivery.State.PENDING, due_at__gt=killed_at)
    }
    assert held, "the first worker held nothing when it was killed"

    received = relay.wait_for_tokens(40, DEADLINE)
    wait_until_all_recorded()

    assert received == {f"takeover-{n}" for n in range(40)}
    assert second.poll() is None  # the same process, never restarted
    taken_over = Delivery.objects.filter(pk__in=held)
    assert {delivery.state for delivery in taken_over} == {"sent"}
    # Taken again only once the dead worker's lease had run out, never while it was held.
    assert all(delivery.last_attempt_at >= held[delivery.pk] for delivery in taken_over)


def test_workers_get_through_a_database_restart(source_system, postgres, relay, tmp_path):
    """The processes reach PostgreSQL through a proxy that drops every connection for a while."""
    relay.handler.delay = 0.05
    add_subscriber(source_system, "alice")
    create_incidents(source_system, 60, "restart")
    with DatabaseProxy(free_port()) as proxy:
        processes = Processes(tmp_path, relay.port, lease=LEASE, sweep=SWEEP, database_port=proxy.port)
        try:
            processes.periodic_jobs()
            worker = processes.task_worker("worker")
            relay.wait_for_tokens(10, DEADLINE)
            proxy.outage(3)
            received = relay.wait_for_tokens(60, DEADLINE)
            wait_until_all_recorded()
            assert worker.poll() is None  # the same worker, never restarted from outside
        finally:
            processes.stop_all()
    assert received == {f"restart-{n}" for n in range(60)}
    assert "Task worker lost the database" in processes.log("worker")
