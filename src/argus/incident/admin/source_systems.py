"""Source systems and their types in the admin (with their liveness: last seen, heartbeat frequency).

A source system is added by ``services.source_system_create``, the same service the API and
``create_source`` use: the same username rule (default: the source's name; ``_XXXXXX`` appended
when taken); here the user's API token is issued with it, so the operator can copy it at once. Changes and deletes go through the services
too; a refusal is shown on the form or page (see :mod:`argus.incident.admin.refusals`).
"""

from django import forms
from django.contrib import admin, messages
from django.db import models

from argus.incident.admin.refusals import ServiceRefusalsMixin
from argus.incident.choices import LivenessState
from argus.incident.errors import InvalidSystemUsername, SourceSystemExists
from argus.incident.liveness import liveness
from argus.incident.models import SourceSystem, SourceSystemType
from argus.incident.services import source_system_create, source_system_update, source_systems_delete

SHORT_TEXT = forms.TextInput(attrs={"class": "vTextField"})
HEARTBEAT_FREQUENCY_HELP = (
    "How often the source must report, from 1 minute to 1 day: seconds (300), DD HH:MM:SS "
    "(1 00:00:00 is a day) or an ISO 8601 duration (PT5M). Empty: not monitored. A source silent "
    "for longer (plus 10 s) gets a dead-source incident."
)


@admin.register(SourceSystemType)
class SourceSystemTypeAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    formfield_overrides = {models.TextField: {"widget": SHORT_TEXT}}


class SourceSystemForm(forms.ModelForm):
    class Meta:
        model = SourceSystem
        fields = ["name", "type", "base_url", "heartbeat_frequency"]
        widgets = {"name": SHORT_TEXT, "base_url": SHORT_TEXT}
        help_texts = {"heartbeat_frequency": HEARTBEAT_FREQUENCY_HELP}


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
        fields = ["name", "type", "username", "base_url", "heartbeat_frequency"]
        widgets = {"name": SHORT_TEXT, "base_url": SHORT_TEXT}
        help_texts = {"heartbeat_frequency": HEARTBEAT_FREQUENCY_HELP}


@admin.register(SourceSystem)
class SourceSystemAdmin(ServiceRefusalsMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "type",
        "user",
        "base_url",
        "last_seen",
        "heartbeat_frequency",
        "liveness_display",
    ]
    list_select_related = ["type", "user"]
    list_filter = ["type", "last_seen", ("heartbeat_frequency", admin.EmptyFieldListFilter)]
    date_hierarchy = "last_seen"
    search_fields = ["name", "user__username"]
    form = SourceSystemForm
    add_form = SourceSystemAddForm
    refusal_fields = {InvalidSystemUsername: "username", SourceSystemExists: None}

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = SourceSystemAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "type", "username", "base_url", "heartbeat_frequency"]
        return ["name", "type", "user", "base_url", "heartbeat_frequency", "last_seen", "liveness_display"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["user", "last_seen", "liveness_display"]

    @admin.display(description="Liveness")
    def liveness_display(self, source):
        return LivenessState(liveness(source).state).label

    def save_model(self, request, obj, form, change):
        if change:
            fields = ("name", "type", "base_url", "heartbeat_frequency")
            changed = [field for field in fields if field in form.changed_data]
            source_system_update(source=obj, data={field: form.cleaned_data[field] for field in changed})
            return
        created = source_system_create(
            name=form.cleaned_data["name"],
            type=form.cleaned_data["type"],
            username=form.cleaned_data.get("username") or None,
            base_url=form.cleaned_data.get("base_url") or "",
            with_token=True,
            heartbeat_frequency=form.cleaned_data.get("heartbeat_frequency"),
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
