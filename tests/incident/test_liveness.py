"""A source's liveness state at the boundaries: off, waiting, alive, dead (grace 10 s)."""

from datetime import datetime, timedelta

import pytest

from argus.incident.choices import LivenessState
from argus.incident.liveness import liveness, next_heartbeat_due
from argus.incident.models import SourceSystem

T = datetime.fromisoformat("2026-11-22T12:00:00+00:00")
MINUTE = timedelta(minutes=1)


def source(last_seen=None, frequency=MINUTE, armed_at=None):
    return SourceSystem(last_seen=last_seen, heartbeat_frequency=frequency, heartbeat_armed_at=armed_at)


def state(src, now=T):
    return liveness(src, now).state


def test_a_source_without_frequency_is_off_whatever_it_did():
    assert state(source(last_seen=T - timedelta(days=9), frequency=None)) == LivenessState.OFF
    assert liveness(source(frequency=None)).next_heartbeat_due is None


def test_a_source_armed_and_never_seen_is_waiting_until_its_first_heartbeat_is_overdue():
    armed = T - MINUTE
    assert state(source(armed_at=armed)) == LivenessState.WAITING
    assert liveness(source(armed_at=armed), T).next_heartbeat_due == T


def test_a_source_never_seen_is_dead_once_frequency_and_grace_have_passed_since_arming():
    armed = T - MINUTE - timedelta(seconds=10)
    assert state(source(armed_at=armed)) == LivenessState.WAITING  # equality is not dead
    assert state(source(armed_at=armed - timedelta(microseconds=1))) == LivenessState.DEAD


def test_a_source_seen_since_arming_is_alive_until_the_grace_is_over():
    seen = T - MINUTE - timedelta(seconds=10)
    src = source(last_seen=seen, armed_at=seen - timedelta(hours=1))
    assert state(src) == LivenessState.ALIVE
    assert state(src, T + timedelta(microseconds=1)) == LivenessState.DEAD


def test_silence_before_monitoring_was_armed_does_not_count():
    src = source(last_seen=T - timedelta(days=365), armed_at=T - timedelta(seconds=30))
    assert state(src) == LivenessState.WAITING
    assert next_heartbeat_due(src) == T + timedelta(seconds=30)


def test_the_due_time_follows_the_later_of_last_seen_and_arming():
    src = source(last_seen=T - timedelta(seconds=20), armed_at=T - timedelta(seconds=50))
    assert next_heartbeat_due(src) == T + timedelta(seconds=40)
    assert state(src) == LivenessState.ALIVE


def test_a_monitored_source_with_neither_time_is_waiting_and_has_no_due_time():
    src = source()
    assert state(src) == LivenessState.WAITING
    assert next_heartbeat_due(src) is None


@pytest.mark.parametrize("frequency", [timedelta(days=1)])
def test_a_day_long_frequency_is_a_day_long(frequency):
    seen = T - frequency
    assert state(source(last_seen=seen, frequency=frequency, armed_at=seen)) == LivenessState.ALIVE
