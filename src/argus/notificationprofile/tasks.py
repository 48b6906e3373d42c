"""Durable notification delivery through django-tasks (notifications.md §12, §16.3).

``dispatch_event`` runs once per committed event: it finds the firing profiles and their
destinations (:mod:`argus.notificationprofile.matching`) and sends one message per (medium,
address) through the medium's plugin. A failure (SMTP down, refused, timeout, any plugin error) is
logged with the destination and that one message becomes a ``deliver`` task scheduled with
exponential backoff, retried up to ``NOTIFICATION_MAX_ATTEMPTS`` attempts in all; the other
addresses of the same event are neither held back nor repeated. With the database
backend the queue lives in the same database, so nothing is lost when a worker restarts.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import get_connection
from django.utils import timezone
from django_tasks import task

from argus.notificationprofile import batch, pruning, yielding
from argus.notificationprofile.matching import destinations_for_events, load_event, load_events
from argus.notificationprofile.media import get_notification_media, installed_media
from argus.notificationprofile.media.rendering import prefetch_search_texts
from argus.notificationprofile.models import DestinationConfig

logger = logging.getLogger(__name__)

QUEUE_NAME = "default"
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_RETRY_DELAY = 10  # seconds before the 2nd attempt; doubles each time
MAX_RETRY_DELAY = 3600
DEFAULT_BATCH_SIZE = 50
DEFAULT_BATCH_WINDOW = 0.5  # seconds


def max_attempts() -> int:
    return max(1, int(getattr(settings, "NOTIFICATION_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)))


def retry_delay(attempt: int) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): base * 2**(attempt-1)."""
    base = float(getattr(settings, "NOTIFICATION_RETRY_DELAY", DEFAULT_RETRY_DELAY))
    return min(
        base * 2 ** (attempt - 1), float(getattr(settings, "NOTIFICATION_MAX_RETRY_DELAY", MAX_RETRY_DELAY))
    )


def deliveries_for_events(events: list) -> list[list[tuple[str, str, list[DestinationConfig]]]]:
    """(medium slug, address, destinations) for every message each event causes (§12.4).

    The events are matched together: one read of the matching tables, one destinations query.
    """
    result = []
    for destinations in destinations_for_events(events):
        deliveries = []
        for slug, medium in get_notification_media(destinations).items():
            for address, group in medium.group_by_address(destinations).items():
                deliveries.append((slug, address, group))
        result.append(deliveries)
    return result


@task(queue_name=QUEUE_NAME, takes_context=True)
def dispatch_event(context, event_id: int, attempt: int = 1) -> int:
    """Match one event and send its messages; returns the number of messages attempted.

    With the database backend the task first claims up to ``NOTIFICATION_BATCH_SIZE - 1`` other
    ``dispatch_event`` tasks waiting in the queue, now and, if that is fewer, once more after
    ``NOTIFICATION_BATCH_WINDOW`` seconds (:mod:`argus.notificationprofile.batch`), and dispatches
    all those events together: loaded, matched and mailed in one go, each claimed task finished
    with its own event's count. Each (medium, address) is sent on its own; one that
    fails is handed to a :func:`deliver` task scheduled after a backoff, so it never holds back or
    repeats the others. If matching itself fails (e.g. the database is unreachable), the
    dispatch of each event is retried the same way. Afterwards the worker may delete old
    finished task rows (:mod:`argus.notificationprofile.pruning`).

    Before all that, a database-backend worker waits while other processes keep the machine's
    CPUs busy, at most ``NOTIFICATION_YIELD_SECONDS`` after the task was queued
    (:mod:`argus.notificationprofile.yielding`).
    """
    if not settings.SEND_NOTIFICATIONS:
        return 0
    queued = batch.database_backend(context.task_result) is not None  # run by a db_worker
    if queued:
        yielding.wait_while_cpus_busy(context.task_result.enqueued_at.timestamp())
    claimed = batch.gather_queued_dispatches(
        dispatch_event, context.task_result, batch_size() - 1, batch_window()
    )
    try:
        counts = dispatch_events([(event_id, attempt), *((c.event_id, c.attempt) for c in claimed)])
    except BaseException as error:
        batch.finish_failed(claimed, error)
        raise
    batch.finish_successful(claimed, counts[1:])
    if queued:
        pruning.prune_if_due(context.task_result.backend)
    return counts[0]


def batch_size() -> int:
    return max(1, int(getattr(settings, "NOTIFICATION_BATCH_SIZE", DEFAULT_BATCH_SIZE)))


def batch_window() -> float:
    return max(0.0, float(getattr(settings, "NOTIFICATION_BATCH_WINDOW", DEFAULT_BATCH_WINDOW)))


def dispatch_events(pairs: list[tuple[int, int]]) -> list[int]:
    """Dispatch each (event id, attempt); returns the number of messages attempted for each."""
    try:
        events = load_events([event_id for event_id, _attempt in pairs])
        found = [events[event_id] for event_id, _attempt in pairs if event_id in events]
        planned = dict(zip((event.pk for event in found), deliveries_for_events(found), strict=True))
        prefetch_search_texts([events[event_id] for event_id, deliveries in planned.items() if deliveries])
    except Exception as error:
        for event_id, attempt in pairs:
            _retry_later(dispatch_event, (event_id,), attempt, f"matching event {event_id}", error)
        return [0] * len(pairs)
    connection = _shared_mail_connection([d for deliveries in planned.values() for d in deliveries])
    counts = []
    try:
        for event_id, _attempt in pairs:
            event = events.get(event_id)
            if event is None:
                logger.warning("Notification: event %s no longer exists, nothing to send", event_id)
                counts.append(0)
                continue
            deliveries = planned[event_id]
            for slug, _address, destinations in deliveries:
                sent = _send(event, slug, destinations, attempt=1, mail_connection=connection)
                if not sent and connection is not None:
                    # Whatever went wrong may have left the conversation unusable: the remaining
                    # messages each open their own, as they would without sharing.
                    _close_quietly(connection)
                    connection = None
            logger.debug("Notification: event %s → %d message(s)", event_id, len(deliveries))
            counts.append(len(deliveries))
    finally:
        if connection is not None:
            _close_quietly(connection)
    return counts


def _shared_mail_connection(deliveries):
    """One open mail connection for these messages, when two or more go by mail.

    Returns ``None`` (each message connects on its own, and fails and retries on its own) when
    sharing cannot help or the server cannot be reached now.
    """
    media = installed_media()
    by_mail = [slug for slug, _address, _destinations in deliveries if _uses_mail(media.get(slug))]
    if len(by_mail) < 2:
        return None
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception:
        return None
    return connection


def _uses_mail(medium) -> bool:
    return bool(getattr(medium, "ACCEPTS_MAIL_CONNECTION", False))


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception:
        logger.debug("Notification: closing the shared mail connection failed", exc_info=True)


@task(queue_name=QUEUE_NAME)
def deliver(event_id: int, slug: str, destination_ids: list[int], attempt: int = 1) -> bool:
    """(Re)try one message about an event to one address. Never raises: failures are rescheduled."""
    event = load_event(event_id)
    if event is None:
        logger.warning("Notification: event %s no longer exists, message via %s dropped", event_id, slug)
        return False
    destinations = list(DestinationConfig.objects.filter(pk__in=destination_ids).select_related("media"))
    return _send(event, slug, destinations, attempt=attempt)


def _send(event, slug: str, destinations: list, *, attempt: int, mail_connection=None) -> bool:
    medium = installed_media().get(slug)
    if medium is None:
        logger.error("Notification: medium %r is not installed, message for event %s dropped", slug, event.pk)
        return False
    if not destinations:
        return False
    kwargs = {"connection": mail_connection} if mail_connection is not None and _uses_mail(medium) else {}
    try:
        return bool(medium.send(event, destinations, **kwargs))
    except Exception as error:
        address = medium.get_address(destinations[0])
        _schedule_retry(event.pk, slug, [d.pk for d in destinations], attempt, address, error)
        return False


def _schedule_retry(event_id, slug, destination_ids, attempt, address, error) -> None:
    what = f"{slug} to {address!r} about event {event_id}"
    _retry_later(deliver, (event_id, slug, destination_ids), attempt, what, error)


def _retry_later(task_to_retry, args: tuple, attempt: int, what: str, error: Exception) -> None:
    """Enqueue ``task_to_retry(*args, attempt + 1)`` after the backoff, or log that we give up."""
    limit = max_attempts()
    if attempt >= limit:
        logger.error("Notification: %s failed %d times, giving up: %s", what, attempt, error)
        return
    if not task_to_retry.get_backend().supports_defer:
        logger.error("Notification: %s failed (%s); the task backend cannot retry later", what, error)
        return
    delay = retry_delay(attempt)
    logger.warning(
        "Notification: %s failed (attempt %d/%d): %s; retrying in %ss", what, attempt, limit, error, delay
    )
    run_after = timezone.now() + datetime.timedelta(seconds=delay)
    try:
        task_to_retry.using(run_after=run_after).enqueue(*args, attempt + 1)
    except Exception:
        logger.exception("Notification: could not schedule the retry of %s", what)
