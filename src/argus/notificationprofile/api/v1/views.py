"""/api/v1/notificationprofiles/ (notifications.md §2, §3, §5, §9, §11.2)."""

from argus.notificationprofile.api.v1.serializers import FilterV1Serializer, NotificationProfileV1Serializer
from argus.notificationprofile.api.views import FilterViewSetBase, NotificationProfileViewSetBase


class FilterViewSet(FilterViewSetBase):
    serializer_class = FilterV1Serializer


class NotificationProfileViewSet(NotificationProfileViewSetBase):
    serializer_class = NotificationProfileV1Serializer
