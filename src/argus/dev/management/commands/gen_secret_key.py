from django.core.management.base import BaseCommand
from django.core.management.utils import get_random_secret_key


class Command(BaseCommand):
    help = "Generate a random secret key for the SECRET_KEY setting"

    def handle(self, *args, **options):
        # 50 characters from a-z0-9!@#$%^&*(-_=+), Django's own generator.
        self.stdout.write(get_random_secret_key())
