"""Let one running ``dispatch_event`` task take the other dispatch tasks waiting in the queue.

The queue keeps one task per event (notifications.md §16.3), and with the database backend
``db_worker`` runs them one at a time: each costs a claim (a locking SELECT, an UPDATE, a commit)
and a finish (an UPDATE, a commit) on top of loading and matching its event and talking to the
mail server. When events arrive faster than that, the running dispatch claims up to
``NOTIFICATION_BATCH_SIZE - 1`` other ready ``dispatch_event`` tasks of its queue and backend
(and, if it found fewer, looks once more after ``NOTIFICATION_BATCH_WINDOW`` seconds) with
one ``SELECT ... FOR UPDATE SKIP LOCKED`` (an exclusive transaction on SQLite) and one UPDATE,
exactly as ``db_worker`` claims a task: RUNNING, ``started_at``, the worker's id. It then
dispatches all the events together and finishes each claimed task with its own event's result.
Other workers skip the locked rows, so no event is dispatched twice; a task the batch claimed is
never left READY to be run again. If the worker dies mid-batch the claimed tasks stay RUNNING, as
the task ``db_worker`` itself was running would.

Only database-backend tasks are claimed: with any other backend (the immediate backend of the
tests, say) there is no queue to look into and each task runs alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from traceback import format_exception

from django.db import transaction
from django.utils import timezone
from django_tasks import task_backends
from django_tasks.base import TaskResultStatus

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClaimedDispatch:
    task_id: str
    event_id: int
    attempt: int


def database_backend(task_or_result):
    """The backend of a task (or task result) if it is a django-tasks-db one, else ``None``."""
    from django_tasks_db import DatabaseBackend

    try:
        backend = task_backends[task_or_result.backend]
    except Exception:
        return None
    return backend if isinstance(backend, DatabaseBackend) else None


def gather_queued_dispatches(task, task_result, limit: int, window: float) -> list[ClaimedDispatch]:
    """Claim up to ``limit`` queued tasks of ``task``; if fewer wait, look once more after ``window`` s.

    The second look keeps a worker that is busy with a steady trickle of events (it never sleeps
    its polling interval, since every poll finds a task) from sending batches of one or two: the
    events of the next ``window`` seconds go with these. A claim that fails (the database went
    away) is logged and claims nothing: the running task still dispatches its own event, and
    the others stay queued.
    """
    if limit <= 0 or database_backend(task_result) is None:
        return []
    claimed = _claim_or_log(task, task_result, limit)
    if len(claimed) < limit and window > 0:
        time.sleep(window)
        claimed += _claim_or_log(task, task_result, limit - len(claimed))
    return claimed


def _claim_or_log(task, task_result, limit: int) -> list[ClaimedDispatch]:
    try:
        return claim_queued_dispatches(task, task_result, limit)
    except Exception:
        logger.exception("Notification: could not take the queued dispatch tasks; dispatching one event")
        return []


def _dispatch_arguments(args_kwargs) -> tuple[int, int] | None:
    """(event id, attempt) of a stored ``dispatch_event`` call, or ``None`` if it is malformed."""
    try:
        args = list(args_kwargs.get("args") or ())
        kwargs = args_kwargs.get("kwargs") or {}
        event_id = kwargs.get("event_id", args[0] if args else None)
        attempt = kwargs.get("attempt", args[1] if len(args) > 1 else 1)
        return int(event_id), int(attempt)
    except (AttributeError, TypeError, ValueError):
        return None


def claim_queued_dispatches(task, task_result, limit: int) -> list[ClaimedDispatch]:
    """Claim up to ``limit`` ready tasks of ``task`` queued beside the running ``task_result``.

    ``task_result`` is a task of the database backend (:func:`gather_queued_dispatches` checks).
    A row whose arguments cannot be read is left READY: ``db_worker`` runs it alone and records
    why it fails.
    """
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    queued = (
        DBTaskResult.objects.ready()
        .filter(
            backend_name=task_result.backend,
            queue_name=task_result.task.queue_name,
            task_path=task.module_path,
        )
        .exclude(pk=task_result.id)
    )
    worker_ids = list(task_result.worker_ids[-1:])
    claimed = []
    with exclusive_transaction(queued.db):
        for pk, args_kwargs in queued.select_for_update(skip_locked=True).values_list("pk", "args_kwargs")[
            :limit
        ]:
            arguments = _dispatch_arguments(args_kwargs)
            if arguments is not None:
                claimed.append(ClaimedDispatch(str(pk), *arguments))
        if claimed:
            DBTaskResult.objects.filter(pk__in=[claim.task_id for claim in claimed]).update(
                status=TaskResultStatus.RUNNING, started_at=timezone.now(), worker_ids=worker_ids
            )
    return claimed


def finish_successful(claimed: Sequence[ClaimedDispatch], return_values: Sequence) -> None:
    """Mark each claimed task SUCCESSFUL with its own return value (one UPDATE per distinct value)."""
    if not claimed:
        return
    from django_tasks_db.models import DBTaskResult

    by_value: dict = {}
    for claim, value in zip(claimed, return_values, strict=True):
        by_value.setdefault(value, []).append(claim.task_id)
    now = timezone.now()
    try:
        with transaction.atomic():
            for value, task_ids in by_value.items():
                DBTaskResult.objects.filter(pk__in=task_ids).update(
                    status=TaskResultStatus.SUCCESSFUL,
                    finished_at=now,
                    return_value=value,
                    exception_class_path="",
                    traceback="",
                )
    except Exception:
        logger.exception("Notification: could not mark %d dispatched task(s) as finished", len(claimed))


def finish_failed(claimed: Sequence[ClaimedDispatch], error: BaseException) -> None:
    """Mark each claimed task FAILED with ``error``, as ``db_worker`` marks a task that raised."""
    if not claimed:
        return
    from django_tasks_db.models import DBTaskResult

    try:
        DBTaskResult.objects.filter(pk__in=[claim.task_id for claim in claimed]).update(
            status=TaskResultStatus.FAILED,
            finished_at=timezone.now(),
            return_value=None,
            exception_class_path=f"{type(error).__module__}.{type(error).__qualname__}",
            traceback="".join(format_exception(error)),
        )
    except Exception:
        logger.exception("Notification: could not mark %d claimed task(s) as failed", len(claimed))
