"""The notification records and their rules: what must be sent, who holds it, what became of it.

Notifications go through two tables of ours, so that nothing depends on the task queue keeping
its own rows:

* :class:`PendingEvent`: one row per event to notify, written in the event's own transaction
  (no matching in the request). A worker matches the event and, in one transaction, replaces the
  row with the event's deliveries.
* :class:`Delivery`: one row per (event, medium, address), with its state::

      pending --the medium accepted it------------------------------------> sent
      pending --an attempt failed, attempts left---> pending (due after the backoff)
      pending --the last attempt failed------------------------------------> failed
      pending --taken with no attempt left (the last one never reported)--> failed

  ``sent`` and ``failed`` are final: a sent delivery is never sent again.

**The lease rule**, the same for both tables: a record whose ``due_at`` has passed is free to
take. Taking it (a *claim*, one ``UPDATE``) sets ``due_at`` to the end of the worker's lease
(``NOTIFICATION_LEASE``), counts an attempt and stamps it with the claim's token, so no other
worker takes it while it is held; the worker then finishes it (sent, failed, or due again after
the backoff) or, if it dies, leaves it to be taken again when the lease ends. A worker that was
too slow (past its lease) notices through the token and leaves the records to whoever took them.

The worker side is :mod:`argus.notificationprofile.tasks`; the request side
:mod:`argus.notificationprofile.dispatch`.
"""

from __future__ import annotations

import datetime
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Subquery
from django.utils import timezone

from argus.notificationprofile.models import Delivery, DestinationConfig, PendingEvent

logger = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 2000
PRUNE_CHUNK = 5000

PENDING, SENT, FAILED = Delivery.State.PENDING, Delivery.State.SENT, Delivery.State.FAILED


# --- settings --------------------------------------------------------------------------------------


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=float(settings.NOTIFICATION_LEASE))


def max_attempts() -> int:
    return max(1, int(settings.NOTIFICATION_MAX_ATTEMPTS))


def retry_delay(attempt: int) -> datetime.timedelta:
    """The wait after failed attempt number ``attempt`` (1-based): base * 2**(attempt-1), capped."""
    base = float(settings.NOTIFICATION_RETRY_DELAY)
    return datetime.timedelta(seconds=min(base * 2 ** min(attempt - 1, 62), max_retry_seconds()))


def max_retry_seconds() -> float:
    return float(settings.NOTIFICATION_MAX_RETRY_DELAY)


def batch_size() -> int:
    return max(1, int(settings.NOTIFICATION_BATCH_SIZE))


def log_retention_days() -> float:
    return max(0.0, float(settings.NOTIFICATION_LOG_RETENTION_DAYS))


# --- the state machine -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AfterFailure:
    """What a failed attempt leaves: the state, and when the delivery is due again (if pending)."""

    state: str
    due_at: datetime.datetime | None


def after_failure(
    attempts: int, now: datetime.datetime, *, retry_after: float | None = None, permanent: bool = False
) -> AfterFailure:
    """Attempt number ``attempts`` failed: back off, or fail for good when it was the last allowed.

    ``permanent``: the receiver refused the message for good, no other attempt. ``retry_after``:
    the receiver asked to wait at least so many seconds; the delay is the longer of that and the
    backoff, capped by ``NOTIFICATION_MAX_RETRY_DELAY``.
    """
    if permanent or attempts >= max_attempts():
        return AfterFailure(FAILED, None)
    delay = retry_delay(attempts)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, datetime.timedelta(seconds=min(retry_after, max_retry_seconds())))
    return AfterFailure(PENDING, now + delay)


def error_text(error: BaseException | str) -> str:
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return text[:MAX_ERROR_LENGTH]


# --- claims (the lease rule) -----------------------------------------------------------------------


def new_claim() -> str:
    return secrets.token_hex(8)


def _due(queryset, now):
    """The records of ``queryset`` free to take now, oldest due first, skipping rows being claimed."""
    due = queryset.filter(due_at__lte=now).order_by("due_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True)
    return due


def _claim(queryset, limit: int, now, **also) -> tuple[str, list, list]:
    """Take up to ``limit`` due rows of ``queryset``: (the claim's token, the rows taken that have
    attempts left, those whose attempts are used up).

    One ``UPDATE`` (setting ``also`` too) whose subquery skips rows other workers are claiming
    (PostgreSQL); on SQLite the statement itself is atomic. The rows are then read back by their
    new ``due_at`` and token.
    """
    claim, lease_end = new_claim(), now + lease()
    with transaction.atomic():
        taken = queryset.model.objects.filter(
            pk__in=Subquery(_due(queryset, now).values("pk")[:limit])
        ).update(due_at=lease_end, attempts=F("attempts") + 1, claim=claim, **also)
    if not taken:
        return claim, [], []
    rows = list(queryset.filter(due_at=lease_end, claim=claim).order_by("pk"))
    allowed = max_attempts()
    return (
        claim,
        [row for row in rows if row.attempts <= allowed],
        [row for row in rows if row.attempts > allowed],
    )


def claim_pending_events(limit: int, *, now=None) -> tuple[str, list[PendingEvent]]:
    """Take up to ``limit`` due pending events: (the claim's token, the rows taken)."""
    claim, rows, exhausted = _claim(PendingEvent.objects.all(), limit, now or timezone.now())
    if exhausted:
        # Every allowed match of these events failed or never finished (a worker died on it each
        # time): an event that kills the worker must not block the others forever.
        PendingEvent.objects.filter(pk__in=[row.pk for row in exhausted], claim=claim).delete()
        logger.error(
            "Notification: giving up on event(s) %s after %d attempts to work out their notifications",
            [row.event_id for row in exhausted],
            max_attempts(),
        )
    return claim, rows


def claim_due_deliveries(limit: int, *, now=None) -> tuple[str, list[Delivery]]:
    """Take up to ``limit`` due pending deliveries (retries, and those left by a dead worker).

    Each taken delivery counts an attempt. One whose attempts were all used already (its last
    attempt never reported: the worker died during it) fails for good instead of being returned.
    """
    now = now or timezone.now()
    pending = Delivery.objects.filter(state=PENDING)
    claim, rows, exhausted = _claim(pending, limit, now, last_attempt_at=now)
    if exhausted:
        pending.filter(pk__in=[row.pk for row in exhausted], claim=claim).update(
            state=FAILED,
            due_at=None,
            last_error=error_text(
                f"No outcome was recorded for attempt {max_attempts()} (the worker stopped)."
            ),
        )
        for row in exhausted:
            logger.error("Notification: %s failed for good: no attempt left", describe(row))
    return claim, rows


def renew_lease(claim: str, ids: Sequence[int], *, now=None) -> set[int]:
    """Extend the lease on these deliveries; returns the ids still held (others were taken over)."""
    now = now or timezone.now()
    lease_end = now + lease()
    Delivery.objects.filter(pk__in=list(ids), claim=claim, state=PENDING).update(due_at=lease_end)
    return set(
        Delivery.objects.filter(pk__in=list(ids), claim=claim, state=PENDING).values_list("pk", flat=True)
    )


# --- from pending events to deliveries -------------------------------------------------------------


@dataclass(frozen=True)
class PlannedDelivery:
    """A message matching decided on: medium slug, address and the destinations sharing it."""

    medium: str
    address: str
    destinations: list[DestinationConfig]


def recipients_of(destinations: Iterable[DestinationConfig]) -> str:
    names = sorted({destination.user.username for destination in destinations})
    return ", ".join(names)[:500]


def record_deliveries(
    claim: str, rows: Sequence[PendingEvent], plans: dict[int, list[PlannedDelivery]], *, now=None
) -> list[tuple[Delivery, PlannedDelivery]]:
    """Replace the claimed pending events by their deliveries, in one transaction.

    The deliveries are created held by the same claim (attempt 1 starts now). ``plans`` maps an
    event id to its planned deliveries (an event missing from it has nothing to send). Returns
    each new delivery with its plan; nothing, changing nothing, when some of the rows are no
    longer held by ``claim`` (this worker was slower than its lease and another took them): the
    others are taken again when the lease ends.
    """
    now = now or timezone.now()
    lease_end = now + lease()
    planned = [(row, plan) for row in rows for plan in plans.get(row.event_id, ())]
    deliveries = [
        Delivery(
            event_id=row.event_id,
            medium=plan.medium,
            address=plan.address[:500],
            recipients=recipients_of(plan.destinations),
            destination_ids=[destination.pk for destination in plan.destinations],
            attempts=1,
            due_at=lease_end,
            claim=claim,
            created_at=now,
            last_attempt_at=now,
        )
        for row, plan in planned
    ]
    with transaction.atomic():
        deleted, _by_model = PendingEvent.objects.filter(
            pk__in=[row.pk for row in rows], claim=claim
        ).delete()
        if deleted != len(rows):
            transaction.set_rollback(True)
            logger.warning(
                "Notification: the lease on events %s ran out before they were matched; leaving them to "
                "the worker that took them",
                [row.event_id for row in rows],
            )
            return []
        if deliveries:
            Delivery.objects.bulk_create(deliveries)
    return [(delivery, plan) for delivery, (_row, plan) in zip(deliveries, planned, strict=True)]


def release_pending_events(
    claim: str, rows: Sequence[PendingEvent], error: BaseException, *, now=None
) -> datetime.datetime | None:
    """Matching these events failed (the database went away, ...): due again after the backoff.

    Returns when the first of them is due again (``None`` if all were given up).
    """
    now = now or timezone.now()
    earliest = None
    for row in rows:
        outcome = after_failure(row.attempts, now)
        queryset = PendingEvent.objects.filter(pk=row.pk, claim=claim)
        if outcome.state == FAILED:
            queryset.delete()
            logger.error(
                "Notification: working out the notifications of event %s failed %d times, giving up: %s",
                row.event_id,
                row.attempts,
                error,
            )
        else:
            queryset.update(due_at=outcome.due_at)
            earliest = outcome.due_at if earliest is None else min(earliest, outcome.due_at)
            logger.warning(
                "Notification: working out the notifications of event %s failed (attempt %d/%d): %s",
                row.event_id,
                row.attempts,
                max_attempts(),
                error,
            )
    return earliest


# --- outcomes --------------------------------------------------------------------------------------


def describe(delivery: Delivery) -> str:
    """How the log names a delivery: medium, address, event, message id and destination ids."""
    return (
        f"{delivery.medium} to {delivery.address!r} about event {delivery.event_id} "
        f"(delivery {delivery.message_id}, destination(s) {delivery.destination_ids})"
    )


def mark_sent(ids: Sequence[int], *, now=None) -> None:
    """The medium accepted these: final (whoever holds them now)."""
    if ids:
        Delivery.objects.filter(pk__in=list(ids), state=PENDING).update(
            state=SENT, sent_at=now or timezone.now(), due_at=None
        )


def mark_attempt_failed(
    claim: str,
    delivery: Delivery,
    error: BaseException | str,
    *,
    now=None,
    retry_after: float | None = None,
    permanent: bool = False,
) -> AfterFailure:
    """The attempt this claim made failed: due again after the backoff, or failed for good.

    ``retry_after`` and ``permanent`` as :func:`after_failure` (what the receiver said).
    """
    now = now or timezone.now()
    outcome = after_failure(delivery.attempts, now, retry_after=retry_after, permanent=permanent)
    Delivery.objects.filter(pk=delivery.pk, claim=claim, state=PENDING).update(
        state=outcome.state, due_at=outcome.due_at, last_error=error_text(error)
    )
    if permanent:
        logger.error(
            "Notification: %s failed for good at attempt %d, not retried: %s",
            describe(delivery),
            delivery.attempts,
            error,
        )
    elif outcome.state == FAILED:
        logger.error(
            "Notification: %s failed %d times, giving up: %s", describe(delivery), delivery.attempts, error
        )
    else:
        logger.warning(
            "Notification: %s failed (attempt %d/%d): %s; retrying at %s",
            describe(delivery),
            delivery.attempts,
            max_attempts(),
            error,
            outcome.due_at,
        )
    return outcome


def mark_failed(claim: str, delivery: Delivery, reason: str) -> None:
    """This delivery can never be sent (medium gone, no destination left): failed for good now."""
    Delivery.objects.filter(pk=delivery.pk, claim=claim, state=PENDING).update(
        state=FAILED, due_at=None, last_error=error_text(reason)
    )
    logger.error("Notification: %s failed for good: %s", describe(delivery), reason)


# --- for operators ---------------------------------------------------------------------------------


def deliveries_retry(*, ids: Iterable[int], now=None) -> int:
    """Send failed deliveries again (a fresh set of attempts, the same message id); returns how many."""
    now = now or timezone.now()
    return Delivery.objects.filter(pk__in=list(ids), state=FAILED).update(
        state=PENDING, attempts=0, due_at=now, claim=""
    )


def work_is_due(*, now=None) -> bool:
    """Whether some pending event or delivery is free to take now."""
    now = now or timezone.now()
    return (
        PendingEvent.objects.filter(due_at__lte=now).exists()
        or Delivery.objects.filter(state=PENDING, due_at__lte=now).exists()
    )


def prune_deliveries(*, older_than: datetime.datetime, chunk: int = PRUNE_CHUNK) -> int:
    """Delete finished (sent or failed) deliveries created before ``older_than``, ``chunk`` rows per DELETE."""
    old = Delivery.objects.filter(created_at__lt=older_than).exclude(state=PENDING)
    deleted = 0
    while True:
        ids = list(old.order_by("created_at").values_list("pk", flat=True)[:chunk])
        if ids:
            deleted += Delivery.objects.filter(pk__in=ids).delete()[0]
        if len(ids) < chunk:
            return deleted
