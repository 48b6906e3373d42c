"""User admin: Django's user admin with the Preferences inline.

Users added or changed here are saved by ``services.user_save``, which gives a new user its
notification defaults and moves the synced email destination along with a changed email.

Users that are "in use" (have caused events, or are the user of a source with incidents) cannot be
deleted, so there is no delete button for them and no bulk delete action at all. DRF tokens
(``authtoken/tokenproxy``) keep DRF's admin, re-registered so that creating or deleting a token
goes through the token services (a source's token-expiry incident is ended). Knox tokens and the
social-auth tables are registered by their apps.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from rest_framework.authtoken.admin import TokenAdmin as DRFTokenAdmin
from rest_framework.authtoken.models import TokenProxy

from argus.auth import services, tokens
from argus.auth.models import Preferences, User
from argus.incident.queries import user_is_in_use


class PreferencesInline(admin.StackedInline):
    model = Preferences
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [PreferencesInline]

    def save_model(self, request, obj, form, change):
        services.user_save(user=obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        if obj is not None and user_is_in_use(obj):
            return False
        return super().has_delete_permission(request, obj)


class TokenAdmin(DRFTokenAdmin):
    """DRF's "Auth Token" admin at /admin/authtoken/tokenproxy/, plus the token-change rules."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        tokens.token_changed(user=obj.user)

    def delete_model(self, request, obj):
        user = obj.user
        super().delete_model(request, obj)
        tokens.token_changed(user=user)


if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)
admin.site.register(TokenProxy, TokenAdmin)
