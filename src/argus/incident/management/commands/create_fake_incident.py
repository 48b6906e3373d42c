"""``create_fake_incident``: create test incidents like a source system would."""

import argparse
import time

from django.core.management.base import BaseCommand, CommandError

from argus.incident.choices import MAX_INCIDENT_LEVEL, MIN_INCIDENT_LEVEL
from argus.incident.models import SourceSystem
from argus.incident.services import FAKE_INCIDENT_LEVELS, fake_incident_create
from argus.incident.tags import INVALID_KEY, InvalidTag, parse_tag
from argus.util import parsers

#: A batch reports its progress at most this often (seconds), and when it is done.
PROGRESS_SECONDS = 1.0


class _RangeText:
    def __repr__(self):
        return f"[{MIN_INCIDENT_LEVEL}-{MAX_INCIDENT_LEVEL}]"


class LevelChoices:
    """The valid levels; argparse shows them as ``[1-5]`` in errors, like the reference."""

    def __contains__(self, value):
        return value in FAKE_INCIDENT_LEVELS

    def __iter__(self):
        return iter([_RangeText()])


def validate_tag(tag: str) -> tuple[str, str]:
    """``key=value`` to a pair, or CommandError with the reference's message for that mistake
    (a bad key is the repr of a list holding the repr of a list, as 1.37 prints it)."""
    try:
        return parse_tag(tag)
    except InvalidTag as error:
        message = str([error.message]) if error.code == INVALID_KEY else error.message
        raise CommandError(str([message])) from None


def parse_json(text: str, origin: str):
    try:
        return parsers.loads(text)
    except ValueError as error:
        raise CommandError(f"{origin} is not valid JSON: {error}")


class Command(BaseCommand):
    help = "Create fake Incident"

    def add_arguments(self, parser):
        parser.add_argument(
            "-b", "--batch-size", type=int, default=1, help="Create <batch size> incidents in one go"
        )
        parser.add_argument("-d", "--description", help="Use this description for the incident")
        parser.add_argument(
            "-l",
            "--level",
            type=int,
            choices=LevelChoices(),
            metavar="[1-5]",
            help="Set level to <level>, otherwise a random number within the correct range is used",
        )
        parser.add_argument("-t", "--tags", nargs="+", help="Add the listed tags to the incident")
        parser.add_argument(
            "-s",
            "--source",
            help="Use this source for the incident (the source needs to exist, see 'create_source' for "
            "creating one)",
        )
        parser.add_argument(
            "--stateless", action="store_true", help="Create a stateless incident (end_time = None)"
        )
        metadata = parser.add_mutually_exclusive_group()
        metadata.add_argument("--metadata", help="Store json in the metadata field")
        metadata.add_argument(
            "--metadata-file",
            type=argparse.FileType("r"),
            help="Path to json-file to store in the metadata field",
        )

    def handle(self, *args, **options):
        batch_size = options["batch_size"]
        if batch_size < 1:
            raise CommandError("The batch size must be at least 1.")
        # Validate everything before creating anything: bad input leaves no orphan incidents.
        tags = [validate_tag(tag) for tag in options["tags"] or []]
        metadata = {}
        if options["metadata"] is not None:
            metadata = parse_json(options["metadata"], "--metadata")
        elif options["metadata_file"] is not None:
            with options["metadata_file"] as metadata_file:
                metadata = parse_json(metadata_file.read(), metadata_file.name)

        source = None  # Argus' own, which fake_incident_create ensures either way
        if options["source"]:
            source = SourceSystem.objects.select_related("user").filter(name=options["source"]).first()
            if source is None:
                raise CommandError(f"No source with the name '{options['source']}' exists.")
        # Progress on stderr for batches (stdout stays silent, as in 1.37); -v 0 silences it.
        report = batch_size > 1 and options["verbosity"] >= 1
        reported_at = time.monotonic()
        for done in range(1, batch_size + 1):
            fake_incident_create(
                source=source,
                description=options["description"],
                level=options["level"],
                tags=tags,
                stateful=not options["stateless"],
                metadata=metadata,
            )
            if report and (done == batch_size or time.monotonic() - reported_at >= PROGRESS_SECONDS):
                self.stderr.write(f"{done}/{batch_size} incidents created")
                reported_at = time.monotonic()
