"""Entry point the incident services call for every event they create.

Each event id becomes one :func:`argus.notificationprofile.tasks.dispatch_event` task. Only
committed events notify, and the request that caused them never waits for (or fails because of)
sending: with the database task backend the task rows are written in the events' own transaction
(one commit, and event and task exist together or not at all), all of a change's events in one
``INSERT``; with any other backend the tasks are enqueued once the transaction commits. ``settings.SEND_NOTIFICATIONS``
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
    from argus.notificationprofile.batch import database_backend
    from argus.notificationprofile.tasks import dispatch_event

    ids = [int(event_id) for event_id in event_ids]
    # A database backend writes to the default database, inside the caller's transaction (a
    # misconfigured backend counts as not one: enqueue_now's log reports it).
    backend = database_backend(dispatch_event)
    if backend is not None and transaction.get_connection().in_atomic_block:
        # Part of the caller's transaction: a failure here fails (and rolls back) the change.
        write_dispatch_tasks(backend, ids)
    else:
        transaction.on_commit(lambda: enqueue_now(ids), robust=True)


def write_dispatch_tasks(backend, event_ids: list[int]) -> None:
    """One ``INSERT`` of a ``dispatch_event`` task row per event, as the database backend writes them.

    ``dispatch_event.enqueue`` costs the request ~0.7 ms of CPU per task (a model save, then two
    ``TaskResult`` conversions for the return value and the ``task_enqueued`` signal, which only
    logs); these rows are the same (state READY, arguments ``[event_id]``, the task's priority,
    path and queue, the backend's id function, "run after" = no delay, as the backend's
    ``pre_save`` handler sets it) for ~0.4 ms, and a bulk change of N incidents costs one
    ``INSERT`` instead of N.
    """
    from django_tasks_db.models import DBTaskResult, get_date_max

    from argus.notificationprofile.tasks import dispatch_event

    no_delay = get_date_max()
    DBTaskResult.objects.bulk_create(
        [
            DBTaskResult(
                id=backend._get_id(),
                args_kwargs={"args": [event_id], "kwargs": {}},
                priority=dispatch_event.priority,
                task_path=dispatch_event.module_path,
                queue_name=dispatch_event.queue_name,
                backend_name=backend.alias,
                run_after=no_delay,
            )
            for event_id in event_ids
        ]
    )
    logger.debug("Notification: dispatch of event(s) %s queued", event_ids)


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
