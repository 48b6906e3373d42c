"""``bulk_incidents``: ack/close/reopen/set ticket URL of every incident a filter selects."""

import argparse

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from argus.incident.choices import EventType
from argus.incident.models import Incident
from argus.incident.services import bulk_acknowledgement_create, bulk_event_create, bulk_set_ticket_url
from argus.notificationprofile.matching import incidents_for_filter
from argus.notificationprofile.models import Filter
from argus.util.datetime_utils import as_aware
from argus.util.ids import parse_pk

ACK, CLOSE, REOPEN, TICKET_URL = "ack", "close", "reopen", "ticket_url"
#: Incidents are changed in chunks so a filter matching 100k incidents neither holds one huge
#: transaction nor loads everything into memory at once.
CHUNK_SIZE = 1000


def datetime_argument(value: str):
    """ISO 8601 date-time; a value without offset is in the server's time zone."""
    parsed = None
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        pass
    if parsed is None:
        raise argparse.ArgumentTypeError(
            f"invalid date-time value: {value!r} (use ISO 8601, e.g. 2030-01-01T00:00)"
        )
    return as_aware(parsed)


def find_filter(name_or_pk: str) -> Filter | None:
    """The first filter (any user's) with that name, else the one with that pk."""
    found = Filter.objects.filter(name=name_or_pk).order_by("pk").first()
    if found is None and (pk := parse_pk(name_or_pk)) is not None:
        found = Filter.objects.filter(pk=pk).first()
    return found


class Command(BaseCommand):
    help = "Bulk ack/open/close/set ticket url for all incidents that match the given filter."

    def add_arguments(self, parser):
        parser.add_argument("filter", help="Select the filter by either name or pk")
        parser.add_argument("username", help="Identify yourself with a username")
        actions = parser.add_subparsers(dest="action", required=True, title="action")

        ack = actions.add_parser(ACK, help="Acknowledge the incidents")
        ack.add_argument(
            "-e", "--expiration", type=datetime_argument, help="Expiration of the acknowledgements"
        )
        ack.add_argument(
            "-t", "--timestamp", type=datetime_argument, help="Timestamp of the events (default: now)"
        )
        ack.add_argument("-d", "--description", default="", help="Description of the events")

        close = actions.add_parser(CLOSE, help="Close the incidents")
        close.add_argument(
            "-t", "--timestamp", type=datetime_argument, help="Timestamp of the events (default: now)"
        )
        close.add_argument("-d", "--description", default="", help="Description of the events")

        reopen = actions.add_parser(REOPEN, help="Reopen the incidents")
        reopen.add_argument(
            "-t", "--timestamp", type=datetime_argument, help="Timestamp of the events (default: now)"
        )
        reopen.add_argument("-d", "--description", default="", help="Description of the events")

        ticket_url = actions.add_parser(TICKET_URL, help="Set the ticket URL of the incidents")
        ticket_url.add_argument("-u", "--url", help="The ticket URL")

    def handle(self, *args, **options):
        action = options["action"]
        actor = get_user_model().objects.filter(username=options["username"]).first()
        if actor is None:
            self.stderr.write("No user with the given username could be found.")
            return
        filter_obj = find_filter(options["filter"])
        if filter_obj is None:
            self.stderr.write("No filter with the given pk or name could be found.")
            return
        if action == TICKET_URL and not options.get("url"):
            self.stderr.write("A ticket url is needed.")
            return
        ids = list(incidents_for_filter(Incident.objects.all(), filter_obj).values_list("pk", flat=True))
        if not ids:
            self.stdout.write("No incidents for the given filter could be found.")
            return
        timestamp = options.get("timestamp") or timezone.now()
        description = options.get("description") or ""
        for start in range(0, len(ids), CHUNK_SIZE):
            incidents = list(Incident.objects.filter(pk__in=ids[start : start + CHUNK_SIZE]).order_by("pk"))
            if action == ACK:
                bulk_acknowledgement_create(
                    incidents=incidents,
                    actor=actor,
                    timestamp=timestamp,
                    description=description,
                    expiration=options.get("expiration"),
                )
            elif action in (CLOSE, REOPEN):
                bulk_event_create(
                    incidents=incidents,
                    actor=actor,
                    type=EventType.CLOSE if action == CLOSE else EventType.REOPEN,
                    timestamp=timestamp,
                    description=description,
                )
            else:
                bulk_set_ticket_url(incidents=incidents, actor=actor, ticket_url=options["url"])
            # Progress only for long runs, and on stderr: stdout stays silent on success as in 1.37.
            if len(ids) > CHUNK_SIZE and options["verbosity"] >= 1:
                self.stderr.write(f"{min(start + CHUNK_SIZE, len(ids))}/{len(ids)} incidents done")
