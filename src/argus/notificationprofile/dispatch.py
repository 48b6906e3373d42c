"""Entry point the incident services call for every event they create.

Each event id becomes one :func:`argus.notificationprofile.tasks.dispatch_event` task, enqueued
once the surrounding transaction commits, so only committed events notify and the request that
caused them never waits for (or fails because of) sending. ``settings.SEND_NOTIFICATIONS``
(env ``ARGUS_SEND_NOTIFICATIONS``) gates everything.
"""

import logging

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_after_commit(event_ids: list[int]) -> None:
    """Schedule notification processing of these events once the current transaction commits."""
    if not event_ids or not getattr(settings, "SEND_NOTIFICATIONS", False):
        return
    ids = [int(event_id) for event_id in event_ids]
    transaction.on_commit(lambda: enqueue_now(ids), robust=True)


def enqueue_now(event_ids: list[int]) -> int:
    """Enqueue one dispatch task per event; returns how many were enqueued.

    Enqueue errors are logged, never raised: the caller's change is already committed.
    """
    from argus.notificationprofile.tasks import dispatch_event

    enqueued = 0
    for event_id in event_ids:
        try:
            dispatch_event.enqueue(event_id)
        except Exception:
            logger.exception("Notification: could not enqueue dispatch of event %s", event_id)
        else:
            enqueued += 1
    return enqueued
