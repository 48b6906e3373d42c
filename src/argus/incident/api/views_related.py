"""Views of the incident sub-resources (events, acknowledgements, tags, sources, bulk changes),
shared by v1 and v2.

Versions differ only in the ack body shape (``request.version``) and in the v2-only endpoints,
which only the v2 URL module mounts. Views validate with the serializers of
:mod:`serializers_related`, change state through :mod:`argus.incident.services` and render with
:mod:`argus.incident.representation`; :mod:`shapes` declares the rendered shapes for the schema.
"""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from argus.auth.permissions import IsSuperuserOrReadOnly
from argus.incident import services
from argus.incident.api import serializers_related as serializers
from argus.incident.api import shapes
from argus.incident.api.pagination import EventCursorPagination
from argus.incident.api.serializers import tag_error_message
from argus.incident.models import (
    Acknowledgement,
    Event,
    Incident,
    IncidentTagRelation,
    SourceSystem,
    SourceSystemType,
    Tag,
)
from argus.incident.queries import acks_for_representation, events_for_representation
from argus.incident.representation import ack_to_dict, event_to_dict, source_system_to_dict
from argus.incident.tags import InvalidTag, parse_tag
from argus.incident.ticket import utils as ticket_utils
from argus.util.ids import get_by_pk_or_404, parse_pk
from argus.util.openapi import ERROR_DETAIL, VALIDATION_ERROR

INCIDENT_PK = OpenApiParameter(
    "incident_pk", int, OpenApiParameter.PATH, description="The id of the incident."
)


def _pk_parameter(description: str) -> OpenApiParameter:
    return OpenApiParameter("id", int, OpenApiParameter.PATH, description=description)


def get_incident_or_404(incident_pk) -> Incident:
    return get_by_pk_or_404(Incident.objects.select_related("source"), incident_pk)


def _validated(serializer_class, request, **kwargs):
    serializer = serializer_class(data=request.data, context={"request": request}, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class _WritableListView(APIView):
    """A list endpoint whose POST body is described by ``post_serializer_class``.

    ``get_serializer`` lets OPTIONS describe the body under ``actions.POST``.
    """

    post_serializer_class = None

    def get_post_serializer_class(self):
        return self.post_serializer_class

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("context", {"request": self.request})
        return self.get_post_serializer_class()(*args, **kwargs)


# --- events ---------------------------------------------------------------------------------------


@extend_schema(parameters=[INCIDENT_PK])
class IncidentEventListView(_WritableListView):
    """The events of an incident."""

    post_serializer_class = serializers.EventCreateSerializer

    @extend_schema(responses=shapes.EventSerializer(many=True))
    def get(self, request, incident_pk, **kwargs):
        """Every event of the incident, newest first, in one unpaginated list."""
        incident = get_incident_or_404(incident_pk)
        events = events_for_representation(Event.objects.filter(incident=incident))
        return Response([event_to_dict(event) for event in events])

    @extend_schema(request=serializers.EventCreateSerializer, responses={201: shapes.EventSerializer})
    def post(self, request, incident_pk, **kwargs):
        """Add an event. Source systems may post STA, END, CHI, LES and OTH; end users CLO, REO and
        OTH (acknowledgements go through the incident's acks). ``timestamp`` is required for source
        systems and defaults to now for end users. An event that does not fit the incident's state
        is refused for end users and recorded without changing the state for source systems."""
        data = _validated(serializers.EventCreateSerializer, request)
        incident = get_incident_or_404(incident_pk)
        acks_url = request.build_absolute_uri(
            reverse(f"{request.version}:incident-acks", kwargs={"incident_pk": incident.pk})
        )
        event = services.event_create(incident=incident, actor=request.user, acks_url=acks_url, **data)
        return Response(event_to_dict(event), status=status.HTTP_201_CREATED)


@extend_schema(parameters=[INCIDENT_PK, _pk_parameter("The id of the event.")])
class IncidentEventDetailView(APIView):
    @extend_schema(responses=shapes.EventSerializer)
    def get(self, request, incident_pk, pk, **kwargs):
        """One event of the incident."""
        event = get_by_pk_or_404(events_for_representation(), pk, incident_id=parse_pk(incident_pk) or 0)
        return Response(event_to_dict(event))


class EventListView(GenericAPIView):
    """Every event of every incident, newest first, one page at a time."""

    pagination_class = EventCursorPagination
    serializer_class = shapes.EventSerializer  # for the schema; rendering is representation.py

    def get_queryset(self):
        return events_for_representation()

    @extend_schema(
        operation_id="api_v2_incidents_all_events_list",
        responses={200: shapes.EventSerializer(many=True), 404: ERROR_DETAIL},
    )
    def get(self, request, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([event_to_dict(event) for event in page])


# --- acknowledgements ----------------------------------------------------------------------------------


@extend_schema(parameters=[INCIDENT_PK])
class IncidentAckListView(_WritableListView):
    """The acknowledgements of an incident."""

    def get_post_serializer_class(self):
        if self.request.version == "v1":
            return serializers.AckCreateV1Serializer
        return serializers.AckCreateV2Serializer

    @extend_schema(responses=shapes.AcknowledgementSerializer(many=True))
    def get(self, request, incident_pk, **kwargs):
        """Every acknowledgement of the incident, newest first, in one unpaginated list."""
        incident = get_incident_or_404(incident_pk)
        acks = acks_for_representation(Acknowledgement.objects.filter(event__incident=incident))
        return Response([ack_to_dict(ack) for ack in acks])

    # The request body is described by get_serializer(): v1 nests the event, v2 is flat.
    @extend_schema(responses={201: shapes.AcknowledgementSerializer})
    def post(self, request, incident_pk, **kwargs):
        """Acknowledge the incident until ``expiration`` (null: for good); the acknowledgement is an
        ACK event."""
        data = _validated(self.get_post_serializer_class(), request)
        incident = get_incident_or_404(incident_pk)
        ack = services.acknowledgement_create(incident=incident, actor=request.user, **data)
        return Response(ack_to_dict(ack), status=status.HTTP_201_CREATED)


@extend_schema(parameters=[INCIDENT_PK, _pk_parameter("The id of the acknowledgement.")])
class IncidentAckDetailView(APIView):
    """One acknowledgement of the incident; PUT and PATCH change its expiration."""

    def get_object(self, incident_pk, pk) -> Acknowledgement:
        return get_by_pk_or_404(acks_for_representation(), pk, event__incident_id=parse_pk(incident_pk) or 0)

    @extend_schema(responses=shapes.AcknowledgementSerializer)
    def get(self, request, incident_pk, pk, **kwargs):
        return Response(ack_to_dict(self.get_object(incident_pk, pk)))

    @extend_schema(request=serializers.AckUpdateSerializer, responses=shapes.AcknowledgementSerializer)
    def put(self, request, incident_pk, pk, **kwargs):
        ack = self.get_object(incident_pk, pk)
        data = _validated(serializers.AckUpdateSerializer, request)
        ack = services.acknowledgement_update(ack=ack, expiration=data["expiration"])
        return Response(ack_to_dict(ack))

    patch = put


# --- tags of one incident ----------------------------------------------------------------------------


def _incident_for_tags(incident_pk) -> Incident:
    incident = Incident.objects.filter(pk=parse_pk(incident_pk) or 0).first()
    if incident is None:
        raise ValidationError([f"An incident with pk={incident_pk} does not exist"])
    return incident


@extend_schema(parameters=[INCIDENT_PK])
class IncidentTagListView(_WritableListView):
    """The tags of an incident. An unknown incident is a 400 here, not a 404."""

    post_serializer_class = serializers.TagSerializer

    @extend_schema(responses={200: shapes.TagSerializer(many=True), 400: VALIDATION_ERROR})
    def get(self, request, incident_pk, **kwargs):
        """Every tag of the incident."""
        incident = _incident_for_tags(incident_pk)
        relations = IncidentTagRelation.objects.filter(incident=incident).select_related("tag").order_by("id")
        return Response([{"tag": relation.tag.representation} for relation in relations])

    @extend_schema(request=shapes.TagSerializer, responses={201: shapes.TagSerializer})
    def post(self, request, incident_pk, **kwargs):
        """Add a tag to the incident."""
        incident = _incident_for_tags(incident_pk)
        data = _validated(serializers.TagSerializer, request)
        tag = services.incident_tag_add(
            incident=incident, actor=request.user, tag=(data["key"], data["value"])
        )
        return Response({"tag": tag.representation}, status=status.HTTP_201_CREATED)


@extend_schema(
    parameters=[
        INCIDENT_PK,
        OpenApiParameter("tag", str, OpenApiParameter.PATH, description="The tag, key=value."),
    ]
)
class IncidentTagDetailView(APIView):
    """One tag of the incident. An unknown incident or a malformed tag is a 400."""

    def get_object(self, incident_pk, tag) -> tuple[Incident, Tag]:
        incident = _incident_for_tags(incident_pk)
        try:
            key, value = parse_tag(tag)
        except InvalidTag as error:
            raise ValidationError([tag_error_message(error)]) from None
        relation = (
            IncidentTagRelation.objects.filter(incident=incident, tag__key=key, tag__value=value)
            .select_related("tag")
            .first()
        )
        if relation is None:
            raise NotFound("No Tag matches the given query.")
        return incident, relation.tag

    @extend_schema(responses={200: shapes.TagSerializer, 400: VALIDATION_ERROR})
    def get(self, request, incident_pk, tag, **kwargs):
        _incident, tag_obj = self.get_object(incident_pk, tag)
        return Response({"tag": tag_obj.representation})

    @extend_schema(responses={204: None, 400: VALIDATION_ERROR})
    def delete(self, request, incident_pk, tag, **kwargs):
        """Remove the tag from the incident."""
        incident, tag_obj = self.get_object(incident_pk, tag)
        services.incident_tag_remove(incident=incident, tag=tag_obj)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- source systems and types ------------------------------------------------------------------------


class SourceSystemListView(_WritableListView):
    """Source systems: anyone may read them, superusers create them (each with its own new user)."""

    post_serializer_class = serializers.SourceSystemCreateSerializer

    permission_classes = [IsSuperuserOrReadOnly]

    @extend_schema(responses=shapes.SourceSystemSerializer(many=True))
    def get(self, request, **kwargs):
        """Every source system, in id order."""
        sources = SourceSystem.objects.order_by("pk")
        return Response([source_system_to_dict(source) for source in sources])

    @extend_schema(
        request=serializers.SourceSystemCreateSerializer,
        responses={201: shapes.SourceSystemSerializer},
    )
    def post(self, request, **kwargs):
        """Create a source system and its user (named ``username``, by default the source's name)."""
        if request.version == "v1":
            data = _validated(serializers.SourceSystemCreateSerializer, request)
        else:
            data = _validated(serializers.SourceSystemCreateV2Serializer, request)
        source = services.source_system_create(**data)
        return Response(source_system_to_dict(source), status=status.HTTP_201_CREATED)


@extend_schema(parameters=[_pk_parameter("The id of the source system.")])
class SourceSystemDetailView(APIView):
    """One source system: anyone may read it, superusers rename it (other fields are ignored)."""

    # (v2 also takes heartbeat_frequency, see SourceSystemUpdateV2Serializer; this docstring is the
    # operation's description in the OpenAPI document, which stays Argus 1.37's.)

    permission_classes = [IsSuperuserOrReadOnly]

    @extend_schema(responses=shapes.SourceSystemSerializer)
    def get(self, request, pk, **kwargs):
        return Response(source_system_to_dict(get_by_pk_or_404(SourceSystem.objects.all(), pk)))

    @extend_schema(request=serializers.SourceSystemUpdateSerializer, responses=shapes.SourceSystemSerializer)
    def put(self, request, pk, **kwargs):
        source = get_by_pk_or_404(SourceSystem.objects.all(), pk)
        partial = request.method == "PATCH"
        if request.version == "v1":
            data = _validated(serializers.SourceSystemUpdateSerializer, request, partial=partial)
        else:
            data = _validated(serializers.SourceSystemUpdateV2Serializer, request, partial=partial)
        if data:
            source = services.source_system_update(source=source, data=data)
        return Response(source_system_to_dict(source))

    patch = put


class SourceSystemTypeListView(_WritableListView):
    """Source system types (the kind of monitoring system a source is)."""

    post_serializer_class = serializers.SourceSystemTypeSerializer

    @extend_schema(responses=serializers.SourceSystemTypeSerializer(many=True))
    def get(self, request, **kwargs):
        return Response([{"name": name} for name in SourceSystemType.objects.values_list("name", flat=True)])

    @extend_schema(
        request=serializers.SourceSystemTypeSerializer,
        responses={201: serializers.SourceSystemTypeSerializer},
    )
    def post(self, request, **kwargs):
        data = _validated(serializers.SourceSystemTypeSerializer, request)
        source_type = services.source_system_type_create(name=data["name"])
        return Response({"name": source_type.name}, status=status.HTTP_201_CREATED)


@extend_schema(
    parameters=[
        OpenApiParameter(
            "name", str, OpenApiParameter.PATH, pattern=r"^[^/.]+$", description="The type's name."
        )
    ]
)
class SourceSystemTypeDetailView(APIView):
    """One source system type."""

    @extend_schema(responses=serializers.SourceSystemTypeSerializer)
    def get(self, request, name, **kwargs):
        source_type = get_object_or_404(SourceSystemType, name=name)
        return Response({"name": source_type.name})


# --- v2 bulk endpoints ---------------------------------------------------------------------------------


class _BulkView(APIView):
    """Validate ``ids`` and the payload, then apply one service to every existing incident.

    The answer has one entry per distinct id; missing ids get a 400 entry. Two queries find the
    incidents and a constant number more apply the change, whatever the number of ids.
    """

    serializer_class = None
    key = ""

    def apply(self, request, incidents: list[Incident], data: dict) -> dict:
        raise NotImplementedError

    def post(self, request, **kwargs):
        data = _validated(self.serializer_class, request)
        ids = list(dict.fromkeys(data["ids"]))
        found_ids = [pk for pk in ids if parse_pk(pk) is not None]
        by_pk = {incident.pk: incident for incident in Incident.objects.filter(pk__in=found_ids)}
        changes = {}
        for pk in ids:
            if pk not in by_pk:
                changes[str(pk)] = {
                    self.key: None,
                    "status": status.HTTP_400_BAD_REQUEST,
                    "errors": {"ids": f"Incident with id {pk} could not be found."},
                }
        incidents = [by_pk[pk] for pk in ids if pk in by_pk]
        if incidents:
            results = self.apply(request, incidents, data)
            for incident in incidents:
                changes[str(incident.pk)] = {
                    self.key: results[incident.pk],
                    "status": status.HTTP_201_CREATED,
                    "errors": None,
                }
        http_status = status.HTTP_201_CREATED if incidents else status.HTTP_400_BAD_REQUEST
        return Response({"changes": changes}, status=http_status)


def _bulk_schema(result_serializer):
    """201 when at least one incident was changed; 400 with the same shape when none was."""
    return extend_schema(
        responses={
            201: result_serializer,
            400: OpenApiResponse(
                OpenApiTypes.ANY,
                description="No incident was changed (the body has the answer's shape), or the "
                "request was not accepted (field errors).",
            ),
        }
    )


@_bulk_schema(shapes.BulkAckResultSerializer)
class BulkAckView(_BulkView):
    """Acknowledge several incidents at once; the answer has one entry per incident id."""

    serializer_class = serializers.BulkAckSerializer
    key = "ack"

    def apply(self, request, incidents, data):
        acks = services.bulk_acknowledgement_create(incidents=incidents, actor=request.user, **data["ack"])
        return {pk: ack_to_dict(ack) for pk, ack in acks.items()}


@_bulk_schema(shapes.BulkEventResultSerializer)
class BulkEventView(_BulkView):
    """Add the same event to several incidents; the answer has one entry per incident id."""

    serializer_class = serializers.BulkEventSerializer
    key = "event"

    def apply(self, request, incidents, data):
        event_data = dict(data["event"])
        event_data["timestamp"] = event_data.get("timestamp") or timezone.now()
        events = services.bulk_event_create(incidents=incidents, actor=request.user, **event_data)
        return {pk: event_to_dict(event) for pk, event in events.items()}


@_bulk_schema(shapes.BulkTicketUrlResultSerializer)
class BulkTicketUrlView(_BulkView):
    """Set the same ticket URL on several incidents; the answer has one entry per incident id."""

    serializer_class = serializers.BulkTicketUrlSerializer
    key = "ticket_url"

    def apply(self, request, incidents, data):
        return services.bulk_set_ticket_url(
            incidents=incidents, actor=request.user, ticket_url=data["ticket_url"]
        )


# --- v2 automatic ticket -------------------------------------------------------------------------------

_TICKET_ERROR = OpenApiResponse(
    {"type": "string"}, description="The ticket could not be made (the message says why)."
)


@extend_schema(parameters=[INCIDENT_PK])
class AutomaticTicketView(APIView):
    """Create a ticket with the server's ticket plugin unless the incident already has one, and
    answer its URL."""

    @extend_schema(
        request=None,
        responses={
            200: shapes.TicketUrlSerializer,
            400: _TICKET_ERROR,
            403: _TICKET_ERROR,
            503: _TICKET_ERROR,
        },
    )
    def put(self, request, incident_pk, **kwargs):
        incident = get_incident_or_404(incident_pk)
        if incident.ticket_url:
            return Response({"ticket_url": incident.ticket_url})
        try:
            ticket_url = ticket_utils.create_automatic_ticket(incident=incident, actor=request.user)
        except ticket_utils.AutomaticTicketError as error:
            return Response(error.message, status=error.status_code)
        return Response({"ticket_url": ticket_url})
