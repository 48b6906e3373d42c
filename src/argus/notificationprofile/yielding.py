"""The notification worker steps aside while other processes keep the machine's CPUs busy.

In an alert storm the source systems' POSTs matter more than a mail arriving a few seconds
sooner: a slowed or timed-out POST is an alert late everywhere (list, websocket, every
profile), and a glue service may drop it. When workers share CPUs with the API servers (one
host, ``docker-compose``, ``make run``) every dispatch first looks at how much of the machine's
CPU time *other* processes used lately: ``/proc/stat`` (all CPUs, steal left out) minus this
process's own CPU time. While that share is at least ``NOTIFICATION_YIELD_CPU`` (0.8) the
worker sleeps in steps of :data:`STEP` seconds and measures again, but it never holds an event
longer than ``NOTIFICATION_YIELD_SECONDS`` (30) after the event's task was queued, and it stops
waiting as soon as the worker is told to stop (SIGTERM/SIGINT/SIGQUIT), so a shutdown never
leaves a claimed task behind.

So a burst shorter than ``NOTIFICATION_YIELD_SECONDS`` is ingested at the speed it would have
with notifications off and notified right after it; under a longer overload mails lag by that
much and the worker takes its share of the CPU again. A worker on a machine of its own never
waits (nothing else is busy there). ``NOTIFICATION_YIELD_SECONDS = 0`` turns this off; without
``/proc/stat`` (not Linux) the worker never waits. Only the database backend's workers wait:
with a backend that runs tasks in the request (the tests' immediate backend) there is no
worker to step aside.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings

logger = logging.getLogger(__name__)

DEFAULT_YIELD_CPU = 0.8
DEFAULT_YIELD_SECONDS = 30.0
STEP = 0.25  # seconds between two looks at the CPUs while waiting
MIN_WINDOW = 0.1  # a shorter window says too little: the previous verdict stands
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGQUIT") if hasattr(signal, name)
)


class CpuMeter:
    """Share of the machine's CPU time used by other processes between two looks."""

    def __init__(
        self,
        stat_path: str = "/proc/stat",
        own_cpu: Callable[[], float] = time.process_time,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.stat_path = stat_path
        self.own_cpu = own_cpu
        self.clock = clock
        self.ticks_per_second = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self._last: tuple[float, int, int, float] | None = None
        self._share: float | None = None

    def _sample(self) -> tuple[float, int, int, float]:
        """(clock, busy ticks, usable ticks, own CPU seconds) now."""
        with open(self.stat_path, "rb") as stat:
            fields = stat.readline().split()
        if not fields or fields[0] != b"cpu":
            raise ValueError(f"unexpected first line in {self.stat_path}")
        # user nice system idle iowait irq softirq steal (guest time is inside user already)
        user, nice, system, idle, iowait, irq, softirq = (int(value) for value in fields[1:8])
        busy = user + nice + system + irq + softirq
        return self.clock(), busy, busy + idle + iowait, self.own_cpu()

    def others_share(self) -> float | None:
        """Fraction (0–1) of CPU time other processes used since the previous call.

        ``None`` when it cannot tell: no ``/proc/stat``, or the first look (there is no window
        yet). A call less than :data:`MIN_WINDOW` seconds after the previous one repeats that
        one's answer.
        """
        try:
            sample = self._sample()
        except (OSError, ValueError):
            return None
        last = self._last
        if last is not None and sample[0] - last[0] < MIN_WINDOW:
            return self._share
        self._last = sample
        if last is None or sample[2] <= last[2]:
            self._share = None
            return None
        others = (sample[1] - last[1]) - (sample[3] - last[3]) * self.ticks_per_second
        self._share = min(1.0, max(0.0, others / (sample[2] - last[2])))
        return self._share


_meter: CpuMeter | None = None


def process_meter() -> CpuMeter:
    """This process's meter: its windows run from one dispatch to the next."""
    global _meter
    if _meter is None:
        _meter = CpuMeter()
    return _meter


def yield_cpu_share() -> float:
    return float(getattr(settings, "NOTIFICATION_YIELD_CPU", DEFAULT_YIELD_CPU))


def yield_seconds() -> float:
    return max(0.0, float(getattr(settings, "NOTIFICATION_YIELD_SECONDS", DEFAULT_YIELD_SECONDS)))


def wait_while_cpus_busy(
    queued_at: float,
    meter: CpuMeter | None = None,
    sleep: Callable[[float], None] | None = None,
    now: Callable[[], float] | None = None,
) -> float:
    """Sleep while others use ``NOTIFICATION_YIELD_CPU`` of the CPUs; returns the seconds slept.

    ``queued_at`` (a POSIX timestamp) is when the event's task was queued: the wait ends
    ``NOTIFICATION_YIELD_SECONDS`` after it whatever the CPUs do.
    """
    limit = yield_seconds()
    if limit <= 0:
        return 0.0
    meter = meter or process_meter()
    sleep, now = sleep or time.sleep, now or time.time
    threshold = yield_cpu_share()
    deadline = queued_at + limit
    slept = 0.0
    share = None
    with stop_requested() as stopping:
        while True:
            share = meter.others_share()
            if share is None or share < threshold or stopping():
                break
            remaining = deadline - now()
            if remaining <= 0:
                break
            step = min(STEP, remaining)
            sleep(step)
            slept += step
    if slept:
        logger.debug(
            "Notification: waited %.2f s while other processes used the CPUs (last look: %s)",
            slept,
            "unknown" if share is None else f"{share:.0%}",
        )
    return slept


@contextmanager
def stop_requested() -> Iterator[Callable[[], bool]]:
    """Yields a function telling whether a stop signal arrived inside the ``with`` block.

    The process's own handlers (``db_worker`` installs them: the first signal lets the running
    task finish) still run; they are put back afterwards. Outside the main thread, or where a
    signal has no Python handler (it ends the process on its own), nothing is wrapped.
    """
    received: list[int] = []
    previous: dict[int, Callable] = {}

    def note(signum, frame):
        received.append(signum)
        previous[signum](signum, frame)

    if threading.current_thread() is threading.main_thread():
        for signum in STOP_SIGNALS:
            handler = signal.getsignal(signum)
            if callable(handler):
                previous[signum] = handler
                signal.signal(signum, note)
    try:
        yield lambda: bool(received)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
