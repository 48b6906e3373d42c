"""Enqueue a notification run if work is due (argus.notificationprofile.tasks.sweep); idempotent."""

from django.core.management.base import BaseCommand

from argus.notificationprofile.tasks import sweep


class Command(BaseCommand):
    help = (
        "Enqueue a notification run if some event or delivery is due: left by a worker that died, "
        "a lost wake-up or a retry. A periodic job (run_periodic_jobs); safe to run at any time."
    )

    def handle(self, *args, **options):
        enqueued = sweep()
        if options["verbosity"] > 1:
            self.stdout.write("Enqueued a notification run." if enqueued else "Nothing due.")
