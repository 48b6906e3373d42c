"""The site's URLs as they are with ``ARGUS_UI`` off (the setting is read once, at import)."""

from argus.site.urls import build_urlpatterns

urlpatterns = build_urlpatterns(ui=False)
