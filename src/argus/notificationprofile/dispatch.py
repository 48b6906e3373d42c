"""Entry point the incident services call for every event they create.

:func:`enqueue_after_commit` writes one :class:`~argus.notificationprofile.models.PendingEvent`
row per event in the caller's own transaction: one small ``INSERT`` for all the events of a
change, no matching, and the events and what must be done about them are committed together or
not at all. Once the transaction has committed, the workers are woken (:func:`wake_workers`).

Waking is cheap and batched: a process enqueues at most one (deferred) run per
``NOTIFICATION_BATCH_WINDOW``, due at the end of the window, and every event it commits in the
meantime is picked up by that run (it cannot start before the events are committed). So a busy
server enqueues a few task rows per second whatever its request rate, and the events of one window
are matched and sent together. If the wake-up is lost (the process died between the commit and the
enqueue, the queue was unreachable), the rows are still there: the sweep finds them. Backends that
cannot defer tasks (the immediate backend of the tests) get one run per commit.

``settings.SEND_NOTIFICATIONS`` (env ``ARGUS_SEND_NOTIFICATIONS``) gates everything.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from argus.notificationprofile.models import PendingEvent
from argus.notificationprofile.tasks import enqueue_run, process_notifications
from argus.util.inserts import insert_rows

logger = logging.getLogger(__name__)

#: Hosts' clocks may differ this much: a run due sooner than this is not relied on.
CLOCK_MARGIN = 0.1

PENDING_EVENT_FIELDS = ("event", "due_at", "attempts", "claim")

_lock = threading.Lock()
_covered_until = 0.0  # monotonic time until which the run this process enqueued last has not started


def enqueue_after_commit(event_ids: list[int]) -> None:
    """Record these events for notification in the current transaction; wake workers after commit."""
    if not event_ids or not settings.SEND_NOTIFICATIONS:
        return
    now = timezone.now()
    insert_rows(PendingEvent, PENDING_EVENT_FIELDS, [(int(event_id), now, 0, "") for event_id in event_ids])
    wake_workers_after_commit()


def pending_events(events) -> list[PendingEvent]:
    """What :func:`enqueue_after_commit` writes for these (unsaved) events, as unsaved rows for
    the caller to insert with them; none when notifications are off. The caller then calls
    :func:`wake_workers_after_commit`."""
    if not settings.SEND_NOTIFICATIONS:
        return []
    now = timezone.now()
    return [PendingEvent(event=event, due_at=now, attempts=0, claim="") for event in events]


def wake_workers_after_commit() -> None:
    transaction.on_commit(wake_workers, robust=True)


def batch_window() -> float:
    return max(0.0, float(settings.NOTIFICATION_BATCH_WINDOW))


def wake_workers() -> None:
    """Make sure a run starts after now: enqueue one unless the one enqueued last is still to start."""
    global _covered_until
    window = batch_window()
    try:
        defers = process_notifications.get_backend().supports_defer
    except Exception:  # a broken TASKS setting: enqueue_run logs why
        defers = False
    if window <= 0 or not defers:
        enqueue_run()
        return
    now = time.monotonic()
    with _lock:
        if now < _covered_until - min(CLOCK_MARGIN, window / 2):
            return
        _covered_until = now + window
    if not enqueue_run(run_after=timezone.now() + datetime.timedelta(seconds=window)):
        with _lock:
            _covered_until = 0.0


def forget_wake_up() -> None:
    """Forget the run this process enqueued last (tests)."""
    global _covered_until
    _covered_until = 0.0
