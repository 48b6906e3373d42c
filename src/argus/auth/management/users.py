"""What the user commands (grantsuperuser, revokesuperuser, setpassword) share."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from argus.auth import services


def find_user(username: str):
    """The user called ``username``, or a CommandError naming it."""
    User = get_user_model()
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise CommandError(f"User matching query does not exist: {username!r}") from None


class SuperuserFlagCommand(BaseCommand):
    #: True grants superuser powers (and staff), False revokes both.
    make_superuser: bool
    username_help: str

    def add_arguments(self, parser):
        parser.add_argument("username", help=self.username_help)

    def handle(self, *args, **options):
        username = options["username"]
        user = find_user(username)
        self.stdout.write(f"Got user with id {user.pk} for username {username}")
        services.user_set_superuser(user=user, superuser=self.make_superuser)
