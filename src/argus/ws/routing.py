"""Websocket routing: ``ws/open/``.

Session cookie first (Channels' auth stack), then token header / ``token`` cookie. Any other path
is refused at the handshake (HTTP 403) instead of crashing the ASGI server with "no route".
"""

from channels.auth import AuthMiddlewareStack
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import URLRouter
from django.urls import re_path

from argus.ws.auth import TokenAuthMiddleware
from argus.ws.consumers import OpenIncidentConsumer


class RefuseConsumer(AsyncWebsocketConsumer):
    """Refuses every handshake; the catch-all for unknown websocket paths."""

    async def connect(self):
        await self.close()


websocket_urlpatterns = [
    re_path(r"^ws/open/$", OpenIncidentConsumer.as_asgi()),
    re_path(r"", RefuseConsumer.as_asgi()),
]

websocket_application = AuthMiddlewareStack(TokenAuthMiddleware(URLRouter(websocket_urlpatterns)))
