"""``create_source``: get-or-create a source system with its type and user (operations.md §1.2)."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from argus.incident.models import SourceSystem, SourceSystemType

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


def ensure_source(name: str, source_type: str = DEFAULT_SOURCE_TYPE) -> SourceSystem:
    """The source ``name`` with a user of the same name, created if missing (idempotent).

    An existing source keeps its type and base URL; only the given type is ensured to exist. The
    user's password is (re)set to ``defaultpassword`` on every call, as the reference does.
    """
    User = get_user_model()
    with transaction.atomic():
        type_obj, _ = SourceSystemType.objects.get_or_create(name=source_type.lower())
        user, _ = User.objects.get_or_create(username=name)
        user.set_password(DEFAULT_PASSWORD)
        user.save(update_fields=["password"])
        source = SourceSystem.objects.filter(user=user).first()
        if source is None:
            source = SourceSystem.objects.filter(name=name).first()
        if source is None:
            source = SourceSystem.objects.create(
                name=name, type=type_obj, user=user, base_url=fake_base_url()
            )
    return source


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
        ensure_source(name, source_type)
