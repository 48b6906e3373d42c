"""Incident relations and their types (admin only: the API has no such endpoints)."""

from django.contrib import admin

from argus.incident.models import IncidentRelation, IncidentRelationType


@admin.register(IncidentRelationType)
class IncidentRelationTypeAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(IncidentRelation)
class IncidentRelationAdmin(admin.ModelAdmin):
    list_display = ["incident1", "type", "incident2", "description"]
    list_select_related = ["incident1__source__type", "incident2__source__type", "type"]
    raw_id_fields = ["incident1", "incident2"]
    list_filter = ["type"]
