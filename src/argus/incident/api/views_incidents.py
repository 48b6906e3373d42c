"""Incident endpoints of /api/v1/incidents/ and /api/v2/incidents/ (incidents.md §4.1–§4.9).

The same views serve both versions; ``api_version`` (given in the URL module) only picks the
request serializer and the response shape. Reads go through ``argus.incident.queries`` (constant
number of queries per page), writes through ``argus.incident.services``.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import MethodNotAllowed, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from argus.incident import services
from argus.incident.models import Incident, SourceSystem
from argus.incident.queries import acked_q, incidents_for_representation, open_incidents
from argus.incident.representation import (
    incident_to_v1,
    incident_to_v2,
    incidents_to_v1,
    incidents_to_v2,
    source_system_to_dict,
)
from argus.util.ids import get_by_pk_or_404, parse_pk

from .filters import LIST_FILTERS, MINE_FILTERS, filter_incidents
from .pagination import ArgusCursorPagination
from .serializers import (
    IncidentCreateV1Serializer,
    IncidentCreateV2Serializer,
    IncidentUpdateSerializer,
    TicketUrlUpdateSerializer,
    non_editable_key_errors,
)

NO_SOURCE_SYSTEM_MESSAGE = "The requesting user must have a connected source system."
SOURCE_FIELD_NOT_ALLOWED_MESSAGE = "You must be a superuser to be allowed to specify the 'source' field."
METADATA_NULL_MESSAGE = "metadata: This field may not be null."
INDELIBLE_MESSAGE = "Deletion of incidents is turned off, see setting INDELIBLE_INCIDENTS"

V1 = "v1"
V2 = "v2"

# Views render plain dicts (argus.incident.representation), so the schema describes them loosely.
PK_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH)


class VersionedIncidentView(APIView):
    api_version = V2

    def render_incidents(self, incidents) -> list[dict]:
        now = timezone.now()
        if self.api_version == V1:
            return incidents_to_v1(incidents, now)
        return incidents_to_v2(incidents, now)

    def render_incident(self, incident: Incident) -> dict:
        if self.api_version == V1:
            return incident_to_v1(incident)
        return incident_to_v2(incident)


def _reload(incident: Incident) -> Incident:
    return incidents_for_representation(Incident.objects.filter(pk=incident.pk)).get()


def _lookup_incident(pk) -> Incident:
    return get_by_pk_or_404(Incident.objects.all(), pk)


# --- list and create -----------------------------------------------------------------------------


def _requested_source_pk(data):
    if isinstance(data, Mapping) and "source" in data:
        value = data.get("source")
        if value is not None and value != "":
            return value
    return None


def _source_by_pk(value) -> SourceSystem:
    pk = parse_pk(value.strip() if isinstance(value, str) else value)
    source = None
    if pk is not None:
        source = SourceSystem.objects.select_related("user").filter(pk=pk).first()
    if source is None:
        raise ValidationError([f"SourceSystem with pk={value} does not exist."])
    return source


def source_for_new_incident(request) -> SourceSystem:
    """The source a POSTed incident belongs to (§4.2): the poster's own, or a superuser's choice."""
    requested = _requested_source_pk(request.data)
    if requested is not None:
        if not request.user.is_superuser:
            raise ValidationError([SOURCE_FIELD_NOT_ALLOWED_MESSAGE])
        return _source_by_pk(requested)
    source = services.source_system_of(request.user)
    if source is None:
        raise ValidationError([NO_SOURCE_SYSTEM_MESSAGE])
    return source


@extend_schema(responses=OpenApiTypes.OBJECT)
class IncidentListView(VersionedIncidentView):
    """GET: every incident, filtered (§5) and cursor-paginated (§6). POST: create one (§4.2)."""

    filters = LIST_FILTERS

    def base_queryset(self, request) -> QuerySet[Incident]:
        return Incident.objects.all()

    def get_serializer(self, *args, **kwargs):
        """The create serializer; also gives OPTIONS its ``actions.POST`` description."""
        if self.api_version == V1:
            return IncidentCreateV1Serializer(*args, **kwargs)
        return IncidentCreateV2Serializer(*args, **kwargs)

    @extend_schema(
        parameters=[OpenApiParameter(name, str, required=False) for name in LIST_FILTERS]
        + [OpenApiParameter(name, str, required=False) for name in ("count", "cursor", "page_size")],
    )
    def get(self, request, *args, **kwargs):
        queryset = filter_incidents(
            self.base_queryset(request), request.query_params, user=request.user, filters=self.filters
        )
        if "count" in request.query_params:
            params = {key: request.query_params.get(key) for key in request.query_params}
            return Response({"count": queryset.count(), "params": params})
        paginator = ArgusCursorPagination()
        page = paginator.paginate_queryset(incidents_for_representation(queryset), request, view=self)
        return paginator.get_paginated_response(self.render_incidents(page))

    @extend_schema(request=IncidentCreateV2Serializer)
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        source = source_for_new_incident(request)
        if "metadata" in data and data["metadata"] is None:
            raise ValidationError([METADATA_NULL_MESSAGE])
        incident = services.incident_create(actor=request.user, source=source, **data)
        return Response(self.render_incident(incident), status=status.HTTP_201_CREATED)


class MyIncidentsView(IncidentListView):
    """``mine/``: like the list, only the requester's source's incidents, fewer filters (§4.7)."""

    filters = MINE_FILTERS

    def base_queryset(self, request) -> QuerySet[Incident]:
        return Incident.objects.filter(source__user_id=request.user.pk)


# --- v1 only -------------------------------------------------------------------------------------


@extend_schema(responses=OpenApiTypes.OBJECT)
class OpenIncidentsView(VersionedIncidentView):
    """v1 ``open/``: every open incident, a plain array, query parameters ignored (§4.8)."""

    api_version = V1
    only_unacked = False

    def get(self, request, *args, **kwargs):
        queryset = incidents_for_representation(open_incidents())
        if self.only_unacked:
            queryset = queryset.exclude(acked_q())
        return Response(self.render_incidents(queryset.order_by("-start_time")))


class OpenUnackedIncidentsView(OpenIncidentsView):
    only_unacked = True


@extend_schema(responses=OpenApiTypes.OBJECT)
class SourceSystemMetadataView(APIView):
    """v1 ``metadata/``: ``{"sourceSystems": [...]}`` in primary-key order (§4.9)."""

    def get(self, request, *args, **kwargs):
        sources = SourceSystem.objects.order_by("pk")
        return Response({"sourceSystems": [source_system_to_dict(source) for source in sources]})


# --- one incident --------------------------------------------------------------------------------


@extend_schema(parameters=[PK_PARAMETER], responses=OpenApiTypes.OBJECT)
class IncidentDetailView(VersionedIncidentView):
    """GET, PUT/PATCH (§4.4, answered in the v2 shape by both versions) and DELETE (§4.5)."""

    def get(self, request, pk, *args, **kwargs):
        incident = get_by_pk_or_404(incidents_for_representation(), pk)
        return Response(self.render_incident(incident))

    @extend_schema(request=IncidentUpdateSerializer)
    def patch(self, request, pk, *args, **kwargs):
        return self._update(request, pk, partial=True)

    @extend_schema(request=IncidentUpdateSerializer)
    def put(self, request, pk, *args, **kwargs):
        return self._update(request, pk, partial=False)

    def _update(self, request, pk, partial: bool):
        incident = _lookup_incident(pk)
        data = request.data
        if isinstance(data, (Mapping, list)):
            errors = non_editable_key_errors(data)
            if errors:
                return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        serializer = IncidentUpdateSerializer(data=data, partial=partial, require_tags=not partial)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        tags = fields.pop("tags", None)
        incident = services.incident_update(incident=incident, actor=request.user, data=fields, tags=tags)
        return Response(incident_to_v2(_reload(incident)))

    def delete(self, request, pk, *args, **kwargs):
        if settings.INDELIBLE_INCIDENTS:
            raise MethodNotAllowed(request.method, detail=INDELIBLE_MESSAGE)
        incident = get_by_pk_or_404(Incident.objects.select_related("source"), pk)
        if not (request.user.is_superuser or incident.source.user_id == request.user.pk):
            raise PermissionDenied(
                f"{incident.source} is not originating source, may not delete incident #{incident.pk}"
            )
        services.incident_delete(incident=incident)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(parameters=[PK_PARAMETER], responses=OpenApiTypes.OBJECT)
class IncidentTicketUrlView(APIView):
    """PUT ``<pk>/ticket_url/``: any string, CHI event when it changes (§4.6)."""

    @extend_schema(request=TicketUrlUpdateSerializer)
    def put(self, request, pk, *args, **kwargs):
        incident = _lookup_incident(pk)
        serializer = TicketUrlUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = services.incident_set_ticket_url(
            incident=incident, actor=request.user, ticket_url=serializer.validated_data["ticket_url"]
        )
        return Response({"ticket_url": incident.ticket_url})
