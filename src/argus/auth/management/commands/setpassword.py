from django.core.management.base import BaseCommand

from argus.auth import services
from argus.auth.management.users import find_user


class Command(BaseCommand):
    help = "Set password for a user, settable from script"

    def add_arguments(self, parser):
        parser.add_argument("username", help="Set password for this user")
        parser.add_argument("password", help="The new password")

    def handle(self, *args, **options):
        user = find_user(options["username"])
        services.user_set_password(user=user, password=options["password"])
