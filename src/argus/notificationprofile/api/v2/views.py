"""/api/v2/notificationprofiles/ (notifications.md §2-§8, §11.2)."""

from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from argus.notificationprofile import services
from argus.notificationprofile.api.serializers import (
    DestinationConfigSerializer,
    FilterSerializer,
    MediaSerializer,
    NotificationProfileSerializer,
)
from argus.notificationprofile.api.views import (
    FilterViewSetBase,
    FreshResponseMixin,
    NotificationProfileViewSetBase,
)
from argus.notificationprofile.media import api_safely_get_medium_object, installed_media, medium_json_schema
from argus.notificationprofile.models import DestinationConfig, Media
from argus.util.ids import parse_pk


class FilterViewSet(FilterViewSetBase):
    serializer_class = FilterSerializer


class NotificationProfileViewSet(NotificationProfileViewSetBase):
    serializer_class = NotificationProfileSerializer


class MediaViewSet(viewsets.ReadOnlyModelViewSet):
    """Installed notification media (§6)."""

    serializer_class = MediaSerializer
    queryset = Media.objects.order_by("slug")
    lookup_field = "slug"

    @action(detail=True, methods=["get"], url_path="json_schema")
    def json_schema(self, request, slug=None):
        medium = api_safely_get_medium_object(slug)
        return Response({"json_schema": medium_json_schema(request, medium)})


class DestinationConfigViewSet(FreshResponseMixin, viewsets.ModelViewSet):
    """The user's destinations (§7). No PUT: only label and settings can change."""

    serializer_class = DestinationConfigSerializer
    queryset = DestinationConfig.objects.none()  # for the schema; requests use get_queryset()
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return DestinationConfig.objects.filter(user=self.request.user).select_related("media").order_by("pk")

    def perform_destroy(self, instance):
        services.destination_delete(destination=instance)

    @action(detail=True, methods=["get"])
    def duplicate(self, request, pk=None):
        destination = None
        if (destination_pk := parse_pk(pk)) is not None:
            destination = self.get_queryset().filter(pk=destination_pk).first()
        if destination is None:
            return Response([f"Destination with pk={pk} does not exist."], status=status.HTTP_400_BAD_REQUEST)
        medium = installed_media().get(destination.media_id)
        others = DestinationConfig.objects.exclude(user=request.user)
        is_duplicate = bool(medium and medium.has_duplicate(others, destination.settings))
        return Response({"is_duplicate": is_duplicate})
