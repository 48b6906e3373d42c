from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Turn superuser into user"

    def add_arguments(self, parser):
        parser.add_argument("username", help="Revoke superuser powers from this user")

    def handle(self, *args, **options):
        username = options["username"]
        User = get_user_model()
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"User matching query does not exist: {username!r}")
        self.stdout.write(f"Got user with id {user.pk} for username {username}")
        user.is_staff = False
        user.is_superuser = False
        user.save(update_fields=["is_staff", "is_superuser"])
