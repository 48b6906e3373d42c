"""User admin (auth.md §6): Django's user admin with the Preferences inline.

Users that are "in use" (have caused events, or are the user of a source with incidents) cannot be
deleted, so there is no delete button for them and no bulk delete action at all. DRF tokens
(``authtoken/tokenproxy``), knox tokens and the social-auth tables are registered by their apps.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from argus.auth.models import Preferences, User


class PreferencesInline(admin.StackedInline):
    model = Preferences
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [PreferencesInline]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_used():
            return False
        return super().has_delete_permission(request, obj)
