"""``create_source``: get-or-create a source system with its type, user and token.

The source is made by ``services.source_system_ensure`` (and so ``source_system_create``): the
same username rule and token as a source added through the API or the admin.
"""

import secrets

from django.core.management.base import BaseCommand, CommandError

from argus.incident.services import source_system_ensure
from argus.util.errors import DomainError

DEFAULT_SOURCE_TYPE = "argus"
DEFAULT_PASSWORD = "defaultpassword"

# A new source gets a made-up base URL, like the reference's "https://diaz.biz/".
_URL_WORDS = (
    "andrews", "baker", "carter", "diaz", "evans", "fisher", "garcia", "harris", "jensen", "khan",
    "larsen", "miller", "nilsen", "olsen", "parker", "quinn", "reed", "smith", "turner", "walker",
)  # fmt: skip
_URL_TLDS = ("biz", "com", "info", "net", "org")


def fake_base_url() -> str:
    prefix = secrets.choice(("", "www."))
    return f"https://{prefix}{secrets.choice(_URL_WORDS)}.{secrets.choice(_URL_TLDS)}/"


class Command(BaseCommand):
    help = "Create new source, mainly for live testing"

    def add_arguments(self, parser):
        parser.add_argument("source", help="Create a source with name <source>, default type: argus")
        parser.add_argument(
            "-t",
            "--source-type",
            default=DEFAULT_SOURCE_TYPE,
            help="Create/use the source type <source-type> instead of argus",
        )

    def handle(self, *args, **options):
        name, source_type = options["source"].strip(), options["source_type"].strip()
        if not name:
            raise CommandError("The source name cannot be empty.")
        if not source_type:
            raise CommandError("The source type cannot be empty.")
        try:
            source_system_ensure(
                name=name, type_name=source_type, base_url=fake_base_url(), password=DEFAULT_PASSWORD
            )
        except DomainError as error:
            raise CommandError(error.message) from None
