"""``list_filters [-p PK | -n NAME]``."""

from django.core.management.base import BaseCommand

from argus.notificationprofile.filterblob import represent_filter_blob
from argus.notificationprofile.models import Filter


class Command(BaseCommand):
    help = "List existing filters"

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("-p", "--pk", type=int, help="Select one filter to show by pk")
        group.add_argument("-n", "--name", type=str, help="Select one filter to show by name")

    def handle(self, *args, **options):
        filters = Filter.objects.order_by("pk")
        if options["pk"] is not None:
            filters = filters.filter(pk=options["pk"])
        elif options["name"] is not None:
            filters = filters.filter(name=options["name"])
        listed = [{"pk": f.pk, "name": f.name, "filter": represent_filter_blob(f.filter)} for f in filters]
        self.stdout.write(self.style.SUCCESS(str(listed)))
