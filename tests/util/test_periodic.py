"""Periodic jobs: the PERIODIC_JOBS table, the scheduler built from it, and the process running it."""

import os
import re
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from argus.util.periodic import PeriodicJob, build_scheduler, periodic_jobs, run_job

ROOT = Path(__file__).resolve().parents[2]


def test_the_default_table_sweeps_watches_sources_warns_prunes_and_checks_maintenance():
    names = [job.name for job in periodic_jobs()]
    assert names[:6] == [
        "sweep_notifications",
        "sync_heartbeat_incidents",
        "check_token_expiry",
        "prune_notification_deliveries",
        "check_started_maintenance",
        "check_ended_maintenance",
    ]
    assert names[6].startswith("prune_db_task_results --queue-name * --min-age-days ")


def test_a_job_is_a_command_with_its_arguments_and_an_interval():
    assert periodic_jobs([(60, ["check_token_expiry", "-d", 3])]) == [
        PeriodicJob(60.0, ("check_token_expiry", "-d", "3"))
    ]


@pytest.mark.parametrize(
    "entry, message",
    [
        ((0, ["sweep_notifications"]), "must be positive"),
        ((10, ["no_such_command"]), "no such management command"),
        ((10, []), "no such management command"),
        (("often", ["sweep_notifications"]), "is not (seconds, [command, ...])"),
        ("sweep_notifications", "is not (seconds, [command, ...])"),
    ],
)
def test_a_bad_entry_is_refused(entry, message):
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        periodic_jobs([entry])


def test_each_job_runs_at_start_then_every_interval_one_at_a_time_missed_runs_collapsed():
    scheduler = build_scheduler(
        periodic_jobs([(15, ["sweep_notifications"]), (3600, ["check_token_expiry"])])
    )
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"sweep_notifications", "check_token_expiry"}
    sweep = jobs["sweep_notifications"]
    assert sweep.trigger.interval.total_seconds() == 15
    assert (sweep.max_instances, sweep.coalesce, sweep.misfire_grace_time) == (1, True, None)
    assert sweep.func is run_job and sweep.args == (PeriodicJob(15.0, ("sweep_notifications",)),)


def test_a_failing_job_is_logged_and_does_not_stop_the_others(db, caplog):
    run_job(PeriodicJob(1, ("prune_notification_deliveries", "--days", "-1")))
    assert "Periodic job 'prune_notification_deliveries --days -1' failed" in caplog.text


def test_list_prints_the_table(settings):
    settings.PERIODIC_JOBS = [(15, ["sweep_notifications"]), (86400, ["check_token_expiry"])]
    out = StringIO()
    call_command("run_periodic_jobs", "--list", stdout=out)
    assert out.getvalue() == "every 15 s: sweep_notifications\nevery 86400 s: check_token_expiry\n"


def test_a_bad_table_stops_the_command(settings):
    from django.core.management import CommandError

    settings.PERIODIC_JOBS = [(15, ["nope"])]
    with pytest.raises(CommandError, match="no such management command"):
        call_command("run_periodic_jobs")


def test_the_process_runs_until_sigterm_and_then_exits_cleanly(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "argus.site.settings.test"}
    env.pop("DATABASE_URL", None)  # its own (empty) database: the jobs' errors are logged, not fatal
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_periodic_jobs"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout.readline().startswith("Running 7 periodic job(s): sweep_notifications;")
        time.sleep(0.5)
        assert process.poll() is None
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
