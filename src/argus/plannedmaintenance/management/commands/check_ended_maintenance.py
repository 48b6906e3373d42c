"""``check_ended_maintenance``: announce the incidents still open when a maintenance task has ended."""

from django.core.management.base import BaseCommand

from argus.plannedmaintenance.management.commands.check_started_maintenance import (
    add_ignored_minutes_argument,
)
from argus.plannedmaintenance.services import ended_tasks_announce


class Command(BaseCommand):
    help = (
        "For every planned maintenance task with notify_when_ended that has ended and was not "
        "processed yet, give each incident it covered that is still open (and not silenced by another "
        "current task) one OTH event, which notifies as usual. Idempotent; a periodic job "
        "(run_periodic_jobs), or cron every minute."
    )

    def add_arguments(self, parser):
        add_ignored_minutes_argument(parser)

    def handle(self, *args, **options):
        tasks, events = ended_tasks_announce()
        if options["verbosity"] > 1:
            self.stdout.write(f"Announced {events} still-open incident(s) of {tasks} ended task(s).")
