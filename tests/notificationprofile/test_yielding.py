"""The worker steps aside while other processes keep the CPUs busy (``notificationprofile.yielding``)."""

import datetime
import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from argus.notificationprofile import yielding
from argus.notificationprofile.yielding import CpuMeter, wait_while_cpus_busy
from tests.notificationprofile.delivery import (
    DB_TASKS,
    SMTPSink,
    free_port,
    post_incident,
    run_worker,
    smtp_settings,
)

TICKS = os.sysconf("SC_CLK_TCK")


class FakeMachine:
    """A ``/proc/stat`` file, a clock and this process's CPU time, all moved by the test."""

    def __init__(self, path: Path):
        self.path = path
        self.clock = 0.0
        self.own = 0.0
        self.ticks = dict(user=0, nice=0, system=0, idle=0, iowait=0, irq=0, softirq=0, steal=0)
        self.write()

    def write(self):
        values = " ".join(str(self.ticks[name]) for name in self.ticks)
        self.path.write_text(f"cpu  {values} 0 0\ncpu0 {values} 0 0\nintr 1 2 3\n")

    def run(self, seconds, *, user=0, system=0, idle=0, iowait=0, steal=0, own=0.0):
        self.clock += seconds
        self.own += own
        for name, ticks in dict(user=user, system=system, idle=idle, iowait=iowait, steal=steal).items():
            self.ticks[name] += ticks
        self.write()

    def meter(self):
        return CpuMeter(str(self.path), own_cpu=lambda: self.own, clock=lambda: self.clock)


@pytest.fixture
def machine(tmp_path):
    return FakeMachine(tmp_path / "stat")


class TestCpuMeter:
    def test_the_first_look_cannot_tell(self, machine):
        assert machine.meter().others_share() is None

    def test_share_of_cpu_time_others_used_since_the_previous_look(self, machine):
        meter = machine.meter()
        meter.others_share()
        machine.run(1, user=120, system=40, idle=30, iowait=10)
        assert meter.others_share() == pytest.approx(0.8)
        machine.run(1, user=20, idle=180)
        assert meter.others_share() == pytest.approx(0.1)

    def test_own_cpu_time_is_not_counted(self, machine):
        meter = machine.meter()
        meter.others_share()
        machine.run(1, user=150, idle=50, own=100 / TICKS)
        assert meter.others_share() == pytest.approx(0.25)

    def test_time_the_hypervisor_stole_is_neither_busy_nor_usable(self, machine):
        meter = machine.meter()
        meter.others_share()
        machine.run(1, user=50, idle=50, steal=100)
        assert meter.others_share() == pytest.approx(0.5)

    def test_a_window_too_short_repeats_the_previous_verdict(self, machine):
        meter = machine.meter()
        meter.others_share()
        machine.run(1, user=180, idle=20)
        assert meter.others_share() == pytest.approx(0.9)
        machine.run(yielding.MIN_WINDOW / 2, idle=10)
        assert meter.others_share() == pytest.approx(0.9)
        machine.run(yielding.MIN_WINDOW, idle=20)
        assert meter.others_share() == pytest.approx(0.0, abs=1e-9)

    def test_share_stays_between_0_and_1_when_tick_sampling_disagrees_with_own_time(self, machine):
        meter = machine.meter()
        meter.others_share()
        machine.run(1, user=10, idle=190, own=0.5)
        assert meter.others_share() == 0.0

    def test_no_stat_file_cannot_tell(self, tmp_path):
        assert CpuMeter(str(tmp_path / "missing")).others_share() is None

    @pytest.mark.parametrize("content", ["", "intr 1 2\n", "cpu 1 2\n", "cpu a b c d e f g h\n"])
    def test_an_unreadable_stat_file_cannot_tell(self, tmp_path, content):
        path = tmp_path / "stat"
        path.write_text(content)
        meter = CpuMeter(str(path))
        assert meter.others_share() is None
        assert meter.others_share() is None


def spin(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="needs Linux's /proc/stat")
class TestCpuMeterOnThisMachine:
    def test_processes_keeping_every_cpu_busy_are_seen(self):
        meter = CpuMeter()
        hogs = [multiprocessing.Process(target=spin, args=(1.5,)) for _ in range(os.cpu_count() or 1)]
        for hog in hogs:
            hog.start()
        try:
            time.sleep(0.3)
            meter.others_share()
            time.sleep(0.6)
            share = meter.others_share()
        finally:
            for hog in hogs:
                hog.join()
        assert share > 0.6

    def test_this_process_keeping_a_cpu_busy_is_not_counted(self):
        meter = CpuMeter()
        meter.others_share()
        spin(0.5)
        assert meter.others_share() < 0.4


class Looks:
    """A meter answering the given shares in turn (then the last one forever)."""

    def __init__(self, *shares):
        self.shares = list(shares)
        self.count = 0

    def others_share(self):
        self.count += 1
        return self.shares.pop(0) if len(self.shares) > 1 else self.shares[0]


class Clock:
    def __init__(self, start=1000.0):
        self.now = start
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def wait(meter, clock, queued_at=None):
    queued_at = clock.now if queued_at is None else queued_at
    return wait_while_cpus_busy(queued_at, meter=meter, sleep=clock.sleep, now=lambda: clock.now)


class TestWaitWhileCpusBusy:
    @pytest.fixture(autouse=True)
    def limits(self, settings):
        settings.NOTIFICATION_YIELD_SECONDS = 30
        settings.NOTIFICATION_YIELD_CPU = 0.8

    def test_quiet_cpus_do_not_wait(self):
        clock = Clock()
        assert wait(Looks(0.79), clock) == 0
        assert clock.sleeps == []

    def test_busy_cpus_wait_in_steps_until_they_are_quiet(self):
        clock, meter = Clock(), Looks(0.95, 0.8, 0.9, 0.3)
        assert wait(meter, clock) == pytest.approx(3 * yielding.STEP)
        assert clock.sleeps == [yielding.STEP] * 3
        assert meter.count == 4

    def test_never_longer_than_the_limit_after_the_task_was_queued(self):
        clock = Clock()
        slept = wait(Looks(1.0), clock, queued_at=clock.now - 29.9)
        assert slept == pytest.approx(0.1)
        assert clock.sleeps == [pytest.approx(0.1)]

    def test_a_task_queued_longer_ago_than_the_limit_does_not_wait(self):
        clock = Clock()
        assert wait(Looks(1.0), clock, queued_at=clock.now - 31) == 0

    def test_the_limit_bounds_a_long_wait(self):
        clock = Clock()
        assert wait(Looks(1.0), clock) == pytest.approx(30)

    def test_unknown_share_does_not_wait(self):
        clock = Clock()
        assert wait(Looks(None), clock) == 0

    def test_limit_0_never_looks(self, settings):
        settings.NOTIFICATION_YIELD_SECONDS = 0
        clock, meter = Clock(), Looks(1.0)
        assert wait(meter, clock) == 0
        assert meter.count == 0

    def test_the_share_is_a_setting(self, settings):
        settings.NOTIFICATION_YIELD_CPU = 0.5
        clock = Clock()
        assert wait(Looks(0.6, 0.4), clock) == yielding.STEP

    def test_a_stop_signal_ends_the_wait_and_still_reaches_the_process_handler(self):
        received = []
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: received.append(signum))
        try:
            handler = signal.getsignal(signal.SIGTERM)
            clock = Clock()

            def sleep(seconds):
                clock.sleep(seconds)
                if len(clock.sleeps) == 2:
                    os.kill(os.getpid(), signal.SIGTERM)

            slept = wait_while_cpus_busy(clock.now, meter=Looks(1.0), sleep=sleep, now=lambda: clock.now)
            assert slept == pytest.approx(2 * yielding.STEP)
            assert received == [signal.SIGTERM]
            assert signal.getsignal(signal.SIGTERM) is handler
        finally:
            signal.signal(signal.SIGTERM, previous)


@pytest.fixture
def busy_meter(monkeypatch):
    """The worker's meter says the CPUs are busy for the first two looks."""
    meter = Looks(1.0, 1.0, 0.0)
    monkeypatch.setattr(yielding, "_meter", meter)
    return meter


@override_settings(NOTIFICATION_YIELD_SECONDS=30)
def test_the_worker_sends_once_the_cpus_are_quiet(subscriber, source_client, busy_meter):
    port = free_port()
    with SMTPSink(port) as sink, smtp_settings(port), DB_TASKS:
        post_incident(source_client, "storm")
        started = time.monotonic()
        run_worker()
        took = time.monotonic() - started
        (message,) = [message for _, message in sink.wait_for(1)]
    assert "storm" in message["Subject"]
    assert busy_meter.count == 3
    assert took >= 2 * yielding.STEP
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


@override_settings(NOTIFICATION_YIELD_SECONDS=1)
def test_the_worker_waits_at_most_the_limit_after_the_event(subscriber, source_client, monkeypatch):
    meter = Looks(1.0)
    monkeypatch.setattr(yielding, "_meter", meter)
    port = free_port()
    with SMTPSink(port) as sink, smtp_settings(port), DB_TASKS:
        post_incident(source_client, "long storm")
        DBTaskResult.objects.update(enqueued_at=timezone.now() - datetime.timedelta(seconds=0.5))
        started = time.monotonic()
        run_worker()
        took = time.monotonic() - started
        assert len(sink.wait_for(1)) == 1
    assert 0.3 <= took < 1.5
    assert meter.count >= 2


@override_settings(NOTIFICATION_YIELD_SECONDS=30)
def test_tasks_run_in_the_request_never_wait(subscriber, source_client, busy_meter, mailoutbox):
    started = time.monotonic()
    post_incident(source_client, "storm")
    assert time.monotonic() - started < yielding.STEP
    assert busy_meter.count == 0
    assert len(mailoutbox) == 1


@pytest.fixture
def own_signal_handlers():
    """``db_worker`` run in-process installs its handlers in the test process: put ours back."""
    saved = {signum: signal.getsignal(signum) for signum in yielding.STOP_SIGNALS}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


@override_settings(NOTIFICATION_YIELD_SECONDS=30)
def test_sigterm_while_waiting_sends_the_batch_and_stops_the_worker(
    subscriber, source_client, monkeypatch, own_signal_handlers
):
    monkeypatch.setattr(yielding, "_meter", Looks(1.0))
    port = free_port()
    with SMTPSink(port) as sink, smtp_settings(port), DB_TASKS:
        post_incident(source_client, "storm", source_incident_id="s-1")
        post_incident(source_client, "more storm", source_incident_id="s-2")
        stopper = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
        started = time.monotonic()
        stopper.start()
        run_worker()
        took = time.monotonic() - started
        assert len(sink.wait_for(2)) == 2
    assert took < 5
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == ["SUCCESSFUL", "SUCCESSFUL"]
