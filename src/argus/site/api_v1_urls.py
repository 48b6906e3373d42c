"""URLs under /api/v1/ (namespace ``v1``)."""

from django.urls import include, path

from argus.auth.api.views import ObtainNewAuthTokenView
from argus.site.views import SchemaView, SwaggerView

app_name = "v1"

urlpatterns = [
    path("token-auth/", ObtainNewAuthTokenView.as_view(), name="api-token-auth"),
    path("schema/", SchemaView.as_view(api_version="v1"), name="schema"),
    path("schema/swagger-ui/", SwaggerView.as_view(url_name="v1:schema"), name="swagger-ui"),
    path("auth/", include("argus.auth.api.v1.urls")),
    path("incidents/", include("argus.incident.api.v1.urls")),
    path("notificationprofiles/", include("argus.notificationprofile.api.v1.urls")),
]
