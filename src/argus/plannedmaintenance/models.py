"""Planned maintenance: announced windows in which matching incidents notify nobody.

Models hold fields and constraints. Every change goes through
``argus.plannedmaintenance.services``; which tasks are current and what a task covers are in
``queries`` and ``coverage``.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from argus.incident.fields import InfinityDateTimeField
from argus.incident.models import Incident
from argus.notificationprofile.models import Filter
from argus.plannedmaintenance.choices import DESCRIPTION_MAX_LENGTH
from argus.plannedmaintenance.errors import EndTimeNotAfterStartTime
from argus.util.datetime_utils import INFINITY


class PlannedMaintenanceTask(models.Model):
    """A window ``[start_time, end_time]`` (both inclusive) and the filters of what it covers.

    An incident is covered when it matches *every* filter; a task without filters covers nothing.
    ``incidents`` are the incidents the task covered while it was current (the link table,
    history: links are never removed by time).
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="planned_maintenance_tasks",
    )
    created = models.DateTimeField(default=timezone.now, editable=False)
    start_time = models.DateTimeField(default=timezone.now)
    end_time = InfinityDateTimeField(
        default=INFINITY, help_text="Infinity: until someone ends it. Must be later than the start time."
    )
    description = models.CharField(max_length=DESCRIPTION_MAX_LENGTH, blank=True, default="")
    filters = models.ManyToManyField(Filter, related_name="planned_maintenance_tasks")
    notify_when_ended = models.BooleanField(
        default=True,
        help_text="When the task has ended, incidents it covered that are still open get an event "
        "(which notifies as usual).",
    )
    # When check_ended_maintenance announced the still-open incidents (NULL: not yet, or the end
    # was moved into the future since).
    ended_notice_at = models.DateTimeField(null=True, blank=True, editable=False)
    incidents = models.ManyToManyField(
        Incident, through="PlannedMaintenanceLink", related_name="maintenance_tasks", blank=True
    )

    class Meta:
        ordering = ["start_time"]
        verbose_name = "planned maintenance task"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")),
                name="plannedmaintenancetask_end_after_start",
                violation_error_message=EndTimeNotAfterStartTime().message,
            ),
        ]
        indexes = [
            # Tasks whose window holds a moment t: end_time >= t is selective (most tasks are past).
            models.Index(fields=["end_time", "start_time"], name="maintenance_task_window"),
        ]

    def __str__(self):
        description = f": {self.description}" if self.description else ""
        return f"Planned maintenance #{self.pk}{description}"


class PlannedMaintenanceLink(models.Model):
    """An incident a task covered while it was current (what the lists show as under maintenance)."""

    id = models.BigAutoField(primary_key=True)
    # db_index=False: the unique (task, incident) index serves lookups by task.
    task = models.ForeignKey(
        PlannedMaintenanceTask, on_delete=models.CASCADE, related_name="links", db_index=False
    )
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "planned maintenance link"
        constraints = [
            models.UniqueConstraint(
                fields=["task", "incident"], name="plannedmaintenancelink_unique_task_incident"
            ),
        ]

    def __str__(self):
        return f"Incident #{self.incident_id} under planned maintenance #{self.task_id}"
