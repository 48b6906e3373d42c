"""Incident endpoints of /api/v1/incidents/ and /api/v2/incidents/.

The same code serves both versions; ``request.version`` (the URL namespace) only picks the
request serializer and the response shape. Where the shapes differ, a v1 subclass carries the v1
OpenAPI description and nothing else. Reads
go through ``argus.incident.queries`` (constant number of queries per page), writes through
``argus.incident.services``.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import chain

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.exceptions import MethodNotAllowed, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from argus.incident import services
from argus.incident.models import Incident, SourceSystem
from argus.incident.queries import (
    acked_q,
    incident_rows_in_batches,
    incidents_for_representation,
    open_incidents,
)
from argus.incident.representation import (
    incident_rows_to_v1_json,
    incident_to_v1,
    incident_to_v2,
    incidents_to_v1,
    incidents_to_v2,
    source_system_to_dict,
)
from argus.util.datetime_utils import api_datetime_formatter
from argus.util.ids import get_by_pk_or_404, parse_pk
from argus.util.openapi import ERROR_DETAIL, VALIDATION_ERROR

from . import shapes
from .filters import (
    LIST_FILTERS,
    MINE_FILTERS,
    V1_LIST_FILTERS,
    V1_MINE_FILTERS,
    filter_incidents_paged,
    openapi_parameters,
)
from .pagination import ArgusCursorPagination
from .serializers import (
    IncidentCreateV1Serializer,
    IncidentCreateV2Serializer,
    IncidentUpdateSerializer,
    TicketUrlUpdateSerializer,
    non_editable_key_errors,
)
from .streaming import streaming_json_array

NO_SOURCE_SYSTEM_MESSAGE = "The requesting user must have a connected source system."
SOURCE_FIELD_NOT_ALLOWED_MESSAGE = "You must be a superuser to be allowed to specify the 'source' field."
METADATA_NULL_MESSAGE = "metadata: This field may not be null."
INDELIBLE_MESSAGE = "Deletion of incidents is turned off, see setting INDELIBLE_INCIDENTS"

V1 = "v1"
V2 = "v2"

PK_PARAMETER = OpenApiParameter(
    "id", int, OpenApiParameter.PATH, description="A unique integer value identifying this incident."
)
PAGE_PARAMETERS = [
    OpenApiParameter("cursor", str, required=False, description="The pagination cursor value."),
    OpenApiParameter(
        "page_size", int, required=False, description="Number of results to return per page (default 100)."
    ),
    OpenApiParameter(
        "count",
        str,
        required=False,
        description="When present (any value, even empty), the answer is the number of incidents the "
        "filters select instead of a page of them.",
    ),
]


def _list_or_count(page_serializer) -> PolymorphicProxySerializer:
    return PolymorphicProxySerializer(
        component_name="IncidentListOrCount",
        serializers=[page_serializer, shapes.IncidentCountSerializer],
        resource_type_field_name=None,
    )


class VersionedIncidentView(APIView):
    """Renders incidents in the shape of the request's API version (``request.version``)."""

    def render_incidents(self, incidents) -> list[dict]:
        now = timezone.now()
        if self.request.version == V1:
            return incidents_to_v1(incidents, now)
        return incidents_to_v2(incidents, now)

    def render_incident(self, incident: Incident) -> dict:
        if self.request.version == V1:
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
    """The source a POSTed incident belongs to: the poster's own, or a superuser's choice."""
    requested = _requested_source_pk(request.data)
    if requested is not None:
        if not request.user.is_superuser:
            raise ValidationError([SOURCE_FIELD_NOT_ALLOWED_MESSAGE])
        return _source_by_pk(requested)
    source = services.source_system_of(request.user)
    if source is None:
        raise ValidationError([NO_SOURCE_SYSTEM_MESSAGE])
    return source


class _IncidentListBase(VersionedIncidentView):
    filters = LIST_FILTERS
    pagination_class = ArgusCursorPagination

    def base_queryset(self, request) -> QuerySet[Incident]:
        return Incident.objects.all()

    def get_serializer(self, *args, **kwargs):
        """The create serializer; also gives OPTIONS its ``actions.POST`` description."""
        if self.request.version == V1:
            return IncidentCreateV1Serializer(*args, **kwargs)
        return IncidentCreateV2Serializer(*args, **kwargs)

    def get(self, request, *args, **kwargs):
        """Incidents that match every filter given, newest first, one page at a time."""
        filtered = filter_incidents_paged(
            self.base_queryset(request), request.query_params, user=request.user, filters=self.filters
        )
        if "count" in request.query_params:
            params = {key: request.query_params.get(key) for key in request.query_params}
            return Response({"count": filtered.all().count(), "params": params})
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            incidents_for_representation(filtered.queryset), request, view=self, branches=filtered.branches
        )
        return paginator.get_paginated_response(self.render_incidents(page))

    def post(self, request, *args, **kwargs):
        """Create an incident for the requester's source system.

        Its first event (start, or stateless) is created with it. A superuser may name another
        source system with ``source``.
        """
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        source = source_for_new_incident(request)
        if "metadata" in data and data["metadata"] is None:
            raise ValidationError([METADATA_NULL_MESSAGE])
        incident = services.incident_create(actor=request.user, source=source, **data)
        return Response(self.render_incident(incident), status=status.HTTP_201_CREATED)


class _MyIncidentsBase(_IncidentListBase):
    filters = MINE_FILTERS

    def base_queryset(self, request) -> QuerySet[Incident]:
        return Incident.objects.filter(source__user_id=request.user.pk)


MINE_DESCRIPTION = (
    "The incidents of the requester's source system that match every filter given, newest first, "
    "one page at a time. End users have none."
)


def _list_schema(*, filters, page, incident, create, description=None):
    return extend_schema_view(
        get=extend_schema(
            description=description,
            parameters=openapi_parameters(filters) + PAGE_PARAMETERS,
            responses={200: _list_or_count(page), 400: VALIDATION_ERROR, 404: ERROR_DETAIL},
        ),
        post=extend_schema(request=create, responses={201: incident}),
    )


_V2_LIST = {"page": shapes.PaginatedIncidentListSerializer, "incident": shapes.IncidentSerializer}
_V1_LIST = {"page": shapes.PaginatedIncidentListV1Serializer, "incident": shapes.IncidentV1Serializer}


@_list_schema(filters=LIST_FILTERS, create=IncidentCreateV2Serializer, **_V2_LIST)
class IncidentListView(_IncidentListBase):
    """All incidents: list them, or create one."""


@_list_schema(filters=V1_LIST_FILTERS, create=IncidentCreateV1Serializer, **_V1_LIST)
class IncidentListV1View(_IncidentListBase):
    """All incidents: list them, or create one."""

    filters = V1_LIST_FILTERS


@_list_schema(
    filters=MINE_FILTERS, create=IncidentCreateV2Serializer, description=MINE_DESCRIPTION, **_V2_LIST
)
class MyIncidentsView(_MyIncidentsBase):
    """The requester's own incidents (those of its source system): list them, or create one."""


@_list_schema(
    filters=V1_MINE_FILTERS, create=IncidentCreateV1Serializer, description=MINE_DESCRIPTION, **_V1_LIST
)
class MyIncidentsV1View(_MyIncidentsBase):
    """The requester's own incidents (those of its source system): list them, or create one."""

    filters = V1_MINE_FILTERS


# --- v1 only -------------------------------------------------------------------------------------


#: Incidents read and rendered at a time by the unpaginated v1 lists.
UNPAGINATED_BATCH_SIZE = 500


@extend_schema(responses=shapes.IncidentV1Serializer(many=True))
class OpenIncidentsView(VersionedIncidentView):
    """Every open incident, newest first, in one unpaginated list. Query parameters are ignored.

    Written in batches (:mod:`argus.incident.api.streaming`): however many incidents are open, the
    server holds one batch at a time. The first batch is read before the response starts, so a
    database error is answered as on every endpoint. The answer is always JSON.
    """

    only_unacked = False

    def get(self, request, *args, **kwargs):
        now, format_datetime = timezone.now(), api_datetime_formatter()
        queryset = open_incidents(now=now)
        if self.only_unacked:
            queryset = queryset.exclude(acked_q(now))
        batches = incident_rows_in_batches(queryset, UNPAGINATED_BATCH_SIZE)
        rendered = (incident_rows_to_v1_json(rows, tags, now, format_datetime) for rows, tags in batches)
        first = next(rendered, [])
        return streaming_json_array(chain([first], rendered))


class OpenUnackedIncidentsView(OpenIncidentsView):
    """Every open incident that is not acknowledged, newest first, in one unpaginated list.

    Query parameters are ignored.
    """

    only_unacked = True


@extend_schema(responses=shapes.SourceSystemMetadataSerializer)
class SourceSystemMetadataView(APIView):
    """Every source system, in id order."""

    def get(self, request, *args, **kwargs):
        sources = SourceSystem.objects.order_by("pk")
        return Response({"sourceSystems": [source_system_to_dict(source) for source in sources]})


# --- one incident --------------------------------------------------------------------------------


@extend_schema(parameters=[PK_PARAMETER], responses=shapes.IncidentSerializer)
class IncidentDetailView(VersionedIncidentView):
    """One incident."""

    def get(self, request, pk, *args, **kwargs):
        """The incident."""
        incident = get_by_pk_or_404(incidents_for_representation(), pk)
        return Response(self.render_incident(incident))

    @extend_schema(request=IncidentUpdateSerializer)
    def patch(self, request, pk, *args, **kwargs):
        """Change some of the editable fields (tags, details_url, ticket_url, level, metadata,
        description); each change is recorded as an event. The answer is in the v2 shape, also on
        v1. Other keys are refused."""
        return self._update(request, pk, partial=True)

    @extend_schema(request=IncidentUpdateSerializer)
    def put(self, request, pk, *args, **kwargs):
        """As PATCH, but ``tags`` is required and is the incident's complete new set of tags."""
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

    @extend_schema(responses={204: None, 405: ERROR_DETAIL})
    def delete(self, request, pk, *args, **kwargs):
        """Delete the incident with its events, acknowledgements and tags: only superusers and
        the incident's source system may, and only where the server allows deleting incidents
        (otherwise 405)."""
        if settings.INDELIBLE_INCIDENTS:
            raise MethodNotAllowed(request.method, detail=INDELIBLE_MESSAGE)
        incident = get_by_pk_or_404(Incident.objects.select_related("source"), pk)
        if not (request.user.is_superuser or incident.source.user_id == request.user.pk):
            raise PermissionDenied(
                f"{incident.source} is not originating source, may not delete incident #{incident.pk}"
            )
        services.incident_delete(incident=incident)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(parameters=[PK_PARAMETER], responses=shapes.TicketUrlSerializer)
class IncidentTicketUrlView(APIView):
    """Set the incident's ticket URL (any text; empty removes it). A change is recorded as an event."""

    @extend_schema(request=TicketUrlUpdateSerializer)
    def put(self, request, pk, *args, **kwargs):
        incident = _lookup_incident(pk)
        serializer = TicketUrlUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = services.incident_set_ticket_url(
            incident=incident, actor=request.user, ticket_url=serializer.validated_data["ticket_url"]
        )
        return Response({"ticket_url": incident.ticket_url})


@extend_schema_view(get=extend_schema(responses=shapes.IncidentV1Serializer))
class IncidentDetailV1View(IncidentDetailView):
    """One incident."""
