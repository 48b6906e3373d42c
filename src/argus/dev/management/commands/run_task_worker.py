"""``db_worker`` for every queue, started again when it loses the database (a PostgreSQL restart)."""

import logging
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError, connections

logger = logging.getLogger("argus.dev.run_task_worker")

#: Seconds between a lost database and the next try.
RECONNECT_DELAY = 2.0


class Command(BaseCommand):
    help = (
        "Run the task worker (django-tasks-db's db_worker, every queue, no autoreload) and start it "
        "again when the database connection is lost, so a PostgreSQL restart needs no supervisor. "
        "SIGTERM/SIGINT stop it as they stop db_worker (after the running task)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds an idle worker waits before looking again."
        )

    def handle(self, *args, interval=1.0, **options):
        while True:
            try:
                call_command(
                    "db_worker",
                    queue_name="*",
                    reload=False,
                    interval=interval,
                    verbosity=options["verbosity"],
                )
                return
            except (OperationalError, InterfaceError) as error:
                # db_worker stops on any database error outside a locked SQLite; the work it held
                # is taken again when its lease ends, by this worker or another.
                logger.warning(
                    "Task worker lost the database (%s); starting again in %g s", error, RECONNECT_DELAY
                )
                self._forget_connections()
                time.sleep(RECONNECT_DELAY)

    @staticmethod
    def _forget_connections() -> None:
        for connection in connections.all(initialized_only=True):
            try:
                connection.close()
            except Exception:
                connection.connection = None
