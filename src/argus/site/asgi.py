"""ASGI entry point: Django for HTTP (in a fixed thread pool, see asgi_http), Channels for /ws/open/.

A source system's incident POST is offered to ``argus.incident.api.direct`` first.

A configuration the settings refuse (prod without SECRET_KEY, a DATABASE_URL that is no URL)
stops the server with one line, and a database that cannot be reached at start is reported in
one line (the server still starts: requests answer 503 and ``/.ready/`` says so until it is back).
"""

import os
import sys

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "argus.site.settings.dev")

from argus.site.asgi_http import get_http_application, report_database_problem  # noqa: E402

try:
    django_asgi_app = get_http_application()
except ImproperlyConfigured as error:
    sys.exit(f"Error: {error}")
report_database_problem()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from argus.incident.api import direct  # noqa: E402 (needs the models: after Django's set-up)
from argus.ws.routing import websocket_application  # noqa: E402

django_asgi_app.direct = direct

application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_application})
