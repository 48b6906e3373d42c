"""``argus.spa.settings`` of Argus 1.37: production settings for use with the React frontend.

The same as :mod:`argus.site.settings.backend` (see :mod:`argus.spa`).
"""

from argus.site.settings.backend import *  # noqa: F401,F403
