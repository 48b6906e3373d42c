"""Periodic jobs: management commands run every so many seconds by one long-running process.

The table is the ``PERIODIC_JOBS`` setting: ``(seconds, [command, *arguments])`` per job, e.g.
``(15, ["sweep_notifications"])``; adding a job is adding a line. ``manage.py run_periodic_jobs``
runs them with APScheduler's ``BlockingScheduler``: interval triggers, the first run at start-up,
at most one run of a job at a time (``max_instances=1``) and missed runs collapsed into one
(``coalesce=True``), so a slow job or a suspended host never piles runs up. Each job is a plain
idempotent management command, so an operator may run it from cron or a systemd timer instead,
and two schedulers running at once (a rolling deploy) do no harm.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from apscheduler.schedulers.blocking import BlockingScheduler
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command, get_commands
from django.db import close_old_connections

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    seconds: float
    command: tuple[str, ...]

    @property
    def name(self) -> str:
        return " ".join(self.command)


def periodic_jobs(table: Sequence | None = None) -> list[PeriodicJob]:
    """The jobs of ``table`` (default: the ``PERIODIC_JOBS`` setting), checked.

    Raises ``ImproperlyConfigured`` for an entry that is not (positive seconds, [known command, ...]).
    """
    table = settings.PERIODIC_JOBS if table is None else table
    known = get_commands()
    jobs = []
    for entry in table:
        try:
            seconds, command = entry
            seconds = float(seconds)
            command = tuple(str(part) for part in command)
        except (TypeError, ValueError) as error:
            raise ImproperlyConfigured(
                f"PERIODIC_JOBS entry {entry!r} is not (seconds, [command, ...])"
            ) from error
        if not seconds > 0:
            raise ImproperlyConfigured(f"PERIODIC_JOBS entry {entry!r}: the interval must be positive")
        if not command or command[0] not in known:
            raise ImproperlyConfigured(f"PERIODIC_JOBS entry {entry!r}: no such management command")
        jobs.append(PeriodicJob(seconds, command))
    return jobs


def run_job(job: PeriodicJob) -> None:
    """Run one job as a management command; an error is logged, and the next run comes as planned."""
    close_old_connections()
    try:
        call_command(*job.command)
    except BaseException:
        logger.exception("Periodic job %r failed", job.name)
    finally:
        close_old_connections()


def build_scheduler(jobs: Sequence[PeriodicJob]) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone=datetime.UTC)
    start = datetime.datetime.now(datetime.UTC)
    for job in jobs:
        scheduler.add_job(
            run_job,
            "interval",
            seconds=job.seconds,
            args=[job],
            id=job.name,
            name=job.name,
            next_run_time=start,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
    return scheduler
