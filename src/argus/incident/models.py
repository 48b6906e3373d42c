"""Incidents, tags, events, acknowledgements and source systems.

Models hold fields, constraints and small properties. Every state change goes through
``argus.incident.services``; reads with annotations live in ``argus.incident.queries``.
"""

from urllib.parse import urljoin

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from argus.incident.choices import (
    DEFAULT_INCIDENT_LEVEL,
    MAX_HEARTBEAT_FREQUENCY,
    MIN_HEARTBEAT_FREQUENCY,
    EventType,
    Level,
)
from argus.incident.fields import InfinityDateTimeField
from argus.incident.tags import (
    EMPTY_KEY,
    INVALID_KEY,
    KEY_TOO_LONG,
    MESSAGES,
    TAG_DELIMITER,
    TAG_KEY_PATTERN,
    InvalidTag,
    check_tag,
)
from argus.util.datetime_utils import INFINITY, is_infinite
from argus.util.jsonb import JsonbOrderedJSONField


def validate_lowercase(value):
    if not (value.islower()):
        raise ValidationError(f"'{value}' is not a lowercase string")


class SourceSystemType(models.Model):
    name = models.TextField(primary_key=True, validators=[validate_lowercase])

    class Meta:
        ordering = ["name"]
        verbose_name = "source system type"

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name = self.name.lower()
        super().save(*args, **kwargs)


HEARTBEAT_FREQUENCY_TOO_SHORT = (
    f"Ensure this value is at least {int(MIN_HEARTBEAT_FREQUENCY.total_seconds())} seconds."
)
HEARTBEAT_FREQUENCY_TOO_LONG = (
    f"Ensure this value is at most {int(MAX_HEARTBEAT_FREQUENCY.total_seconds())} seconds (1 day)."
)


def validate_heartbeat_frequency(value):
    """60 s ≤ value ≤ 1 day, both inclusive (None, "not monitored", is not checked here)."""
    if value is None:
        return
    if value < MIN_HEARTBEAT_FREQUENCY:
        raise ValidationError(HEARTBEAT_FREQUENCY_TOO_SHORT, code="min_value")
    if value > MAX_HEARTBEAT_FREQUENCY:
        raise ValidationError(HEARTBEAT_FREQUENCY_TOO_LONG, code="max_value")


class SourceSystem(models.Model):
    name = models.TextField()
    type = models.ForeignKey(SourceSystemType, on_delete=models.PROTECT, related_name="instances")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="source_system"
    )
    base_url = models.TextField(
        blank=True, default="", help_text="Base url to combine with an incident's relative url"
    )
    # Liveness (argus.incident.liveness); none of it is in the API's source representation.
    last_seen = models.DateTimeField(
        null=True, blank=True, help_text="When the source last used the API or sent a heartbeat."
    )
    heartbeat_frequency = models.DurationField(
        null=True,
        blank=True,
        validators=[validate_heartbeat_frequency],
        help_text="How often the source promises to report (1 minute to 1 day); empty: not monitored. "
        "A source silent for longer (plus 10 s grace) gets a dead-source incident.",
    )
    # When heartbeat_frequency last went from empty to a value (set by the services only).
    heartbeat_armed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "type"], name="sourcesystem_unique_name_per_type"),
        ]

    def __str__(self):
        return f"{self.name} ({self.type})"


class Tag(models.Model):
    key = models.TextField(validators=[RegexValidator(TAG_KEY_PATTERN, message=MESSAGES[INVALID_KEY])])
    value = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "value"], name="tag_unique_key_and_value")]

    def __str__(self):
        return self.representation

    @property
    def representation(self):
        return f"{self.key}{TAG_DELIMITER}{self.value}"

    def clean(self):
        """The rules of :mod:`argus.incident.tags` beyond the key pattern (lengths), for forms."""
        try:
            check_tag(self.key, self.value)
        except InvalidTag as error:
            if error.code not in (EMPTY_KEY, INVALID_KEY):  # the key field's own checks say so
                field = "key" if error.code == KEY_TOO_LONG else "value"
                raise ValidationError({field: error.messages}) from None


class IncidentTagRelation(models.Model):
    # db_index=False: tagrelation_tag_start serves lookups by tag.
    tag = models.ForeignKey(
        Tag, on_delete=models.CASCADE, related_name="incident_tag_relations", db_index=False
    )
    # db_index=False: the unique (incident, tag) index serves lookups by incident.
    incident = models.ForeignKey(
        "Incident", on_delete=models.CASCADE, related_name="incident_tag_relations", db_index=False
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tags_added"
    )
    added_time = models.DateTimeField(default=timezone.now)
    # Copies of the incident's start_time and may_be_open, so that a list filtered by a tag reads
    # only the relations it shows, newest first (kept by argus.incident.list_state).
    incident_start_time = models.DateTimeField(editable=False)
    incident_may_be_open = models.BooleanField(default=True, db_default=True, editable=False)

    class Meta:
        constraints = [
            # (incident, tag), not (tag, incident): lookups by tag go to the indexes below, which
            # hold the start time, so a list by tag never reads a tag's relations unordered.
            models.UniqueConstraint(
                fields=["incident", "tag"], name="incidenttagrelation_unique_tags_per_incident"
            ),
        ]
        # Newest first and, among incidents that started at the same moment, highest id first:
        # the order of the lists (the web UI breaks ties by id), so a tag's page is read in order.
        indexes = [
            models.Index(fields=["tag", "-incident_start_time", "-incident"], name="tagrelation_tag_start"),
            # Only the relations of (possibly) open incidents: "open, with this tag" never reads
            # the closed ones, however many incidents carry the tag.
            models.Index(
                fields=["tag", "-incident_start_time", "-incident"],
                name="tagrelation_tag_open_start",
                condition=Q(incident_may_be_open=True),
            ),
        ]

    def __str__(self):
        return f"Tag <{self.tag}> on incident #{self.incident_id} added by {self.added_by}"


class Incident(models.Model):
    id = models.BigAutoField(primary_key=True)
    start_time = models.DateTimeField(help_text="The time the incident was created.")
    end_time = InfinityDateTimeField(
        null=True,
        blank=True,
        default=INFINITY,
        help_text="The time the incident was resolved or closed. If not set, the incident is stateless; "
        "if 'infinity' is checked, the incident is stateful, but has not yet been resolved or closed - i.e. open.",
    )
    # db_index=False: incident_source_start (source, -start_time) serves lookups by source.
    source = models.ForeignKey(
        SourceSystem, on_delete=models.PROTECT, related_name="incidents", db_index=False
    )
    source_incident_id = models.TextField(blank=True, default="", verbose_name="source incident ID")
    details_url = models.TextField(blank=True, default="", verbose_name="details URL")
    description = models.TextField(blank=True, default="")
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=DEFAULT_INCIDENT_LEVEL)
    ticket_url = models.TextField(blank=True, default="", verbose_name="ticket URL")
    metadata = JsonbOrderedJSONField(default=dict, blank=True)
    search_text = models.TextField(blank=True, default="")
    # Derived from the acknowledgements (kept by argus.incident.acks): the latest expiration among
    # them, infinity when one never expires, NULL when there are none. Acked = acked_until > now.
    acked_until = InfinityDateTimeField(null=True, blank=True, editable=False)
    # Derived from end_time when it is written (kept by argus.incident.list_state): whether the
    # incident was open then. Open now implies it (an end time still ahead was ahead then too), so
    # "open" is may_be_open AND end_time > now, and reads only the partial index below. It stays
    # true when a future end time passes; true is always safe, hence the default.
    may_be_open = models.BooleanField(default=True, db_default=True, editable=False)

    class Meta:
        ordering = ["-start_time"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_incident_id", "source"],
                condition=Q(source_incident_id__gt=""),
                name="incident_unique_source_incident_id_per_source",
            ),
        ]
        indexes = [
            models.Index(fields=["-start_time"], name="incident_start_time_desc"),
            models.Index(fields=["end_time", "-start_time"], name="incident_end_time"),
            models.Index(fields=["source", "-start_time"], name="incident_source_start"),
            models.Index(fields=["level"], name="incident_level"),
            # Only (possibly) open incidents: an open list walks these newest first.
            models.Index(fields=["-start_time"], name="incident_open_start", condition=Q(may_be_open=True)),
            # Only acknowledged incidents are in it: creating one (unacked) costs no index entry.
            models.Index(
                fields=["acked_until"], name="incident_acked_until", condition=Q(acked_until__isnull=False)
            ),
        ]

    def __str__(self):
        if self.end_time is None:
            end = "stateless"
        elif is_infinite(self.end_time):
            end = "open"
        else:
            end = f"ended {self.end_time}"
        return f"Incident #{self.pk} at {self.start_time} ({end}) from {self.source}: {self.description}"

    @property
    def stateful(self) -> bool:
        return self.end_time is not None

    @property
    def stateless(self) -> bool:
        return self.end_time is None

    @property
    def open(self) -> bool:
        return self.stateful and self.end_time > timezone.now()

    @property
    def pp_details_url(self) -> str:
        """The details URL, joined onto the source's base URL when it is relative."""
        stripped = (self.details_url or "").strip()
        if not stripped or _is_valid_url(stripped):  # no need for the source
            return stripped
        return details_url_shown(self.details_url, self.source.base_url)


def details_url_shown(details_url: str, base_url: str) -> str:
    """An incident's details URL as shown: joined onto its source's base URL when it is relative."""
    stripped = (details_url or "").strip()
    if not stripped:
        return ""
    if _is_valid_url(stripped):
        return stripped
    base_url = (base_url or "").strip()
    if base_url:
        joined = urljoin(base_url, stripped)
        if _is_valid_url(joined):
            return joined
    return details_url


_url_validator = URLValidator(schemes=["http", "https", "ftp", "ftps"])


def _is_valid_url(value: str) -> bool:
    try:
        _url_validator(value)
    except ValidationError:
        return False
    return True


class Event(models.Model):
    Type = EventType

    id = models.BigAutoField(primary_key=True)
    # db_index=False: event_incident_type (incident, type) serves lookups by incident.
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="events", db_index=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="caused_events"
    )
    timestamp = models.DateTimeField()
    received = models.DateTimeField(default=timezone.now)
    type = models.CharField(choices=EventType.choices, max_length=3)
    description = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-timestamp", "id"]
        indexes = [
            models.Index(fields=["incident", "type"], name="event_incident_type"),
            models.Index(fields=["-timestamp"], name="event_timestamp_desc"),
        ]

    def __str__(self):
        return (
            f"Event #{self.pk} on incident #{self.incident_id}: {self.get_type_display()} at {self.timestamp}"
        )


class Acknowledgement(models.Model):
    event = models.OneToOneField(Event, on_delete=models.PROTECT, primary_key=True, related_name="ack")
    expiration = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-event__timestamp"]
        indexes = [models.Index(fields=["expiration"], name="ack_expiration")]

    def __str__(self):
        return f"Acknowledgement of incident #{self.event.incident_id} by {self.event.actor}"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.expiration is None or self.expiration > now


class IncidentRelationType(models.Model):
    name = models.TextField()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class IncidentRelation(models.Model):
    incident1 = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    incident2 = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    type = models.ForeignKey(
        IncidentRelationType, on_delete=models.PROTECT, related_name="incident_relations"
    )
    description = models.TextField(blank=True, default="")

    def __str__(self):
        return f"Incident #{self.incident1_id} {self.type} #{self.incident2_id}"
