"""Is a source alive? The one definition, for the liveness API, the dead-source incidents and
``/metrics``.

A source with a ``heartbeat_frequency`` F is monitored. Its reference time R is the later of
``last_seen`` and ``heartbeat_armed_at`` (when monitoring was switched on; a missing one is
ignored), so a source silent since long before it was monitored is not dated back, and one never
seen is still reported. At time t it is

* ``off`` when F is empty;
* ``dead`` when R + F + grace (10 s) < t (equality is not dead);
* ``waiting`` when not dead and nothing was heard since monitoring was armed;
* ``alive`` otherwise.

Its next heartbeat is due at R + F.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from argus.incident.choices import HEARTBEAT_GRACE, LivenessState
from argus.incident.models import SourceSystem


@dataclass(frozen=True)
class Liveness:
    state: str
    next_heartbeat_due: datetime.datetime | None


def reference_time(source: SourceSystem) -> datetime.datetime | None:
    """The later of ``last_seen`` and ``heartbeat_armed_at``; None when neither is set."""
    times = [time for time in (source.last_seen, source.heartbeat_armed_at) if time is not None]
    return max(times) if times else None


def next_heartbeat_due(source: SourceSystem) -> datetime.datetime | None:
    """R + F, or None when the source is not monitored or neither time exists."""
    reference = reference_time(source)
    if source.heartbeat_frequency is None or reference is None:
        return None
    return reference + source.heartbeat_frequency


def heard_since_armed(source: SourceSystem) -> bool:
    if source.last_seen is None:
        return False
    return source.heartbeat_armed_at is None or source.last_seen >= source.heartbeat_armed_at


def liveness(source: SourceSystem, now: datetime.datetime | None = None) -> Liveness:
    """The source's state at ``now`` (default: now) and its next due time."""
    if source.heartbeat_frequency is None:
        return Liveness(LivenessState.OFF, None)
    now = now or timezone.now()
    due = next_heartbeat_due(source)
    if due is not None and due + HEARTBEAT_GRACE < now:
        return Liveness(LivenessState.DEAD, due)
    if not heard_since_armed(source):
        return Liveness(LivenessState.WAITING, due)
    return Liveness(LivenessState.ALIVE, due)


def liveness_state(source: SourceSystem, now: datetime.datetime | None = None) -> str:
    return liveness(source, now).state
