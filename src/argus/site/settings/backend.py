"""Argus 1.37's name for the production core, kept so a deployment's
``DJANGO_SETTINGS_MODULE=argus.site.settings.backend`` goes on working.

It is :mod:`argus.site.settings.prod` with 1.37's mail defaults for this module: port 25,
no TLS (``EMAIL_PORT`` / ``EMAIL_USE_TLS`` still override them).
"""

from argus.site.settings._env import get_bool_env, get_int_env
from argus.site.settings.prod import *  # noqa: F401,F403

EMAIL_PORT = get_int_env("EMAIL_PORT", 25)
EMAIL_USE_TLS = get_bool_env("EMAIL_USE_TLS", False)
