"""Planned maintenance tasks for the benchmarks, on a database loaded by ``bench/preload.py``.

    DJANGO_SETTINGS_MODULE=argus.site.settings.prod SECRET_KEY=x \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/argus_bench \\
    python bench/maintenance.py --tasks 200 --current 10 --cover-groups 10

Creates ``--tasks`` tasks through the services' models (owner ``bench_maintenance``, staff), the
first ``--current`` of them current (started an hour ago, open-ended), the others spread over the
past year (four hours each). The first current task covers the incidents tagged
``bench_group=g0`` .. ``g<cover-groups - 1>`` (``bench/preload.py`` and ``bench/run.py``'s ingest
draw ``bench_group`` from 100 values, so 10 groups are 10% of the incidents); the other tasks cover
nothing of the bench's data. Then runs ``check_started_maintenance`` (linking the open incidents
the current task covers) and prints one JSON line. ``--remove`` deletes the bench's tasks instead.

``--ingest-cpu ROUNDS`` measures instead what linking costs ingest, in this process: CPU
milliseconds per ``incident_create`` (300 incidents like ``bench/run.py``'s, notifications off)
with no task at all, then with the tasks above, alternating for ``ROUNDS`` rounds; the bench's
tasks are removed at the end.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "argus.site.settings.dev")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from argus.incident.models import SourceSystem  # noqa: E402
from argus.incident.services import incident_create  # noqa: E402
from argus.notificationprofile.models import Filter  # noqa: E402
from argus.plannedmaintenance.models import PlannedMaintenanceLink, PlannedMaintenanceTask  # noqa: E402
from argus.plannedmaintenance.services import current_tasks_link  # noqa: E402

OWNER = "bench_maintenance"


def create(tasks: int, current: int, cover_groups: int) -> dict:
    owner, _ = get_user_model().objects.get_or_create(username=OWNER, defaults={"is_staff": True})
    now = timezone.now()
    for n in range(tasks):
        if n < current:
            start, end = now - datetime.timedelta(hours=1), datetime.datetime.max.replace(tzinfo=datetime.UTC)
        else:
            start = now - datetime.timedelta(days=365 * (n + 1) / tasks, hours=6)
            end = start + datetime.timedelta(hours=4)
        if n == 0:
            blob = {"tags": [f"bench_group=g{group}" for group in range(cover_groups)]}
        else:
            blob = {"tags": [f"location=bench-nowhere-{n}"]}
        task = PlannedMaintenanceTask.objects.create(
            created_by=owner, start_time=start, end_time=end, description=f"bench {n}"
        )
        task.filters.set(
            [Filter.objects.create(user=owner, name=f"bench maintenance {task.pk}", filter=blob)]
        )
    started = time.perf_counter()
    linked, current_tasks = current_tasks_link()
    return {
        "workload": "maintenance-setup",
        "tasks": tasks,
        "current": current_tasks,
        "linked": linked,
        "links_total": PlannedMaintenanceLink.objects.count(),
        "check_started_s": round(time.perf_counter() - started, 2),
    }


def remove() -> dict:
    tasks = PlannedMaintenanceTask.objects.filter(created_by__username=OWNER)
    count = tasks.count()
    tasks.delete()
    Filter.objects.filter(user__username=OWNER).delete()
    return {"workload": "maintenance-remove", "tasks": count}


def ingest_cpu_ms(source: SourceSystem, count: int = 300) -> float:
    def create(serial: int) -> None:
        incident_create(
            actor=source.user,
            source=source,
            start_time=timezone.now(),
            description=f"bench maintenance ingest #{serial}",
            tags=[
                f"host=host{random.randrange(1000)}.example.org",
                f"bench_group=g{random.randrange(100)}",
                f"service=svc{random.randrange(50)}",
                f"location=room{random.randrange(20)}",
                "bench_client=maintenance",
            ],
        )

    for serial in range(20):  # warm up
        create(serial)
    started = time.process_time()
    for serial in range(count):
        create(serial)
    return (time.process_time() - started) * 1000 / count


def ingest_cpu(rounds: int, tasks: int, current: int, cover_groups: int) -> dict:
    source = SourceSystem.objects.select_related("user").get(name="bench0")
    figures = {"none": [], "tasks": []}
    with override_settings(SEND_NOTIFICATIONS=False):
        for _ in range(rounds):
            remove()
            figures["none"].append(ingest_cpu_ms(source))
            create(tasks, current, cover_groups)
            figures["tasks"].append(ingest_cpu_ms(source))
    remove()
    return {
        "workload": "maintenance-ingest-cpu",
        "tasks": tasks,
        "current": current,
        "covered": f"{cover_groups}%",
        "cpu_ms_per_creation_none": [round(ms, 3) for ms in figures["none"]],
        "cpu_ms_per_creation_tasks": [round(ms, 3) for ms in figures["tasks"]],
        "median_none": round(statistics.median(figures["none"]), 3),
        "median_tasks": round(statistics.median(figures["tasks"]), 3),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--current", type=int, default=10)
    parser.add_argument(
        "--cover-groups", type=int, default=10, help="bench_group values the first task covers"
    )
    parser.add_argument("--remove", action="store_true", help="delete the bench's tasks and filters")
    parser.add_argument(
        "--ingest-cpu", type=int, default=0, metavar="ROUNDS", help="measure ingest CPU instead"
    )
    args = parser.parse_args(argv)
    if args.ingest_cpu:
        record = ingest_cpu(args.ingest_cpu, args.tasks, args.current, args.cover_groups)
    elif args.remove:
        record = remove()
    else:
        record = create(args.tasks, args.current, args.cover_groups)
    print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
