"""Entry point the incident services call for every event they create.

Each event id becomes one :func:`argus.notificationprofile.tasks.dispatch_event` task. Only
committed events notify, and the request that caused them never waits for (or fails because of)
sending: with the database task backend the task row is written in the event's own transaction
(one commit, and event and task exist together or not at all); with any other backend the task is
enqueued once the transaction commits. ``settings.SEND_NOTIFICATIONS``
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
    if _queue_is_transactional() and transaction.get_connection().in_atomic_block:
        from argus.notificationprofile.tasks import dispatch_event

        # Part of the caller's transaction: a failure here fails (and rolls back) the change.
        for event_id in ids:
            dispatch_event.enqueue(event_id)
    else:
        transaction.on_commit(lambda: enqueue_now(ids), robust=True)


def _queue_is_transactional() -> bool:
    """True when enqueuing writes to the default database, inside the caller's transaction."""
    from django_tasks import task_backends
    from django_tasks_db import DatabaseBackend

    from argus.notificationprofile.tasks import dispatch_event

    try:
        backend = task_backends[dispatch_event.backend]
    except Exception:  # a misconfigured backend is reported by enqueue_now's log
        return False
    return isinstance(backend, DatabaseBackend)


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
