"""Websocket routing: ``ws/open/`` (realtime.md §1)."""

from channels.routing import URLRouter

websocket_urlpatterns = []

websocket_application = URLRouter(websocket_urlpatterns)
