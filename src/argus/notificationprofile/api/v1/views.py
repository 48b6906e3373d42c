"""/api/v1/notificationprofiles/: the v1 shapes of filters and profiles."""

from argus.notificationprofile.api.v1.serializers import (
    FilterV1Serializer,
    NotificationProfileV1Serializer,
    NotificationProfileV1ShapeSerializer,
)
from argus.notificationprofile.api.views import FilterViewSetBase, NotificationProfileViewSetBase
from argus.util.openapi import model_viewset_schema


class FilterViewSet(FilterViewSetBase):
    """The requester's filters. A filter that a profile uses cannot be deleted."""

    serializer_class = FilterV1Serializer


@model_viewset_schema(NotificationProfileV1ShapeSerializer)
class NotificationProfileViewSet(NotificationProfileViewSetBase):
    """The requester's notification profiles: when, about which incidents, and how to notify."""

    serializer_class = NotificationProfileV1Serializer
