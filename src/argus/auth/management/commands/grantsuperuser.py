from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Turn user into superuser"

    def add_arguments(self, parser):
        parser.add_argument("username", help="Grant superuser powers to this user")

    def handle(self, *args, **options):
        username = options["username"]
        User = get_user_model()
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"User matching query does not exist: {username!r}")
        self.stdout.write(f"Got user with id {user.pk} for username {username}")
        user.is_staff = True
        user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
