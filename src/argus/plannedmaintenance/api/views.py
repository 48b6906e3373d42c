"""/api/v2/plannedmaintenance/: planned maintenance tasks (any user reads, staff writes).

Every write is one call of :mod:`argus.plannedmaintenance.services`; what a service refuses is
answered by the exception handler (``api/errors.py``). Reads go through
:mod:`argus.plannedmaintenance.queries`: the list costs two queries whatever its length.
"""

from django import forms
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from argus.auth.permissions import IsStaffOrReadOnly
from argus.incident.api.pagination import ArgusCursorPagination
from argus.incident.api.shapes import PaginatedIncidentListSerializer
from argus.incident.models import Incident
from argus.incident.queries import incidents_for_representation
from argus.incident.representation import incidents_to_v2
from argus.plannedmaintenance import services
from argus.plannedmaintenance.api.serializers import (
    PlannedMaintenanceTaskInputSerializer,
    PlannedMaintenanceTaskSerializer,
    PreviewInputSerializer,
    PreviewSerializer,
    task_to_dict,
)
from argus.plannedmaintenance.choices import TaskState
from argus.plannedmaintenance.coverage import maintenance_preview
from argus.plannedmaintenance.models import PlannedMaintenanceTask
from argus.plannedmaintenance.queries import state_q, tasks_for_representation
from argus.util.ids import get_by_pk_or_404
from argus.util.openapi import VALIDATION_ERROR, model_viewset_schema

STATE_PARAMETER = OpenApiParameter(
    "state",
    {"type": "string", "enum": TaskState.values},
    OpenApiParameter.QUERY,
    required=False,
    description="Only the tasks in this state: future (not started), current (started, not ended) "
    "or past (ended). Empty: every task.",
)
PAGE_PARAMETERS = [
    OpenApiParameter("cursor", str, required=False, description="The pagination cursor value."),
    OpenApiParameter(
        "page_size", int, required=False, description="Number of results to return per page (default 100)."
    ),
]


def parse_state(params) -> str | None:
    """``?state=`` as a TaskState value (None: no filter); another value is a 400 as Django words it."""
    value = params.get("state")
    if not value:
        return None
    field = forms.ChoiceField(choices=TaskState.choices)
    try:
        return field.clean(value)
    except forms.ValidationError as error:
        raise ValidationError({"state": error.messages}) from None


@extend_schema_view(
    list=extend_schema(
        parameters=[STATE_PARAMETER],
        responses={200: PlannedMaintenanceTaskSerializer(many=True), 400: VALIDATION_ERROR},
    )
)
@model_viewset_schema(PlannedMaintenanceTaskSerializer, destroy_refusal=True)
class PlannedMaintenanceTaskViewSet(viewsets.GenericViewSet):
    """Planned maintenance: windows in which events on the covered incidents notify nobody.

    Any authenticated user may read; creating, changing, ending, deleting and previewing need a
    staff user.
    """

    permission_classes = [IsStaffOrReadOnly]
    serializer_class = PlannedMaintenanceTaskInputSerializer
    queryset = PlannedMaintenanceTask.objects.none()  # for the schema; requests use get_object()

    def get_object(self) -> PlannedMaintenanceTask:
        return get_by_pk_or_404(tasks_for_representation(), self.kwargs["pk"])

    def render(self, task: PlannedMaintenanceTask, status_code=status.HTTP_200_OK) -> Response:
        task = tasks_for_representation().get(pk=task.pk)
        return Response(task_to_dict(task), status=status_code)

    def list(self, request, *args, **kwargs):
        """Every task, latest start first (not paginated); ``state`` picks future, current or past ones."""
        now = timezone.now()
        queryset = tasks_for_representation()
        state = parse_state(request.query_params)
        if state is not None:
            queryset = queryset.filter(state_q(state, now))
        tasks = queryset.order_by("-start_time", "-pk")
        return Response([task_to_dict(task, now) for task in tasks])

    def retrieve(self, request, *args, **kwargs):
        return Response(task_to_dict(self.get_object()))

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task = services.task_create(created_by=request.user, **serializer.validated_data)
        return self.render(task, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        task = self.get_object()
        serializer = self.get_serializer(task, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        task = services.task_update(task=task, data=dict(serializer.validated_data))
        return self.render(task)

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        """Delete a future task (a current one is ended with ``end/``, a past one is history)."""
        services.task_delete(task=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: PlannedMaintenanceTaskSerializer, 400: VALIDATION_ERROR})
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        """End a current task now (its end time becomes now)."""
        task = services.task_end(task=self.get_object())
        return self.render(task)

    @extend_schema(parameters=PAGE_PARAMETERS, responses={200: PaginatedIncidentListSerializer})
    @action(detail=True, methods=["get"], pagination_class=ArgusCursorPagination)
    def incidents(self, request, pk=None):
        """The incidents the task covered while it was current (newest first, one page at a time),
        whatever their state now."""
        task = self.get_object()
        paginator = ArgusCursorPagination()
        linked = incidents_for_representation(Incident.objects.filter(maintenance_tasks=task.pk))
        page = paginator.paginate_queryset(linked, request, view=self)
        return paginator.get_paginated_response(incidents_to_v2(page))

    @extend_schema(request=PreviewInputSerializer, responses={200: PreviewSerializer})
    @action(detail=False, methods=["post"])
    def preview(self, request):
        """What a task with these filters would cover now: the number of open incidents, how many of
        them match every filter, and the newest ``limit`` (default 5, at most 100) of those."""
        serializer = PreviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = maintenance_preview(**serializer.validated_data)
        return Response({**result, "incidents": incidents_to_v2(result["incidents"])})
