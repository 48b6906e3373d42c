"""The periodic checks started several times at the same moment, in real processes on PostgreSQL:
they link and notify once.

Each child process sets Django up, then waits for one shared start time, so the runs overlap.
The children use the test settings (the immediate task backend: each run's notifications are
matched and sent by the process that committed them).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.utils import timezone

from argus.incident.models import Event, Incident
from argus.notificationprofile.models import Delivery
from argus.plannedmaintenance.models import PlannedMaintenanceLink, PlannedMaintenanceTask
from argus.plannedmaintenance.services import still_open_notice
from tests.factories import IncidentFactory
from tests.integration.conftest import is_postgres
from tests.notificationprofile.delivery import add_subscriber
from tests.notificationprofile.factories import FilterFactory
from tests.notificationprofile.processes import ROOT, database_url
from tests.plannedmaintenance.factories import PlannedMaintenanceTaskFactory, minutes

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not is_postgres(),
        reason="concurrency is tested on PostgreSQL only (set DATABASE_URL=postgres://...); "
        "SQLite serialises writers, so there is no race to test",
    ),
]

RUNS = 3
STARTUP = 4.0  # seconds the children get to set Django up before the shared start

CHILD = """
import os, sys, time
import django
django.setup()
from django.core.management import call_command
time.sleep(max(0.0, float(os.environ["ARGUS_TEST_START_AT"]) - time.time()))
call_command(sys.argv[1], verbosity=2)
"""


def run_at_once(command: str, runs: int = RUNS) -> list[str]:
    """Start ``runs`` processes of ``command`` that begin work at the same moment; their outputs."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTEST_CURRENT_TEST",)}
    env.update(
        DJANGO_SETTINGS_MODULE="argus.site.settings.test",
        DATABASE_URL=database_url(),
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        ARGUS_TEST_START_AT=str(time.time() + STARTUP),
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, command],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(runs)
    ]
    outputs = []
    for child in children:
        output, _ = child.communicate(timeout=120)
        assert child.returncode == 0, output
        outputs.append(output)
    return outputs


@pytest.fixture
def source(transactional_db, source_system):
    return source_system


def test_check_started_at_once_links_each_incident_once(source):
    incidents = IncidentFactory.create_batch(200, source=source)
    tasks = [
        PlannedMaintenanceTaskFactory(filters=[FilterFactory(filter={"sourceSystemIds": [source.pk]})])
        for _ in range(5)
    ]
    outputs = run_at_once("check_started_maintenance")
    assert PlannedMaintenanceLink.objects.count() == len(tasks) * len(incidents)
    assert all("current task(s)." in output for output in outputs)
    assert run_at_once("check_started_maintenance", runs=1) == [
        "Linked 0 incident(s) to 5 current task(s).\n"
    ]


def test_check_ended_at_once_announces_each_task_once(source):
    alice = add_subscriber(source, "alice")
    now = timezone.now()
    filter_ = FilterFactory(user=alice, filter={"sourceSystemIds": [source.pk]})
    tasks = []
    for _ in range(5):
        task = PlannedMaintenanceTaskFactory(
            start_time=now - minutes(60), end_time=now - minutes(1), filters=[filter_]
        )
        PlannedMaintenanceLink.objects.bulk_create(
            PlannedMaintenanceLink(task=task, incident=incident)
            for incident in IncidentFactory.create_batch(40, source=source)
        )
        tasks.append(task)
    run_at_once("check_ended_maintenance")
    for task in tasks:
        notices = Event.objects.filter(description=still_open_notice(task.pk))
        assert notices.count() == 40
        assert sorted(notices.values_list("incident_id", flat=True)) == sorted(
            Incident.objects.filter(maintenance_tasks=task).values_list("pk", flat=True)
        )
    notices = Event.objects.filter(type="OTH")
    assert notices.count() == 200
    # Each notice mailed once to alice (the only subscriber).
    assert Delivery.objects.filter(event__in=notices).count() == 200
    assert Delivery.objects.filter(event__in=notices, state="sent").count() == 200
    assert not PlannedMaintenanceTask.objects.filter(ended_notice_at__isnull=True).exists()
