"""/api/v2/notificationprofiles/: the v2 shapes of filters and profiles, media and destinations."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from argus.notificationprofile import services
from argus.notificationprofile.api.serializers import (
    DestinationConfigSerializer,
    DestinationSerializer,
    FilterSerializer,
    MediaSerializer,
    NotificationProfileSerializer,
    NotificationProfileShapeSerializer,
)
from argus.notificationprofile.api.views import (
    FilterViewSetBase,
    FreshResponseMixin,
    NotificationProfileViewSetBase,
)
from argus.notificationprofile.media import api_safely_get_medium_object
from argus.notificationprofile.models import DestinationConfig, Media
from argus.notificationprofile.plugins import installed_media, medium_json_schema
from argus.util.ids import parse_pk
from argus.util.openapi import ERROR_DETAIL, VALIDATION_ERROR, model_viewset_schema

DestinationTestResultSerializer = inline_serializer(
    "DestinationTestResult",
    {
        "delivered": serializers.BooleanField(help_text="Whether the receiver accepted the message."),
        "detail": serializers.CharField(help_text='What happened: "HTTP 200", "HTTP 500", "timeout"...'),
    },
)


class FilterViewSet(FilterViewSetBase):
    """The requester's filters. A filter that a profile uses cannot be deleted."""

    serializer_class = FilterSerializer


@model_viewset_schema(NotificationProfileShapeSerializer)
class NotificationProfileViewSet(NotificationProfileViewSetBase):
    """The requester's notification profiles: when, about which incidents, and where to notify."""

    serializer_class = NotificationProfileSerializer


class MediaViewSet(viewsets.ReadOnlyModelViewSet):
    """The notification media (email, SMS...) and whether the server has their plugin."""

    serializer_class = MediaSerializer
    queryset = Media.objects.order_by("slug")
    lookup_field = "slug"

    @extend_schema(
        responses={
            200: inline_serializer(
                "MediumJsonSchema",
                {"json_schema": serializers.JSONField(help_text="The JSON schema of the settings.")},
            ),
            400: VALIDATION_ERROR,
        }
    )
    @action(detail=True, methods=["get"], url_path="json_schema")
    def json_schema(self, request, slug=None):
        """The JSON schema of a destination's ``settings`` for this medium; 400 when the server has
        no plugin for it."""
        medium = api_safely_get_medium_object(slug)
        return Response({"json_schema": medium_json_schema(request, medium)})


@model_viewset_schema(DestinationSerializer, destroy_refusal=True)
class DestinationConfigViewSet(FreshResponseMixin, viewsets.ModelViewSet):
    """The requester's destinations. No PUT: only label and settings can change. A destination the
    server depends on (e.g. the user's own email address) cannot be deleted."""

    serializer_class = DestinationConfigSerializer
    queryset = DestinationConfig.objects.none()  # for the schema; requests use get_queryset()
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return DestinationConfig.objects.filter(user=self.request.user).select_related("media").order_by("pk")

    def perform_destroy(self, instance):
        services.destination_delete(destination=instance)

    @extend_schema(
        responses={
            200: inline_serializer("DestinationDuplicate", {"is_duplicate": serializers.BooleanField()}),
            400: OpenApiResponse(VALIDATION_ERROR.response, description="No such destination."),
        }
    )
    @action(detail=True, methods=["get"])
    def duplicate(self, request, pk=None):
        """Whether another user has a destination with the same settings."""
        destination = None
        if (destination_pk := parse_pk(pk)) is not None:
            destination = self.get_queryset().filter(pk=destination_pk).first()
        if destination is None:
            return Response([f"Destination with pk={pk} does not exist."], status=status.HTTP_400_BAD_REQUEST)
        medium = installed_media().get(destination.media_id)
        others = DestinationConfig.objects.exclude(user=request.user)
        is_duplicate = bool(medium and medium.has_duplicate(others, destination.settings))
        return Response({"is_duplicate": is_duplicate})

    @extend_schema(
        request=None,
        responses={
            200: OpenApiResponse(
                DestinationTestResultSerializer, description="The message was sent; what became of it."
            ),
            400: OpenApiResponse(ERROR_DETAIL.response, description="The medium cannot send test messages."),
            409: OpenApiResponse(ERROR_DETAIL.response, description="Notifications are turned off."),
            429: OpenApiResponse(ERROR_DETAIL.response, description="Tested less than 10 seconds ago."),
        },
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send one test message ("Argus test message") to the destination now, bypassing profiles
        and timeslots: one attempt, no retry. At most one test per destination every 10 seconds."""
        result = services.destination_test_send(destination=self.get_object())
        return Response({"delivered": result.delivered, "detail": result.detail})
