"""URLs under /api/v1/ (namespace ``v1``)."""

from django.urls import include, path

app_name = "v1"

urlpatterns = [
    path("auth/", include("argus.auth.api.v1.urls")),
    path("incidents/", include("argus.incident.api.v1.urls")),
    path("notificationprofiles/", include("argus.notificationprofile.api.v1.urls")),
]
