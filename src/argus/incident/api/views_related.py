"""Views of the incident sub-resources (incidents.md §4.10–§4.17), shared by v1 and v2.

Versions differ only where the spec says so: the ack body shape (``request.version``) and the
v2-only endpoints, which only the v2 URL module mounts. Views validate with the serializers of
:mod:`serializers_related`, change state through :mod:`argus.incident.services` and render with
:mod:`argus.incident.representation`.
"""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from argus.auth.permissions import IsSuperuserOrReadOnly
from argus.incident import services
from argus.incident.api import serializers_related as serializers
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


def get_incident_or_404(incident_pk) -> Incident:
    return get_by_pk_or_404(Incident.objects.select_related("source"), incident_pk)


def _validated(serializer_class, request, **kwargs):
    serializer = serializer_class(data=request.data, context={"request": request}, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class _WritableListView(APIView):
    """A list endpoint whose POST body is described by ``post_serializer_class``.

    ``get_serializer`` lets OPTIONS describe the body under ``actions.POST`` (§0).
    """

    post_serializer_class = None

    def get_post_serializer_class(self):
        return self.post_serializer_class

    def get_serializer(self, *args, **kwargs):
        return self.get_post_serializer_class()(*args, context={"request": self.request}, **kwargs)


# --- events (§4.10) ------------------------------------------------------------------------------


class IncidentEventListView(_WritableListView):
    """GET the events of an incident (plain array), POST a new event."""

    post_serializer_class = serializers.EventCreateSerializer

    @extend_schema(responses=serializers.EventDocSerializer(many=True))
    def get(self, request, incident_pk, **kwargs):
        incident = get_incident_or_404(incident_pk)
        events = events_for_representation(Event.objects.filter(incident=incident))
        return Response([event_to_dict(event) for event in events])

    @extend_schema(request=serializers.EventCreateSerializer, responses={201: serializers.EventDocSerializer})
    def post(self, request, incident_pk, **kwargs):
        data = _validated(serializers.EventCreateSerializer, request)
        incident = get_incident_or_404(incident_pk)
        acks_url = request.build_absolute_uri(
            reverse(f"{request.version}:incident-acks", kwargs={"incident_pk": incident.pk})
        )
        event = services.event_create(incident=incident, actor=request.user, acks_url=acks_url, **data)
        return Response(event_to_dict(event), status=status.HTTP_201_CREATED)


class IncidentEventDetailView(APIView):
    @extend_schema(responses=serializers.EventDocSerializer)
    def get(self, request, incident_pk, pk, **kwargs):
        event = get_by_pk_or_404(events_for_representation(), pk, incident_id=parse_pk(incident_pk) or 0)
        return Response(event_to_dict(event))


class EventListView(GenericAPIView):
    """v2 GET ``incidents/events/``: every event, cursor-paginated on ``-timestamp`` (§4.15)."""

    pagination_class = EventCursorPagination
    serializer_class = serializers.EventDocSerializer  # for the schema; rendering is representation.py

    def get_queryset(self):
        return events_for_representation()

    def get(self, request, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([event_to_dict(event) for event in page])


# --- acknowledgements (§4.11) ----------------------------------------------------------------------


class IncidentAckListView(_WritableListView):
    """GET the acks of an incident (plain array), POST a new ack (v1 nested / v2 flat body)."""

    def get_post_serializer_class(self):
        if self.request.version == "v1":
            return serializers.AckCreateV1Serializer
        return serializers.AckCreateV2Serializer

    @extend_schema(responses=serializers.AckDocSerializer(many=True))
    def get(self, request, incident_pk, **kwargs):
        incident = get_incident_or_404(incident_pk)
        acks = acks_for_representation(Acknowledgement.objects.filter(event__incident=incident))
        return Response([ack_to_dict(ack) for ack in acks])

    @extend_schema(request=serializers.AckCreateV2Serializer, responses={201: serializers.AckDocSerializer})
    def post(self, request, incident_pk, **kwargs):
        data = _validated(self.get_post_serializer_class(), request)
        incident = get_incident_or_404(incident_pk)
        ack = services.acknowledgement_create(incident=incident, actor=request.user, **data)
        return Response(ack_to_dict(ack), status=status.HTTP_201_CREATED)


class IncidentAckDetailView(APIView):
    """GET one ack; PUT/PATCH change its expiration (any authenticated user)."""

    def get_object(self, incident_pk, pk) -> Acknowledgement:
        return get_by_pk_or_404(acks_for_representation(), pk, event__incident_id=parse_pk(incident_pk) or 0)

    @extend_schema(responses=serializers.AckDocSerializer)
    def get(self, request, incident_pk, pk, **kwargs):
        return Response(ack_to_dict(self.get_object(incident_pk, pk)))

    @extend_schema(request=serializers.AckUpdateSerializer, responses=serializers.AckDocSerializer)
    def put(self, request, incident_pk, pk, **kwargs):
        ack = self.get_object(incident_pk, pk)
        data = _validated(serializers.AckUpdateSerializer, request)
        ack = services.acknowledgement_update(ack=ack, expiration=data["expiration"])
        return Response(ack_to_dict(ack))

    patch = put


# --- tags of one incident (§4.12) --------------------------------------------------------------------


def _incident_for_tags(incident_pk) -> Incident:
    incident = Incident.objects.filter(pk=parse_pk(incident_pk) or 0).first()
    if incident is None:
        raise ValidationError([f"An incident with pk={incident_pk} does not exist"])
    return incident


class IncidentTagListView(_WritableListView):
    post_serializer_class = serializers.TagSerializer

    @extend_schema(responses=serializers.TagDocSerializer(many=True))
    def get(self, request, incident_pk, **kwargs):
        incident = _incident_for_tags(incident_pk)
        relations = IncidentTagRelation.objects.filter(incident=incident).select_related("tag").order_by("id")
        return Response([{"tag": relation.tag.representation} for relation in relations])

    @extend_schema(request=serializers.TagDocSerializer, responses={201: serializers.TagDocSerializer})
    def post(self, request, incident_pk, **kwargs):
        incident = _incident_for_tags(incident_pk)
        data = _validated(serializers.TagSerializer, request)
        tag = services.incident_tag_add(
            incident=incident, actor=request.user, tag=(data["key"], data["value"])
        )
        return Response({"tag": tag.representation}, status=status.HTTP_201_CREATED)


class IncidentTagDetailView(APIView):
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

    @extend_schema(responses=serializers.TagDocSerializer)
    def get(self, request, incident_pk, tag, **kwargs):
        _incident, tag_obj = self.get_object(incident_pk, tag)
        return Response({"tag": tag_obj.representation})

    @extend_schema(responses={204: None})
    def delete(self, request, incident_pk, tag, **kwargs):
        incident, tag_obj = self.get_object(incident_pk, tag)
        services.incident_tag_remove(incident=incident, tag=tag_obj)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- source systems and types (§4.13, §4.14) -----------------------------------------------------------


class SourceSystemListView(_WritableListView):
    """Anyone may read; superusers create (a new system user comes with each source)."""

    post_serializer_class = serializers.SourceSystemCreateSerializer

    permission_classes = [IsSuperuserOrReadOnly]

    @extend_schema(responses=serializers.SourceSystemDocSerializer(many=True))
    def get(self, request, **kwargs):
        sources = SourceSystem.objects.order_by("pk")
        return Response([source_system_to_dict(source) for source in sources])

    @extend_schema(
        request=serializers.SourceSystemCreateSerializer,
        responses={201: serializers.SourceSystemDocSerializer},
    )
    def post(self, request, **kwargs):
        data = _validated(serializers.SourceSystemCreateSerializer, request)
        source = services.source_system_create(**data)
        return Response(source_system_to_dict(source), status=status.HTTP_201_CREATED)


class SourceSystemDetailView(APIView):
    permission_classes = [IsSuperuserOrReadOnly]

    @extend_schema(responses=serializers.SourceSystemDocSerializer)
    def get(self, request, pk, **kwargs):
        return Response(source_system_to_dict(get_by_pk_or_404(SourceSystem.objects.all(), pk)))

    @extend_schema(
        request=serializers.SourceSystemUpdateSerializer, responses=serializers.SourceSystemDocSerializer
    )
    def put(self, request, pk, **kwargs):
        source = get_by_pk_or_404(SourceSystem.objects.all(), pk)
        partial = request.method == "PATCH"
        data = _validated(serializers.SourceSystemUpdateSerializer, request, partial=partial)
        if "name" in data:
            source = services.source_system_update(source=source, data={"name": data["name"]})
        return Response(source_system_to_dict(source))

    patch = put


class SourceSystemTypeListView(_WritableListView):
    post_serializer_class = serializers.SourceSystemTypeSerializer

    @extend_schema(responses=serializers.SourceSystemTypeDocSerializer(many=True))
    def get(self, request, **kwargs):
        return Response([{"name": name} for name in SourceSystemType.objects.values_list("name", flat=True)])

    @extend_schema(
        request=serializers.SourceSystemTypeSerializer,
        responses={201: serializers.SourceSystemTypeDocSerializer},
    )
    def post(self, request, **kwargs):
        data = _validated(serializers.SourceSystemTypeSerializer, request)
        source_type = services.source_system_type_create(name=data["name"])
        return Response({"name": source_type.name}, status=status.HTTP_201_CREATED)


class SourceSystemTypeDetailView(APIView):
    @extend_schema(responses=serializers.SourceSystemTypeDocSerializer)
    def get(self, request, name, **kwargs):
        source_type = get_object_or_404(SourceSystemType, name=name)
        return Response({"name": source_type.name})


# --- v2 bulk endpoints (§4.16) -------------------------------------------------------------------------


class _BulkView(APIView):
    """Validate ``ids`` and the payload, then apply one service to every existing incident.

    The answer has one entry per distinct id; missing ids get a 400 entry. Two queries find the
    incidents and a constant number more apply the change, whatever the number of ids.
    """

    serializer_class = None
    key = ""

    def apply(self, request, incidents: list[Incident], data: dict) -> dict:
        raise NotImplementedError

    @extend_schema(
        responses={201: serializers.BulkResultDocSerializer, 400: serializers.BulkResultDocSerializer}
    )
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


class BulkAckView(_BulkView):
    serializer_class = serializers.BulkAckSerializer
    key = "ack"

    def apply(self, request, incidents, data):
        acks = services.bulk_acknowledgement_create(incidents=incidents, actor=request.user, **data["ack"])
        return {pk: ack_to_dict(ack) for pk, ack in acks.items()}


class BulkEventView(_BulkView):
    serializer_class = serializers.BulkEventSerializer
    key = "event"

    def apply(self, request, incidents, data):
        event_data = dict(data["event"])
        event_data["timestamp"] = event_data.get("timestamp") or timezone.now()
        events = services.bulk_event_create(incidents=incidents, actor=request.user, **event_data)
        return {pk: event_to_dict(event) for pk, event in events.items()}


class BulkTicketUrlView(_BulkView):
    serializer_class = serializers.BulkTicketUrlSerializer
    key = "ticket_url"

    def apply(self, request, incidents, data):
        return services.bulk_set_ticket_url(
            incidents=incidents, actor=request.user, ticket_url=data["ticket_url"]
        )


# --- v2 automatic ticket (§4.17) -------------------------------------------------------------------------


class AutomaticTicketView(APIView):
    """PUT: create a ticket with the configured plugin unless the incident already has one."""

    @extend_schema(request=None, responses=serializers.TicketUrlDocSerializer)
    def put(self, request, incident_pk, **kwargs):
        incident = get_incident_or_404(incident_pk)
        if incident.ticket_url:
            return Response({"ticket_url": incident.ticket_url})
        try:
            ticket_url = ticket_utils.create_automatic_ticket(incident=incident, actor=request.user)
        except ticket_utils.AutomaticTicketError as error:
            return Response(error.message, status=error.status_code)
        return Response({"ticket_url": ticket_url})
