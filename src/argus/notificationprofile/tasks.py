"""The notification worker: turns pending events into deliveries and sends what is due.

The task queue only says "there is work": :func:`process_notifications` takes no arguments and
works on our own records (:mod:`argus.notificationprofile.deliveries`), so any django-tasks
backend will do and a lost, duplicated or stuck task row loses nothing. One run:

1. claims up to ``NOTIFICATION_BATCH_SIZE`` due pending events, matches them (one read of the
   matching tables, one destinations query), leaves out the events a planned maintenance task
   silences (:func:`argus.plannedmaintenance.coverage.silencing_tasks`: one query for the batch,
   logged at INFO with the task ids) and replaces them with their deliveries, held by this worker
   (:func:`deliveries.record_deliveries`);
2. claims up to as many due deliveries (retries after a backoff, and deliveries left by a
   worker that died);
3. sends each delivery through its medium, with its own message id, the mails of the whole batch
   over one SMTP conversation, and records each outcome (sent; due again after the backoff, or
   after the wait the medium asked for with ``RetryLater``; failed for good, at once when the
   medium raised ``PermanentFailure``).

When a batch was full, more may be waiting: the run enqueues another run first, so an idle
worker can share a backlog. A failed attempt enqueues a run for when the earliest retry is due
(on backends that can defer). Anything else that is due (a worker died, an enqueue was lost) is
found by the sweep (:func:`sweep`, a periodic job).
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.mail import get_connection
from django.utils import timezone
from django_tasks import TaskResultStatus, task

from argus.incident.models import Event
from argus.notificationprofile import deliveries
from argus.notificationprofile.deliveries import PlannedDelivery
from argus.notificationprofile.matching import destinations_for_events, load_events
from argus.notificationprofile.models import Delivery, DestinationConfig
from argus.notificationprofile.plugins import (
    PermanentFailure,
    RetryLater,
    get_notification_media,
    installed_media,
)
from argus.notificationprofile.rendering import prefetch_search_texts
from argus.plannedmaintenance.coverage import silencing_tasks
from argus.util import metrics

logger = logging.getLogger(__name__)

QUEUE_NAME = "default"
#: Outcomes of sends are written to the database at least this often (so a worker killed
#: mid-batch repeats at most this many accepted messages).
RECORD_EVERY = 10

_local = threading.local()


@task(queue_name=QUEUE_NAME)
def process_notifications() -> int:
    """Work on the notification records that are due; returns the number of messages attempted.

    A backend that runs tasks in the enqueuing thread (the immediate backend) would run the
    follow-up this run enqueues inside it; such a nested run only asks the outer one to go on,
    so a backlog is worked off in a loop, not a recursion.
    """
    if getattr(_local, "running", False):
        _local.again = True
        return 0
    _local.running = True
    try:
        attempted = 0
        while True:
            _local.again = False
            attempted += process_batch()
            if not _local.again:
                return attempted
    finally:
        _local.running = False


def enqueue_run(*, run_after: datetime.datetime | None = None) -> bool:
    """Enqueue a :func:`process_notifications` run (deferred if ``run_after`` and the backend can).

    Errors are logged, not raised (returns ``False``): what the run would do stays due, and the
    sweep finds it. A backend that cannot defer gets no deferred run: the sweep does the retries.
    """
    try:
        if run_after is None:
            process_notifications.enqueue()
        elif process_notifications.get_backend().supports_defer:
            process_notifications.using(run_after=run_after).enqueue()
        else:
            return False
    except Exception:
        logger.exception("Notification: could not enqueue a notification run; the sweep will find the work")
        return False
    return True


def process_batch() -> int:
    """One batch: match due pending events, take due deliveries, send them all; returns messages attempted."""
    limit = deliveries.batch_size()
    claim, rows = deliveries.claim_pending_events(limit)
    if len(rows) == limit:
        enqueue_run()  # more events may be waiting: another worker may start on them now
    new = match_events(claim, rows) if rows else []
    retry_claim, retried = deliveries.claim_due_deliveries(limit)
    if len(retried) == limit and len(rows) < limit:
        enqueue_run()
    return send_all([(claim, new), (retry_claim, _load_for_sending(retried) if retried else [])])


@dataclass
class Sending:
    """A delivery held by this worker, with what sending it needs."""

    delivery: Delivery
    event: Event | None
    destinations: list[DestinationConfig]


def match_events(claim: str, rows) -> list[Sending]:
    """Work out the deliveries of the claimed pending events and record them (held by ``claim``)."""
    try:
        events = load_events([row.event_id for row in rows])
        found = [events[row.event_id] for row in rows if row.event_id in events]
        matched = destinations_for_events(found)
        silenced = silencing_tasks(
            [event for event, destinations in zip(found, matched, strict=True) if destinations]
        )
        plans = {}
        for event, destinations in zip(found, matched, strict=True):
            if event.pk in silenced:
                _log_silenced(event, silenced[event.pk], destinations)
                destinations = []
            plans[event.pk] = [
                PlannedDelivery(slug, address, group)
                for slug, medium in get_notification_media(destinations).items()
                for address, group in medium.group_by_address(destinations).items()
            ]
        prefetch_search_texts([events[event_id] for event_id, planned in plans.items() if planned])
        recorded = deliveries.record_deliveries(claim, rows, plans)
    except Exception as error:
        due_again = deliveries.release_pending_events(claim, rows, error)
        if due_again is not None:
            enqueue_run(run_after=due_again)
        return []
    return [Sending(delivery, events[delivery.event_id], plan.destinations) for delivery, plan in recorded]


def _log_silenced(event: Event, task_ids: list[int], destinations: list[DestinationConfig]) -> None:
    metrics.NOTIFICATIONS_SUPPRESSED.labels("maintenance").inc()
    logger.info(
        "Notification: event %s (%s) on incident %s not sent to %d destination(s): "
        "under planned maintenance %s",
        event.pk,
        event.type,
        event.incident_id,
        len(destinations),
        ", ".join(f"#{task_id}" for task_id in task_ids),
    )


def _load_for_sending(held: Sequence[Delivery]) -> list[Sending]:
    """Events (with what rendering reads) and destinations of deliveries taken for another attempt."""
    events = load_events(sorted({delivery.event_id for delivery in held}))
    prefetch_search_texts(list(events.values()))
    destination_ids = {pk for delivery in held for pk in delivery.destination_ids}
    destinations = DestinationConfig.objects.select_related("media").in_bulk(destination_ids)
    return [
        Sending(
            delivery,
            events.get(delivery.event_id),
            [destinations[pk] for pk in delivery.destination_ids if pk in destinations],
        )
        for delivery in held
    ]


# --- sending ---------------------------------------------------------------------------------------


class SharedMailConnection:
    """One SMTP conversation for the mails of a batch, opened when the first mail needs it.

    If it cannot be opened, every mail of the batch fails its attempt with that error at once
    (the relay is down: trying each mail would wait ``EMAIL_TIMEOUT`` per mail). After a failed
    send it is closed (the conversation may be unusable) and the next mail opens it again, once.
    """

    def __init__(self, wanted: bool):
        self.wanted = wanted
        self.connection = None
        self.error: Exception | None = None

    def get(self):
        """(connection or ``None``, the error that prevents opening one or ``None``)."""
        if not self.wanted or self.error is not None:
            return None, self.error
        if self.connection is None:
            connection = get_connection(fail_silently=False)
            try:
                connection.open()
            except Exception as error:
                self.error = error
                return None, error
            self.connection = connection
        return self.connection, None

    def discard(self) -> None:
        if self.connection is not None:
            _close_quietly(self.connection)
            self.connection = None

    def close(self) -> None:
        self.discard()


def _uses_mail(medium) -> bool:
    return bool(getattr(medium, "ACCEPTS_MAIL_CONNECTION", False))


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception:
        logger.debug("Notification: closing the shared mail connection failed", exc_info=True)


class Outcomes:
    """Records outcomes of the sends of one claim; sent ones in groups (one ``UPDATE`` each)."""

    def __init__(self, claim: str):
        self.claim = claim
        self.sent: list[int] = []
        self.earliest_retry: datetime.datetime | None = None

    def accepted(self, delivery: Delivery) -> None:
        metrics.NOTIFICATIONS_SENT.labels(delivery.medium).inc()
        self.sent.append(delivery.pk)
        if len(self.sent) >= RECORD_EVERY:
            self.flush()

    def attempt_failed(self, delivery: Delivery, error, *, retry_after=None, permanent=False) -> None:
        outcome = deliveries.mark_attempt_failed(
            self.claim, delivery, error, retry_after=retry_after, permanent=permanent
        )
        metrics.NOTIFICATIONS_FAILED.labels(
            delivery.medium, metrics.boolean_label(outcome.due_at is None)
        ).inc()
        if outcome.due_at is not None and (
            self.earliest_retry is None or outcome.due_at < self.earliest_retry
        ):
            self.earliest_retry = outcome.due_at

    def impossible(self, delivery: Delivery, reason: str) -> None:
        deliveries.mark_failed(self.claim, delivery, reason)
        metrics.NOTIFICATIONS_FAILED.labels(delivery.medium, "true").inc()

    def flush(self) -> None:
        deliveries.mark_sent(self.sent)
        self.sent = []


def send_all(batches: list[tuple[str, list[Sending]]]) -> int:
    """Send every held delivery; record each outcome. Returns the number of messages attempted."""
    media = installed_media()
    mails = sum(
        1 for _claim, items in batches for item in items if _uses_mail(media.get(item.delivery.medium))
    )
    shared = SharedMailConnection(wanted=mails >= 2)
    attempted = 0
    earliest_retry = None
    try:
        for claim, items in batches:
            outcomes = Outcomes(claim)
            try:
                attempted += _send_held(claim, items, media, shared, outcomes)
            finally:
                outcomes.flush()
            if outcomes.earliest_retry and (
                earliest_retry is None or outcomes.earliest_retry < earliest_retry
            ):
                earliest_retry = outcomes.earliest_retry
    finally:
        shared.close()
    if earliest_retry is not None:
        enqueue_run(run_after=earliest_retry)
    return attempted


def _send_held(
    claim: str, items: list[Sending], media, shared: SharedMailConnection, outcomes: Outcomes
) -> int:
    lease = deliveries.lease().total_seconds()
    renew_at = time.monotonic() + lease / 2
    attempted = 0
    queue = list(items)
    while queue:
        if time.monotonic() >= renew_at:
            # A slow batch (a relay that answers slowly): keep what is left, unless another worker
            # took it over meanwhile (this one was stalled past its lease).
            outcomes.flush()
            still_held = deliveries.renew_lease(claim, [item.delivery.pk for item in queue])
            queue = [item for item in queue if item.delivery.pk in still_held]
            renew_at = time.monotonic() + lease / 2
            continue
        attempted += 1
        send_one(queue.pop(0), media, shared, outcomes)
    return attempted


def send_one(item: Sending, media, shared: SharedMailConnection, outcomes: Outcomes) -> None:
    delivery = item.delivery
    medium = media.get(delivery.medium)
    if medium is None:
        outcomes.impossible(delivery, f"The medium {delivery.medium!r} is not installed.")
        return
    if item.event is None:  # deleted meanwhile (its deliveries go with it)
        return
    destinations = [d for d in item.destinations if medium.get_address(d) == delivery.address]
    if not destinations:
        outcomes.impossible(delivery, "No destination has this address any more.")
        return
    if delivery.attempts == 1:  # its first attempt
        delay = (timezone.now() - item.event.received).total_seconds()
        metrics.DISPATCH_DELAY.labels(delivery.medium).observe(max(0.0, delay))
    kwargs = {}
    if _uses_mail(medium):
        connection, error = shared.get()
        if error is not None:
            outcomes.attempt_failed(delivery, error)
            return
        if connection is not None:
            kwargs["connection"] = connection
    if getattr(medium, "ACCEPTS_MESSAGE_ID", False):
        kwargs["message_id"] = str(delivery.message_id)
    if getattr(medium, "ACCEPTS_ATTEMPT", False):
        kwargs["attempt"] = delivery.attempts
    try:
        sent = medium.send(item.event, destinations, **kwargs)
    except RetryLater as error:  # the medium's own account of the failure ("HTTP 503")
        outcomes.attempt_failed(delivery, str(error), retry_after=error.retry_after)
        return
    except PermanentFailure as error:
        outcomes.attempt_failed(delivery, str(error), permanent=True)
        return
    except Exception as error:
        if "connection" in kwargs:
            shared.discard()
        outcomes.attempt_failed(delivery, error)
        return
    if sent:
        outcomes.accepted(delivery)
    else:
        outcomes.impossible(delivery, "The medium sent nothing (see the worker's log).")


# --- the sweep (a periodic job) --------------------------------------------------------------------

_last_sweep_run = None


def sweep() -> bool:
    """Enqueue a run if any record is due (left by a dead worker, a lost enqueue, a retry).

    Idempotent: while the run it enqueued last is still waiting (backends that report results),
    it enqueues no other. Returns whether it enqueued one.
    """
    global _last_sweep_run
    if not deliveries.work_is_due():
        return False
    waiting = _last_sweep_run
    if waiting is not None:
        try:
            waiting.refresh()
        except Exception:
            waiting = None
        if waiting is not None and waiting.status == TaskResultStatus.READY:
            return False
    try:
        _last_sweep_run = process_notifications.enqueue()
    except Exception:
        logger.exception("Notification: the sweep could not enqueue a notification run")
        return False
    if not process_notifications.get_backend().supports_get_result:
        _last_sweep_run = None
    return True
