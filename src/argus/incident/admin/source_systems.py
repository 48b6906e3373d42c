"""Source systems and their types in the admin.

A source system is added by ``services.source_system_create``, the same service the API and
``create_source`` use: the same username rule (default: the source's name; ``_XXXXXX`` appended
when taken); here the user's API token is issued with it, so the operator can copy it at once. Changes and deletes go through the services
too; a refusal is shown on the form or page (see :mod:`argus.incident.admin.refusals`).
"""

from django import forms
from django.contrib import admin, messages

from argus.incident.admin.refusals import ServiceRefusalsMixin
from argus.incident.errors import InvalidSystemUsername, SourceSystemExists
from argus.incident.models import SourceSystem, SourceSystemType
from argus.incident.services import source_system_create, source_system_update, source_systems_delete


@admin.register(SourceSystemType)
class SourceSystemTypeAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


class SourceSystemAddForm(forms.ModelForm):
    username = forms.CharField(
        required=False,
        max_length=150,
        label="Username for the source system's system user",
        help_text=(
            "Defaults to the source system's name; when that username is taken, _ and six "
            "characters are appended. The user and its API token are created with the source."
        ),
    )

    class Meta:
        model = SourceSystem
        fields = ["name", "type", "username", "base_url"]


@admin.register(SourceSystem)
class SourceSystemAdmin(ServiceRefusalsMixin, admin.ModelAdmin):
    list_display = ["name", "type", "user", "base_url"]
    list_select_related = ["type", "user"]
    list_filter = ["type"]
    search_fields = ["name", "user__username"]
    add_form = SourceSystemAddForm
    refusal_fields = {InvalidSystemUsername: "username", SourceSystemExists: None}

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = SourceSystemAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "type", "username", "base_url"]
        return ["name", "type", "user", "base_url"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["user"]

    def save_model(self, request, obj, form, change):
        if change:
            changed = [field for field in ("name", "type", "base_url") if field in form.changed_data]
            source_system_update(source=obj, data={field: form.cleaned_data[field] for field in changed})
            return
        created = source_system_create(
            name=form.cleaned_data["name"],
            type=form.cleaned_data["type"],
            username=form.cleaned_data.get("username") or None,
            base_url=form.cleaned_data.get("base_url") or "",
            with_token=True,
        )
        obj.pk, obj.user = created.pk, created.user
        obj._state.adding, obj._state.db = False, created._state.db
        self.message_user(
            request,
            f'Its system user is "{created.user.username}"; its API token is under Auth Token → Tokens.',
            messages.INFO,
        )

    def delete_model(self, request, obj):
        source_systems_delete(sources=[obj])

    def delete_queryset(self, request, queryset):
        source_systems_delete(sources=list(queryset.select_related("type", "user")))
