"""Tags in the admin: a searchable list (tags are added to incidents on the incident page)."""

from django.contrib import admin

from argus.incident.models import Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["__str__", "key", "value"]
    search_fields = ["key", "value"]
    ordering = ["key", "value"]
