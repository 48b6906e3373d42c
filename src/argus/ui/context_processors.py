"""``ui`` in every template: the logged-in user's theme and the site banner, computed on first use
(admin pages that never ask cost nothing)."""

from __future__ import annotations

from django.utils.functional import cached_property

import argus
from argus.ui import conf
from argus.ui.preferences import preferences_of


class UiContext:
    def __init__(self, request):
        self.request = request

    @cached_property
    def prefs(self):
        return preferences_of(self.request)

    @property
    def theme(self) -> str:
        return self.prefs.theme if self.request.user.is_authenticated else conf.default_theme()

    @property
    def banner(self) -> str:
        return conf.banner_message()

    @property
    def version(self) -> str:
        return argus.__version__

    @property
    def keyboard_shortcuts(self) -> bool:
        return self.prefs.keyboard_shortcuts


def ui(request):
    return {"ui": UiContext(request)}
