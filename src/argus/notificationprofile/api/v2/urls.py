"""URLs under /api/v2/notificationprofiles/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from argus.notificationprofile.api.v2 import views
from argus.notificationprofile.api.views import FilterPreviewView, PreviewView, TimeslotViewSet

router = SimpleRouter()
router.register("timeslots", TimeslotViewSet, basename="timeslot")
router.register("filters", views.FilterViewSet, basename="filter")
router.register("media", views.MediaViewSet, basename="media")
router.register("destinations", views.DestinationConfigViewSet, basename="destinationconfig")
# The profiles sit on the prefix itself, so they come last: "<pk>/" would shadow the names above.
router.register("", views.NotificationProfileViewSet, basename="notificationprofile")

urlpatterns = [
    path("filterpreview/", FilterPreviewView.as_view(), name="filter-preview"),
    path("preview/", PreviewView.as_view(), name="preview"),
    *router.urls,
]
