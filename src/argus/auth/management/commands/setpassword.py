from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Set password for a user, settable from script"

    def add_arguments(self, parser):
        parser.add_argument("username", help="Set password for this user")
        parser.add_argument("password", help="The new password")

    def handle(self, *args, **options):
        username = options["username"]
        User = get_user_model()
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"User matching query does not exist: {username!r}")
        user.set_password(options["password"])
        user.save(update_fields=["password"])
