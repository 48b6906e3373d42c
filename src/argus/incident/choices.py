"""Named constants of the incident app."""

import datetime

from django.db import models


class Level(models.IntegerChoices):
    CRITICAL = 1, "Critical"
    HIGH = 2, "High"
    MODERATE = 3, "Moderate"
    LOW = 4, "Low"
    INFORMATION = 5, "Information"


MIN_INCIDENT_LEVEL = min(Level.values)
MAX_INCIDENT_LEVEL = max(Level.values)
DEFAULT_INCIDENT_LEVEL = Level.INFORMATION


class EventType(models.TextChoices):
    INCIDENT_START = "STA", "Incident start"
    INCIDENT_END = "END", "Incident end"
    INCIDENT_CHANGE = "CHI", "Incident change"
    CLOSE = "CLO", "Close"
    REOPEN = "REO", "Reopen"
    ACKNOWLEDGE = "ACK", "Acknowledge"
    OTHER = "OTH", "Other"
    STATELESS = "LES", "Stateless"


ALLOWED_TYPES_FOR_SOURCE_SYSTEMS = {
    EventType.INCIDENT_START,
    EventType.INCIDENT_END,
    EventType.INCIDENT_CHANGE,
    EventType.STATELESS,
    EventType.OTHER,
}
ALLOWED_TYPES_FOR_END_USERS = {
    EventType.CLOSE,
    EventType.REOPEN,
    EventType.ACKNOWLEDGE,
    EventType.OTHER,
}
CLOSING_TYPES = {EventType.INCIDENT_END, EventType.CLOSE}


# Source liveness (argus.incident.liveness): how often a monitored source must report, and the
# grace after its due time before it counts as dead.
MIN_HEARTBEAT_FREQUENCY = datetime.timedelta(seconds=60)
MAX_HEARTBEAT_FREQUENCY = datetime.timedelta(days=1)
HEARTBEAT_GRACE = datetime.timedelta(seconds=10)
#: An implicit ``last_seen`` (any API request by the source) is not written again within this time.
LAST_SEEN_RESOLUTION = datetime.timedelta(seconds=5)


class LivenessState(models.TextChoices):
    OFF = "off", "Not monitored"
    WAITING = "waiting", "Waiting for the first heartbeat"
    ALIVE = "alive", "Alive"
    DEAD = "dead", "Dead"
