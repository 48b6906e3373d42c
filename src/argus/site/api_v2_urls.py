"""URLs under /api/v2/ (namespace ``v2``)."""

from django.urls import include, path

from argus.auth.api.views import ObtainNewAuthTokenView
from argus.site.views import SchemaView, SwaggerView

app_name = "v2"

urlpatterns = [
    path("token-auth/", ObtainNewAuthTokenView.as_view(), name="api-token-auth"),
    path("schema/", SchemaView.as_view(api_version="v2"), name="schema"),
    path("schema/swagger-ui/", SwaggerView.as_view(url_name="v2:schema"), name="swagger-ui"),
    path("auth/", include("argus.auth.api.v2.urls")),
    path("incidents/", include("argus.incident.api.v2.urls")),
    path("notificationprofiles/", include("argus.notificationprofile.api.v2.urls")),
    path("plannedmaintenance/", include("argus.plannedmaintenance.api.v2.urls")),
]
