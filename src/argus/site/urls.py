from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from argus.auth.views import LoginMethodsView
from argus.site import extra_apps, views


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
    handler500 = "argus.ui.views.errors.server_error"
