"""``sync_heartbeat_incidents``: open and close dead-source incidents (run every minute)."""

from django.core.management.base import BaseCommand

from argus.incident.heartbeats import sync_heartbeat_incidents


class Command(BaseCommand):
    help = (
        "Open an incident for every source system whose heartbeat is overdue, and close those whose "
        "source is alive again, no longer monitored or gone. Run it every minute."
    )

    def handle(self, *args, **options):
        result = sync_heartbeat_incidents()
        verbosity = options["verbosity"]
        if not result or verbosity < 1:
            return
        self.stdout.write(
            f"Heartbeat incidents: Created: {len(result.created)}, Closed: {len(result.closed)}, "
            f"Remaining: {len(result.remaining)}"
        )
        if verbosity < 2:
            return
        for incident in result.created:
            self.stdout.write(f"Created incident {incident.pk}: {incident.description}")
        for incident, reason in result.closed:
            self.stdout.write(f"Closed incident {incident.pk}: {reason}")
        for incident in result.remaining:
            self.stdout.write(f"Still open: incident {incident.pk}: {incident.description}")
