"""Worker CPU per event, measured in-process: what one notification costs the worker and PostgreSQL.

    python bench/worker_cpu.py [--events 1000] [--mails 1] [--batch 50] [--profile]
                               [--maintenance-tasks 200 --current-tasks 10]

Creates a fresh PostgreSQL database (``--database-prefix``, 127.0.0.1:5432, user postgres), seeds
``--users`` users with one profile each (tag filter ``bench_group=g<n>``, their synced email
destination), records ``--events`` incidents whose events wait for a worker (``--mails``
recipients each) through the incident services, as a request would, then works them off in this
process with :func:`argus.notificationprofile.tasks.process_batch` (the code a ``db_worker`` runs)
against the bench's lean SMTP sink in another process. Prints one JSON line: events/s and CPU
milliseconds per event of this process (the worker) and of PostgreSQL; ``--profile`` adds the
top functions by cumulative time. The database is dropped at the end.

``--maintenance-tasks N --current-tasks K`` adds N planned maintenance tasks, K of them current
(the rest over the past year), each with two filters that cover none of the bench's incidents:
every event is still mailed, and the worker pays for the silencing check (the tasks holding each
batch's timestamps, their links, coverage in memory) on every event.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from bench.notifications import SinkProcess, free_ports, postgres_pids, process_cpu  # noqa: E402


def admin_sql(sql: str) -> None:
    import psycopg2

    connection = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--mails", type=int, default=1, help="recipients per event")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--batch", type=int, default=50, help="NOTIFICATION_BATCH_SIZE")
    parser.add_argument("--database-prefix", default="argus_notifengine_bench")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--maintenance-tasks", type=int, default=0, help="planned maintenance tasks")
    parser.add_argument("--current-tasks", type=int, default=0, help="how many of them are current")
    args = parser.parse_args(argv)

    db_name = f"{args.database_prefix}_{secrets.token_hex(4)}"
    (smtp_port,) = free_ports(1)
    sink = SinkProcess(smtp_port)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="argus.site.settings.prod",
        SECRET_KEY=secrets.token_hex(32),
        ARGUS_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{db_name}",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_USE_TLS="false",
        DEFAULT_FROM_EMAIL="argus@bench.example",
        ARGUS_SEND_NOTIFICATIONS="on",
        ARGUS_NOTIFICATION_BATCH_SIZE=str(args.batch),
        DJANGO_LOGGING_MODULE="",
    )
    admin_sql(f'CREATE DATABASE "{db_name}"')
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        sink.start()
        record = run(args, sink)
    finally:
        sink.stop()
        from django.db import connections

        connections.close_all()
        admin_sql(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    print(json.dumps(record), flush=True)
    return 0


def run(args, sink) -> dict:
    from django.utils import timezone

    from argus.auth.models import User
    from argus.incident import services
    from argus.incident.models import SourceSystem, SourceSystemType
    from argus.notificationprofile import tasks
    from argus.notificationprofile.models import DestinationConfig, Filter, NotificationProfile, Timeslot

    groups = max(1, args.users // args.mails)
    for n in range(args.users):
        user = User.objects.create_user(f"bench_user{n}", email=f"bench_user{n}@bench.example")
        profile = NotificationProfile.objects.create(user=user, timeslot=Timeslot.objects.get(user=user))
        profile.filters.set(
            [Filter.objects.create(user=user, name="g", filter={"tags": [f"bench_group=g{n % groups}"]})]
        )
        profile.destinations.set([DestinationConfig.objects.get(user=user, settings__synced=True)])
    source_user = User.objects.create_user("bench_source")
    source = SourceSystem.objects.create(
        name="bench", type=SourceSystemType.objects.create(name="bench"), user=source_user
    )
    add_maintenance_tasks(args.maintenance_tasks, args.current_tasks)
    for n in range(args.events):
        services.incident_create(
            actor=source_user,
            source=source,
            start_time=timezone.now(),
            description=f"nb-cpu-{n}",
            tags=[f"bench_group=g{n % groups}"],
        )
    expected = args.events * args.mails
    tasks.process_batch()  # warm up: matching tables, templates, the SMTP connection code
    warm = sink.count()

    profiler = cProfile.Profile() if args.profile else None
    postgres_before = {pid: process_cpu(pid) for pid in postgres_pids()}
    cpu_before, started = time.process_time(), time.monotonic()
    if profiler:
        profiler.enable()
    while tasks.process_batch():
        pass
    if profiler:
        profiler.disable()
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu_before
    postgres = sum(max(0.0, process_cpu(pid) - postgres_before.get(pid, 0.0)) for pid in postgres_pids())
    deadline = time.monotonic() + 30
    while sink.count() < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    events = args.events - warm // max(args.mails, 1)
    record = {
        "workload": "worker-cpu",
        "events": events,
        "mails_per_event": args.mails,
        "mails_received": sink.count(),
        "mails_expected": expected,
        "batch": args.batch,
        "events_per_s": round(events / elapsed, 1),
        "worker_cpu_ms_per_event": round(cpu * 1000 / events, 3),
        "postgres_cpu_ms_per_event": round(postgres * 1000 / events, 3),
        "maintenance_tasks": args.maintenance_tasks,
        "current_tasks": args.current_tasks,
    }
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
        record["profile"] = out.getvalue()
    return record


def add_maintenance_tasks(total: int, current: int) -> None:
    """``total`` tasks, ``current`` of them current, covering none of the bench's incidents."""
    import datetime

    from django.utils import timezone

    from argus.auth.models import User
    from argus.notificationprofile.models import Filter
    from argus.plannedmaintenance.models import PlannedMaintenanceTask

    if not total:
        return
    owner = User.objects.create_user("bench_maintenance", is_staff=True)
    now = timezone.now()
    for n in range(total):
        if n < current:
            start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=1)
        else:
            start = now - datetime.timedelta(days=365 * (n + 1) / total, hours=6)
            end = start + datetime.timedelta(hours=4)
        task = PlannedMaintenanceTask.objects.create(created_by=owner, start_time=start, end_time=end)
        task.filters.set(
            [
                Filter.objects.create(user=owner, name=f"m{n}a", filter={"tags": [f"location=site{n}"]}),
                Filter.objects.create(user=owner, name=f"m{n}b", filter={"maxlevel": 3}),
            ]
        )


if __name__ == "__main__":
    sys.exit(main())
