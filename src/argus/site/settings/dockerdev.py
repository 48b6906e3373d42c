"""Development settings inside a container: dev, reachable under any host name."""

from argus.site.settings.dev import *  # noqa: F401,F403

ALLOWED_HOSTS = ["*"]
