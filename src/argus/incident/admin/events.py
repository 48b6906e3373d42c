"""Events in the admin: read-only, they are the incidents' history."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from argus.incident.admin.date_hierarchy import with_cheap_date_hierarchy
from argus.incident.admin.list_filters import EventSourceFilter, EventSourceTypeFilter
from argus.incident.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Read-only: events are the incident's history; new ones come from the API or actions."""

    list_display = ["id", "timestamp", "type", "actor", "description", "incident_link"]
    list_filter = ["type", EventSourceFilter, EventSourceTypeFilter]
    list_select_related = ["actor", "incident"]
    search_fields = ["description", "=incident__id"]
    date_hierarchy = "timestamp"
    show_full_result_count = False

    def get_queryset(self, request):
        return with_cheap_date_hierarchy(super().get_queryset(request), "timestamp", request)

    @admin.display(description="Incident", ordering="incident_id")
    def incident_link(self, event):
        url = reverse("admin:argus_incident_incident_change", args=[event.incident_id])
        return format_html('<a href="{}">#{}</a>', url, event.incident_id)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
