from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from argus.auth.views import LoginMethodsView
from argus.site import extra_apps, views

urlpatterns = extra_apps.url_patterns(settings.OVERRIDING_APPS) + [
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
    path("", views.index, name="index"),
]
urlpatterns += extra_apps.url_patterns(settings.EXTRA_APPS)
