"""Production settings plus a private channel-layer key prefix, for the multi-process tests.

The prefix (``ARGUS_TEST_CHANNEL_PREFIX``) keeps concurrent test clusters sharing one Redis apart;
everything else is exactly ``argus.site.settings.prod``.
"""

import os

from argus.site.settings.prod import *  # noqa: F401,F403

CHANNEL_LAYERS["default"].setdefault("CONFIG", {})["prefix"] = os.environ.get(  # noqa: F405
    "ARGUS_TEST_CHANNEL_PREFIX", "asgi"
)
