"""Viewsets shared by /api/v1/notificationprofiles/ and /api/v2/notificationprofiles/.

Every queryset is scoped to the requesting user: another user's object is a 404, like a missing one.
Every write is one call of :mod:`argus.notificationprofile.services` (one transaction); what a
service refuses is answered by the exception handler.
"""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from argus.incident.api.shapes import IncidentSerializer
from argus.incident.models import Incident
from argus.incident.queries import incidents_for_representation
from argus.incident.representation import incidents_to_v2
from argus.notificationprofile import services
from argus.notificationprofile.api.serializers import TimeslotSerializer
from argus.notificationprofile.filterblob import (
    FilterBlobSerializer,
    FilterBlobV1Serializer,
    InvalidFilterBlob,
    validate_filter_blob,
)
from argus.notificationprofile.matching import incidents_for_blob, incidents_for_profile
from argus.notificationprofile.models import (
    DestinationConfig,
    Filter,
    NotificationProfile,
    Timeslot,
)
from argus.util.ids import parse_pk
from argus.util.openapi import VALIDATION_ERROR


def render_incidents(queryset):
    """Matching incidents in the v2 representation (even on v1 URLs), newest first, unpaginated."""
    incidents = incidents_for_representation(queryset.order_by("-start_time", "-pk"))
    return incidents_to_v2(incidents)


class FreshResponseMixin:
    """Create and update respond with the object as the list loads it (prefetched, ordered)."""

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        instance = self.get_queryset().get(pk=serializer.instance.pk)
        return Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        instance = self.get_queryset().get(pk=serializer.instance.pk)
        return Response(self.get_serializer(instance).data)


# --- timeslots ------------------------------------------------------------------------------------


def timeslots_for(user):
    return Timeslot.objects.filter(user=user).prefetch_related("time_recurrences").order_by("name", "pk")


class TimeslotViewSet(FreshResponseMixin, viewsets.ModelViewSet):
    """The requester's timeslots: weekly times (days, start, end) when a profile sends notifications."""

    serializer_class = TimeslotSerializer
    queryset = Timeslot.objects.none()  # for the schema; requests use get_queryset()

    def get_queryset(self):
        return timeslots_for(self.request.user)

    def perform_destroy(self, instance):
        services.timeslot_delete(timeslot=instance)


# --- filters --------------------------------------------------------------------------------------


@extend_schema_view(destroy=extend_schema(responses={204: None, 400: VALIDATION_ERROR}))
class FilterViewSetBase(FreshResponseMixin, viewsets.ModelViewSet):
    """The requester's filters. A filter that a profile uses cannot be deleted."""

    queryset = Filter.objects.none()  # for the schema; requests use get_queryset()

    def get_queryset(self):
        return Filter.objects.filter(user=self.request.user).order_by("pk")

    def perform_destroy(self, instance):
        services.filter_delete(filter=instance)


# --- preview --------------------------------------------------------------------------------------


class FilterPreviewView(GenericAPIView):
    """The incidents a filter would select (newest first, in the v2 shape, unpaginated)."""

    def blob_version(self) -> int:
        """``filterpreview/`` reads the filter by the v2 rules, on v1 too (as Argus 1.37)."""
        return 2

    def get_serializer_class(self):  # documents the body in the schema
        return FilterBlobV1Serializer if self.blob_version() == 1 else FilterBlobSerializer

    @extend_schema(responses={200: IncidentSerializer(many=True)})
    def post(self, request, *args, **kwargs):
        try:
            blob = validate_filter_blob(request.data, version=self.blob_version(), strict_tags=True)
        except InvalidFilterBlob as error:
            raise ValidationError(error.detail) from None
        return Response(render_incidents(incidents_for_blob(Incident.objects.all(), blob)))


class PreviewView(FilterPreviewView):
    """The incidents a filter would select (newest first, in the v2 shape, unpaginated)."""

    def blob_version(self) -> int:
        """``preview/`` reads the filter by the rules of the request's API version."""
        return 1 if self.request.version == "v1" else 2


# --- notification profiles -------------------------------------------------------------------------


def profiles_for(user):
    return (
        NotificationProfile.objects.filter(user=user)
        .select_related("timeslot")
        .prefetch_related(
            "timeslot__time_recurrences",
            Prefetch("filters", queryset=Filter.objects.order_by("pk")),
            Prefetch(
                "destinations", queryset=DestinationConfig.objects.select_related("media").order_by("pk")
            ),
        )
        .order_by("pk")
    )


class NotificationProfileViewSetBase(FreshResponseMixin, viewsets.ModelViewSet):
    """The requester's notification profiles: when, about which incidents, and where to notify."""

    queryset = NotificationProfile.objects.none()  # for the schema; requests use get_queryset()

    def get_queryset(self):
        return profiles_for(self.request.user)

    def perform_destroy(self, instance):
        services.profile_delete(profile=instance)

    @extend_schema(responses={200: IncidentSerializer(many=True), 400: VALIDATION_ERROR})
    @action(detail=True, methods=["get"])
    def incidents(self, request, pk=None):
        """The incidents the profile's filters select (newest first, in the v2 shape, unpaginated).
        An unknown profile is a 400."""
        profile = None
        if (profile_pk := parse_pk(pk)) is not None:
            profile = (
                NotificationProfile.objects.filter(user=request.user, pk=profile_pk)
                .prefetch_related("filters")
                .first()
            )
        if profile is None:
            return Response(
                [f"Notification profile with pk={pk} does not exist."], status=status.HTTP_400_BAD_REQUEST
            )
        return Response(render_incidents(incidents_for_profile(Incident.objects.all(), profile)))
