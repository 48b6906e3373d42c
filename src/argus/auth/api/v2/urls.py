"""URLs under /api/v2/auth/."""

from django.urls import path

from argus.auth.api import views

app_name = "auth"

urlpatterns = [
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("refresh-token/", views.RefreshTokenView.as_view(), name="refresh-token"),
    path("token/login/", views.KnoxLoginView.as_view(), name="knox_login"),
    path("token/logout/", views.KnoxLogoutView.as_view(), name="knox_logout"),
    # No trailing slash, as on the reference server (and in pyargus).
    path("token/logoutall", views.KnoxLogoutAllView.as_view(), name="knox_logoutall"),
    path("user/", views.CurrentUserView.as_view(), name="current-user"),
    path("users/<int:pk>/", views.UserDetailView.as_view(), name="user"),
]
