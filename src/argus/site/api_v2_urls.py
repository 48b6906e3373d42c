"""URLs under /api/v2/ (namespace ``v2``)."""

from django.urls import include, path

app_name = "v2"

urlpatterns = [
    path("auth/", include("argus.auth.api.v2.urls")),
    path("incidents/", include("argus.incident.api.v2.urls")),
    path("notificationprofiles/", include("argus.notificationprofile.api.v2.urls")),
]
