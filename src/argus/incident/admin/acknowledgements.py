"""Acknowledgements in the admin: added, changed and deleted through the services.

Deleting an acknowledgement deletes its ACK event too (an ack *is* its event), and the incident's
``acked_until`` is recomputed by ``acknowledgements_delete``.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from argus.incident.admin.list_filters import AcknowledgementSourceFilter
from argus.incident.admin.refusals import ServiceRefusalsMixin
from argus.incident.errors import ExpiredAcknowledgement
from argus.incident.models import Acknowledgement, Incident
from argus.incident.services import acknowledgement_create, acknowledgement_update, acknowledgements_delete


class AcknowledgementAddForm(forms.ModelForm):
    incident = forms.IntegerField(label="Incident ID", min_value=1)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = Acknowledgement
        fields = ["expiration"]

    def clean_incident(self):
        incident = Incident.objects.filter(pk=self.cleaned_data["incident"]).first()
        if incident is None:
            raise ValidationError("No incident with this ID exists.")
        return incident


class AcknowledgementChangeForm(forms.ModelForm):
    """Only the expiration changes (``acknowledgement_update`` refuses it for an expired ack)."""

    class Meta:
        model = Acknowledgement
        fields = ["expiration"]


@admin.register(Acknowledgement)
class AcknowledgementAdmin(ServiceRefusalsMixin, admin.ModelAdmin):
    list_display = ["incident_link", "actor", "timestamp", "expiration", "active_display"]
    list_select_related = ["event__actor"]
    list_filter = [AcknowledgementSourceFilter]
    search_fields = ["event__description", "event__actor__username", "=event__incident__id"]
    readonly_fields = ["incident_link", "actor", "timestamp", "description"]
    show_full_result_count = False
    refusal_fields = {ExpiredAcknowledgement: "expiration"}

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = AcknowledgementAddForm if obj is None else AcknowledgementChangeForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["incident", "description", "expiration"]
        return ["incident_link", "actor", "timestamp", "description", "expiration"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    @admin.display(description="Incident")
    def incident_link(self, ack):
        url = reverse("admin:argus_incident_incident_change", args=[ack.event.incident_id])
        return format_html('<a href="{}">#{}</a>', url, ack.event.incident_id)

    @admin.display(description="Actor")
    def actor(self, ack):
        return ack.event.actor

    @admin.display(description="Timestamp", ordering="event__timestamp")
    def timestamp(self, ack):
        return ack.event.timestamp

    @admin.display(description="Description")
    def description(self, ack):
        return ack.event.description

    @admin.display(description="Active", boolean=True)
    def active_display(self, ack):
        return ack.is_active()

    def save_model(self, request, obj, form, change):
        if change:
            acknowledgement_update(ack=obj, expiration=form.cleaned_data["expiration"])
            return
        created = acknowledgement_create(
            incident=form.cleaned_data["incident"],
            actor=request.user,
            description=form.cleaned_data.get("description") or "",
            expiration=form.cleaned_data.get("expiration"),
        )
        obj.event, obj.pk = created.event, created.pk
        obj._state.adding, obj._state.db = False, created._state.db

    def delete_model(self, request, obj):
        acknowledgements_delete(acks=[obj])

    def delete_queryset(self, request, queryset):
        acknowledgements_delete(acks=list(queryset))
