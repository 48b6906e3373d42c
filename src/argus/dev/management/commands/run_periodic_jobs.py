"""Run the periodic jobs of the ``PERIODIC_JOBS`` setting until stopped (argus.util.periodic)."""

import signal

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from argus.util.periodic import build_scheduler, periodic_jobs


class Command(BaseCommand):
    help = (
        "Run the periodic jobs (PERIODIC_JOBS: notification sweep, pruning, ...) until stopped. "
        "Run one per deployment; SIGTERM/SIGINT stop it after the running jobs finish."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--list", action="store_true", help="Print the jobs and their intervals, then exit."
        )

    def handle(self, *args, list=False, **options):
        try:
            jobs = periodic_jobs()
        except ImproperlyConfigured as error:
            raise CommandError(str(error))
        if list:
            for job in jobs:
                self.stdout.write(f"every {job.seconds:g} s: {job.name}")
            return
        scheduler = build_scheduler(jobs)

        def stop(signum, frame):
            scheduler.shutdown(wait=True)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if options["verbosity"] > 0:
            self.stdout.write(f"Running {len(jobs)} periodic job(s): " + "; ".join(job.name for job in jobs))
            self.stdout.flush()
        scheduler.start()
