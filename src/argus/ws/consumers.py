"""The ``/ws/open/`` consumer: the realtime incident feed .

Protocol: the client sends ``{"action": "subscribe"}``; the server answers ``subscribed`` with the
connection's channel name and the newest open incidents, then relays every ``created`` /
``modified`` / ``deleted`` frame broadcast to the group (see :mod:`argus.incident.broadcast`). Anything else
the client sends gets an ``error`` frame and the connection stays open.
"""

import asyncio
import functools
import json
import logging

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.conf import settings

from argus.incident.broadcast import GROUP_NAME
from argus.incident.queries import incidents_for_representation, open_incidents
from argus.incident.representation import incidents_to_v2
from argus.util import metrics

logger = logging.getLogger(__name__)

START_INCIDENTS_COUNT = 25
SUBSCRIBE = "subscribe"

ERROR_NOT_JSON = "invalid frame: not valid JSON"
ERROR_NOT_OBJECT = "invalid frame: expected a JSON object"
ERROR_BINARY = "invalid frame: binary frames are not supported"
ERROR_UNAVAILABLE = "subscription failed: the realtime feed is unavailable, try again later"


def unknown_action_error(action) -> str:
    # str(None) == "None": Argus 1.37 spells a missing action this way.
    return f"unknown action {action}"


def start_incidents() -> list[dict]:
    """The newest open incidents, newest ``start_time`` first, in the v2 representation."""
    incidents = incidents_for_representation(open_incidents()).order_by("-start_time", "-pk")
    return incidents_to_v2(incidents[:START_INCIDENTS_COUNT])


def group_refresh_seconds() -> float:
    return float(settings.ARGUS_WS_GROUP_REFRESH_SECONDS)


def encode(frame: dict) -> str:
    # Default separators (with spaces), like the reference's frames.
    return json.dumps(frame)


#: Seconds between attempts to read the connection's channel while the channel layer is down.
LAYER_RETRY_SECONDS = (0.5, 1, 2, 5, 10, 30)


async def receive_from_layer(channel_layer, channel_name):
    """``channel_layer.receive(channel_name)``, waiting out a layer that is down (Redis restarting).

    Channels ends the consumer on the first failure, which closes the client's websocket with
    1011; the client was told ``subscription failed … try again later`` and should be able to.
    """
    failures = 0
    while True:
        try:
            return await channel_layer.receive(channel_name)
        except asyncio.CancelledError:
            raise
        except Exception:
            if failures == 0:
                logger.warning("Channel layer unavailable for %s; retrying", channel_name, exc_info=True)
            await asyncio.sleep(LAYER_RETRY_SECONDS[min(failures, len(LAYER_RETRY_SECONDS) - 1)])
            failures += 1


#: Frame types counted under their own name in ``argus_websocket_frames_sent_total``.
FRAME_TYPES = frozenset({"subscribed", "created", "modified", "deleted", "error"})


class OpenIncidentConsumer(AsyncWebsocketConsumer):
    subscribed = False
    refresh_task = None
    #: The ``subscribed`` label this connection is counted under in the connections gauge.
    counted_as = None

    async def __call__(self, scope, receive, send):
        """Channels' ``AsyncConsumer.__call__``, reading the channel through :func:`receive_from_layer`."""
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.base_send = send
        sources = [receive]
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            self.channel_receive = functools.partial(
                receive_from_layer, self.channel_layer, self.channel_name
            )
            sources.append(self.channel_receive)
        try:
            await await_many_dispatch(sources, self.dispatch)
        except StopConsumer:
            pass

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Closing before accepting makes the ASGI server answer the handshake with HTTP 403.
            await self.close()
            return
        await self.accept()
        self.count_connection("false")

    def count_connection(self, subscribed: str | None) -> None:
        if self.counted_as is not None:
            metrics.WEBSOCKET_CONNECTIONS.labels(self.counted_as).dec()
        if subscribed is not None:
            metrics.WEBSOCKET_CONNECTIONS.labels(subscribed).inc()
        self.counted_as = subscribed

    async def disconnect(self, code):
        self.count_connection(None)
        if self.refresh_task is not None:
            self.refresh_task.cancel()
        if self.subscribed:
            try:
                await self.channel_layer.group_discard(GROUP_NAME, self.channel_name)
            except Exception:
                logger.warning(
                    "Could not leave group %s for %s", GROUP_NAME, self.channel_name, exc_info=True
                )

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None:
            await self.send_error(ERROR_BINARY)
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the decoder goes
            await self.send_error(ERROR_NOT_JSON)
            return
        if not isinstance(content, dict):
            await self.send_error(ERROR_NOT_OBJECT)
            return
        action = content.get("action")
        if action == SUBSCRIBE:
            await self.subscribe()
        else:
            await self.send_error(unknown_action_error(action))

    async def subscribe(self):
        try:
            await self.channel_layer.group_add(GROUP_NAME, self.channel_name)
        except Exception:
            logger.exception("Could not add %s to group %s", self.channel_name, GROUP_NAME)
            await self.send_error(ERROR_UNAVAILABLE)
            return
        self.subscribed = True
        if self.counted_as != "true":
            self.count_connection("true")
        if self.refresh_task is None:
            self.refresh_task = asyncio.create_task(self.keep_group_membership())
        incidents = await database_sync_to_async(start_incidents)()
        await self.send_frame(
            {"type": "subscribed", "channel_name": self.channel_name, "start_incidents": incidents}
        )

    async def keep_group_membership(self):
        interval = group_refresh_seconds()
        while True:
            await asyncio.sleep(interval)
            try:
                await self.channel_layer.group_add(GROUP_NAME, self.channel_name)
            except Exception:
                logger.warning("Could not renew %s in group %s", self.channel_name, GROUP_NAME, exc_info=True)

    async def notify(self, message):
        """Group message ``{"type": "notify", "content": <frame>}`` from the broadcaster."""
        if self.subscribed:
            await self.send_frame(message["content"])

    async def send_error(self, reason: str):
        await self.send_frame({"error": reason})

    async def send_frame(self, frame: dict):
        await self.send(text_data=encode(frame))
        frame_type = "error" if "error" in frame else frame.get("type")
        metrics.WEBSOCKET_FRAMES_SENT.labels(frame_type if frame_type in FRAME_TYPES else "other").inc()
