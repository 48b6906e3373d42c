"""ASGI entry point: Django for HTTP (in a fixed thread pool, see asgi_http), Channels for /ws/open/."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "argus.site.settings.dev")

from argus.site.asgi_http import get_http_application  # noqa: E402

django_asgi_app = get_http_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from argus.ws.routing import websocket_application  # noqa: E402

application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_application})
