"""Create the standard instances every Argus needs: the `argus` user/source and an admin user."""

import secrets
import string

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from argus.auth import services
from argus.incident.services import argus_source_ensure

PASSWORD_ALPHABET = string.ascii_letters + string.digits
BANNER = "*" * 78


class Command(BaseCommand):
    help = "Create standard instances, fill any lookup tables"

    def add_arguments(self, parser):
        parser.add_argument("-e", "--email", default="", help="Set email for admin. Default: not set")
        parser.add_argument(
            "-p", "--password", default=None, help="Set admin password. Default: long random string"
        )
        parser.add_argument("-u", "--username", default="admin", help="Set admin username. Default: admin")

    def handle(self, *args, **options):
        argus_source_ensure()
        self.stdout.write('Ensured the existence of the source, source type and user "argus"')

        User = get_user_model()
        username = options["username"]
        if User.objects.filter(username=username).exists():
            self.stderr.write(self.style.WARNING(f"Argus superuser {username} already exists!"))
            return

        password = options["password"]
        chosen = password is not None
        if not chosen:
            password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(16))
        services.user_create(
            username=username,
            email=options["email"] or "",
            password=password,
            first_name=username[:1].upper() + username[1:].lower(),
            last_name="",
            is_staff=True,
            is_superuser=True,
        )
        if chosen:
            self.stdout.write(
                self.style.SUCCESS(
                    f'Successfully created Argus superuser "{username}" with the chosen password'
                )
            )
        else:
            message = (
                f"{BANNER}\n\n"
                f'  Created Argus superuser "{username}" with password "{password}".\n\n'
                "   Please change the password via the admin interface.\n\n"
                f"{BANNER}"
            )
            self.stdout.write(self.style.SUCCESS(message))
