"""``argus.spa.ws.asgi:application`` of Argus 1.37: the one ASGI application (HTTP + websocket)."""

from argus.site.asgi import application  # noqa: F401
