"""``toggle_profile_activation ids...``."""

from django.core.management.base import BaseCommand
from django.db.models import Case, Value, When

from argus.notificationprofile.models import NotificationProfile


class Command(BaseCommand):
    help = "Toggle notification profile activation"

    def add_arguments(self, parser):
        parser.add_argument(
            "ids",
            type=int,
            nargs="+",
            help="Toggle activation of the notification profile with the given ids",
        )

    def handle(self, *args, **options):
        wanted = set(options["ids"])
        found = set(NotificationProfile.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        if not found:
            self.stderr.write(self.style.WARNING("No profiles with the given ids could be found."))
            return
        missing = wanted - found
        if missing:
            self.stderr.write(
                self.style.WARNING(
                    f"Profiles with the ids {missing} could not be found. Toggling activation of the "
                    f"remaining found profiles with the ids {found}."
                )
            )
        NotificationProfile.objects.filter(pk__in=found).update(
            active=Case(When(active=True, then=Value(False)), default=Value(True))
        )
