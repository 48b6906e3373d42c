"""Source liveness in the v2 API: the explicit heartbeat and the liveness list.

A source's ``last_seen`` is also written by every other API request it makes (see
``argus.site.middleware.SourceSeenMiddleware``); what counts as alive is
:mod:`argus.incident.liveness`.
"""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from argus.incident import services
from argus.incident.api import shapes
from argus.incident.choices import LivenessState
from argus.incident.liveness import liveness_state
from argus.incident.models import SourceSystem
from argus.incident.representation import source_liveness_to_dict
from argus.util.openapi import VALIDATION_ERROR

NOT_A_SOURCE = "Only source system users can send heartbeats."


class HeartbeatView(APIView):
    """A source system says it is alive."""

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="Recorded as the source's last_seen.")},
    )
    def post(self, request, **kwargs):
        """Record the source system's ``last_seen`` (now). The body is ignored. Only source
        system users may send heartbeats; a source with a ``heartbeat_frequency`` that stops
        sending them (and makes no other API request) gets a dead-source incident."""
        source = services.source_system_of(request.user)
        if source is None:
            raise PermissionDenied(NOT_A_SOURCE)
        services.source_system_seen(source=source, heartbeat=True)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LivenessView(APIView):
    """Which source systems report as often as they promised."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "state",
                str,
                enum=LivenessState.values,
                description="Only sources in this state.",
            )
        ],
        responses={200: shapes.SourceLivenessSerializer(many=True), 400: VALIDATION_ERROR},
    )
    def get(self, request, **kwargs):
        """Every source system with its ``last_seen``, ``heartbeat_frequency``, next due heartbeat and
        state (off, waiting, alive, dead), ordered by name."""
        wanted = request.query_params.get("state")
        if wanted is not None and wanted not in LivenessState.values:
            raise ValidationError(
                {"state": [f"Select a valid choice. {wanted} is not one of the available choices."]}
            )
        now = timezone.now()
        sources = SourceSystem.objects.order_by("name", "pk")
        if wanted is not None:
            sources = [source for source in sources if liveness_state(source, now) == wanted]
        return Response([source_liveness_to_dict(source, now) for source in sources])
