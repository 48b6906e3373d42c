"""``check_started_maintenance``: link the open incidents every current maintenance task covers."""

from django.core.management.base import BaseCommand

from argus.plannedmaintenance.services import current_tasks_link


def add_ignored_minutes_argument(parser) -> None:
    """Argus 2.7's ``-m/--minutes``, accepted and ignored so that old crontabs keep working."""
    parser.add_argument("-m", "--minutes", type=int, default=None, help="Ignored (kept for old crontabs).")


class Command(BaseCommand):
    help = (
        "Link every open incident covered by a current planned maintenance task to it (what the "
        "lists show as under maintenance). Idempotent; a periodic job (run_periodic_jobs), or cron "
        "every minute. Suppression of notifications does not depend on it."
    )

    def add_arguments(self, parser):
        add_ignored_minutes_argument(parser)

    def handle(self, *args, **options):
        linked, tasks = current_tasks_link()
        if options["verbosity"] > 1:
            self.stdout.write(f"Linked {linked} incident(s) to {tasks} current task(s).")
