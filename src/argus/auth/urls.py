"""OAuth2 login URLs, mounted at /oidc/ with namespace ``social``."""

from django.urls import path
from social_django import views as social_views

from argus.auth import views

app_name = "social"

urlpatterns = [
    path("login/<str:backend>/", views.oauth2_login, name="begin"),
    path("complete/<str:backend>/", views.oauth2_complete, name="complete"),
    path("disconnect/<str:backend>/", social_views.disconnect, name="disconnect"),
    path(
        "disconnect/<str:backend>/<int:association_id>/",
        social_views.disconnect,
        name="disconnect_individual",
    ),
]
