"""Realtime broadcasting of incident changes to the ``subscribed_open_incidents`` group.

The incident services call :func:`broadcast_after_commit` inside their transaction; after commit,
one frame per incident is sent with its fresh v2 representation (or ``{"pk": ...}`` for
``deleted``) — one per incident per transaction, however many services changed it in there (an
admin save, a fake incident with its tags). A broken or unreachable channel layer never fails
the request: the error is logged, and a layer that does not answer is given up on after
``ARGUS_WS_BROADCAST_TIMEOUT`` seconds. In a request thread of the ASGI server the frames are
handed to the server's event loop, which sends them in order while the request goes on;
elsewhere (commands, the worker, tests) they are sent before the call returns.
"""

import asyncio
import concurrent.futures
import functools
import itertools
import logging
import weakref

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from argus.incident.queries import incidents_for_representation
from argus.incident.representation import incident_to_v2
from argus.util.server_loop import server_event_loop

logger = logging.getLogger(__name__)

GROUP_NAME = "subscribed_open_incidents"
CREATED = "created"
MODIFIED = "modified"
DELETED = "deleted"


def broadcast_after_commit(change: str, incident_ids, payloads: dict | None = None) -> None:
    """Send one ``change`` frame per incident once the current transaction commits.

    ``payloads`` (pk -> v2 representation) may hold frames the caller already rendered from the
    state it is committing; those incidents are not read back. Calls in one transaction are
    merged (:class:`PendingFrames`).
    """
    ids = list(dict.fromkeys(incident_ids))
    if not ids:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        broadcast_now(change, ids, payloads)  # what on_commit does outside a transaction
        return
    pending = getattr(connection, "_argus_pending_frames", None)
    if pending is None or not any(entry[1] is pending.send for entry in connection.run_on_commit):
        # The first call of this transaction (the last one's callback has run or was rolled back).
        pending = connection._argus_pending_frames = PendingFrames()
        transaction.on_commit(pending.send)
    pending.add(change, ids, payloads)


class PendingFrames:
    """What one transaction will broadcast: one frame per incident, in the order first changed.

    An incident created and then changed again (its tags, say) is one ``created`` frame; changed
    several times, one ``modified``; deleted, ``deleted``. A frame rendered in advance is used
    only if nothing changed the incident after it; otherwise the incident is read after commit.
    """

    def __init__(self):
        self.entries: dict[int, tuple[str, dict | None]] = {}
        self.send = self._send  # one bound method, so the transaction's callback can be recognised

    def add(self, change: str, incident_ids: list[int], payloads: dict | None) -> None:
        for pk in incident_ids:
            previous = self.entries.get(pk)
            merged = change if previous is None else _merged(previous[0], change)
            self.entries[pk] = (merged, (payloads or {}).get(pk))

    def _send(self) -> None:
        entries = list(self.entries.items())
        for change, run in itertools.groupby(entries, key=lambda entry: entry[1][0]):
            run = list(run)
            payloads = {pk: payload for pk, (_change, payload) in run if payload is not None}
            broadcast_now(change, [pk for pk, _entry in run], payloads)


def _merged(first: str, then: str) -> str:
    if DELETED in (first, then):
        return DELETED
    if CREATED in (first, then):
        return CREATED
    return MODIFIED


def build_frames(change: str, incident_ids, payloads: dict | None = None) -> list[dict]:
    """The frames for ``incident_ids`` in the given order, from ``payloads`` or read fresh.

    Incidents that no longer exist (deleted by a later transaction) are skipped.
    """
    if change == DELETED:
        return [{"type": DELETED, "payload": {"pk": pk}} for pk in incident_ids]
    by_pk = dict(payloads or {})
    missing = [pk for pk in incident_ids if pk not in by_pk]
    if missing:
        for incident in incidents_for_representation().filter(pk__in=missing):
            by_pk[incident.pk] = incident_to_v2(incident)
    return [{"type": change, "payload": by_pk[pk]} for pk in incident_ids if pk in by_pk]


def broadcast_timeout() -> float:
    return float(settings.ARGUS_WS_BROADCAST_TIMEOUT)


async def send_frames(channel_layer, frames: list[dict], timeout: float) -> None:
    """Hand the frames to the group in order; give up (TimeoutError) after ``timeout`` seconds."""

    async def send_all():
        for frame in frames:
            await channel_layer.group_send(GROUP_NAME, {"type": "notify", "content": frame})

    await asyncio.wait_for(send_all(), timeout)


async def _await(coroutine):
    return await coroutine


def run_on_server_loop(coroutine, timeout: float | None = None) -> None:
    """Run ``coroutine`` to completion from synchronous code.

    In a request thread of the ASGI server (``argus.site.asgi_http``) it runs on the server's event loop, where
    the channel layer keeps its Redis connections, and the thread waits at most ``timeout``
    seconds (a loop that is shutting down never finishes it); elsewhere (commands, tests,
    Django's own handlers) ``async_to_sync`` finds or makes a loop.
    """
    loop = server_event_loop()
    if loop is not None and loop.is_running():
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        try:
            future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"gave up after {timeout} s") from None
    else:
        async_to_sync(_await)(coroutine)


def broadcast_now(change: str, incident_ids, payloads: dict | None = None) -> None:
    """Build and send the frames now; any failure is logged, never raised."""
    try:
        channel_layer = get_channel_layer()
        if channel_layer is None:
            return
        frames = build_frames(change, incident_ids, payloads)
        if frames:
            timeout = broadcast_timeout()
            loop = server_event_loop()
            if loop is not None and loop.is_running():
                loop.call_soon_threadsafe(_send_in_order, loop, channel_layer, frames, timeout, change)
            else:
                run_on_server_loop(send_frames(channel_layer, frames, timeout), timeout=timeout + 1)
    except Exception:
        _log_failure(change, incident_ids)


def _log_failure(change: str, incident_ids) -> None:
    logger.exception(
        "Could not broadcast %s of incidents %s to websocket subscribers", change, list(incident_ids)
    )


#: Per server event loop: the task sending the frames handed over last (until it is done).
_last_sent: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _send_in_order(loop, channel_layer, frames: list[dict], timeout: float, change: str) -> None:
    """On the server's event loop: send ``frames`` once the frames handed over before are sent.

    A request thread hands its frames over and goes on: the response does not wait for Redis,
    and frames still leave in the order their transactions committed in this process. Each
    hand-over is given up on ``timeout`` seconds after it was made, waiting for the earlier ones
    included, so a layer that stalls holds at most ``timeout`` seconds of frames.
    """
    previous = _last_sent.get(loop)
    deadline = loop.time() + timeout
    task = loop.create_task(_send_after(previous, channel_layer, frames, deadline, change))
    _last_sent[loop] = task
    task.add_done_callback(functools.partial(_forget, loop))


def _forget(loop, task) -> None:
    if _last_sent.get(loop) is task:
        del _last_sent[loop]


async def _send_after(previous, channel_layer, frames: list[dict], deadline: float, change: str) -> None:
    loop = asyncio.get_running_loop()
    try:
        if previous is not None and not previous.done():
            await asyncio.wait({previous}, timeout=max(0.0, deadline - loop.time()))  # it logs its own
        remaining = deadline - loop.time()
        if remaining <= 0 or (previous is not None and not previous.done()):
            raise TimeoutError("gave up: the frames handed over before were not sent in time")
        await send_frames(channel_layer, frames, remaining)
    except Exception:
        _log_failure(change, [frame["payload"]["pk"] for frame in frames])
