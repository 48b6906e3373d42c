from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from argus.auth.views import LoginMethodsView
from argus.site import extra_apps, health, views
from argus.site.metrics import metrics_view


def build_urlpatterns(*, ui: bool) -> list:
    """The site's URLs; with ``ui`` the built-in web UI takes ``/`` and its own paths (docs/ui.md)."""
    patterns = extra_apps.url_patterns(settings.OVERRIDING_APPS) + [
        path("admin/", admin.site.urls),
        path("api/", views.MetadataView.as_view(), name="metadata"),
        path("api/schema/", views.SchemaView.as_view(api_version="v2"), name="schema"),
        path("api/schema/swagger-ui/", views.SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
        path("login-methods/", LoginMethodsView.as_view(), name="login-methods"),
        path("oidc/", include("argus.auth.urls")),
        path("favicon.ico", views.favicon, name="favicon"),
        path("json-schema/<str:slug>", views.json_schema, name="json-schema"),
        path("api/v1/", include("argus.site.api_v1_urls", namespace="v1")),
        path("api/v2/", include("argus.site.api_v2_urls", namespace="v2")),
        # Served by ProbeMiddleware before host checks; here so "/.ready" redirects to "/.ready/"
        # like any other path, and "/metrics" is a 404 when metrics are off.
        path(".still-alive/", health.still_alive, name="still-alive"),
        path(".ready/", health.ready, name="ready"),
        path("metrics", metrics_view, name="metrics"),
        path("metrics/", metrics_view),
        path(".error/", views.error_test_page, name="error-test"),
    ]
    if ui:
        patterns.append(path("", include("argus.ui.urls")))
    else:
        patterns.append(path("", views.index, name="index"))
    return patterns + extra_apps.url_patterns(settings.EXTRA_APPS)


urlpatterns = build_urlpatterns(ui=settings.ARGUS_UI)

if settings.ARGUS_UI:
    # Error pages in the UI's layout for the UI's paths; every other path keeps Django's pages.
    handler400 = "argus.ui.views.errors.bad_request"
    handler403 = "argus.ui.views.errors.permission_denied"
    handler404 = "argus.ui.views.errors.page_not_found"
# A server error under /api/ answers JSON, elsewhere the UI's page or Django's.
handler500 = "argus.site.views.server_error"
