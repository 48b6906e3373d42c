"""URLs under /api/v1/auth/."""

from django.urls import path, re_path

from argus.auth.api import views

app_name = "auth"

urlpatterns = [
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("user/", views.CurrentUserView.as_view(), name="current-user"),
    path("users/<int:pk>/", views.UserDetailView.as_view(), name="user"),
    path("phone-number/", views.PhoneNumberListView.as_view(), name="phone-number-list"),
    re_path(
        r"^phone-number/(?P<pk>[^/.]+)/$", views.PhoneNumberDetailView.as_view(), name="phone-number-detail"
    ),
]
