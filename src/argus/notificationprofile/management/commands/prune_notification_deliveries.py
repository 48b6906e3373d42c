"""Delete the delivery log's finished records older than the retention; idempotent."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from argus.notificationprofile.deliveries import log_retention_days, prune_deliveries


class Command(BaseCommand):
    help = (
        "Delete sent and failed deliveries older than NOTIFICATION_LOG_RETENTION_DAYS "
        "(env ARGUS_NOTIFICATION_LOG_RETENTION_DAYS, default 30; 0 keeps them). A periodic job."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=float, help="Retention in days instead of the setting's.")

    def handle(self, *args, days=None, **options):
        if days is not None and days < 0:
            raise CommandError("--days must be 0 or more.")
        days = log_retention_days() if days is None else days
        if not days:
            return
        deleted = prune_deliveries(older_than=timezone.now() - datetime.timedelta(days=days))
        if options["verbosity"] > 1 or (deleted and options["verbosity"] > 0):
            self.stdout.write(f"Deleted {deleted} deliveries older than {days:g} days.")
