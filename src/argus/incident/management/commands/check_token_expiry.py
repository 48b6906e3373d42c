"""``check_token_expiry``: warn with an incident when a source system's token runs out."""

from django.core.management.base import BaseCommand, CommandError

from argus.incident.token_expiry import DEFAULT_DAYS, check_token_expiry

MAX_DAYS = 36500


class Command(BaseCommand):
    help = "Post incident if token is close to expiring"

    def add_arguments(self, parser):
        parser.add_argument(
            "-d",
            "--days",
            type=int,
            default=DEFAULT_DAYS,
            help="Post incident if token expires in less than <number> days",
        )

    def handle(self, *args, **options):
        if abs(options["days"]) > MAX_DAYS:
            raise CommandError(f"The number of days must be between -{MAX_DAYS} and {MAX_DAYS}.")
        check_token_expiry(options["days"])
