from django.contrib import admin
from django.urls import include, path

from argus.site import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", views.MetadataView.as_view(), name="metadata"),
    path("api/v1/", include("argus.site.api_v1_urls", namespace="v1")),
    path("api/v2/", include("argus.site.api_v2_urls", namespace="v2")),
    path("", views.index, name="index"),
]
