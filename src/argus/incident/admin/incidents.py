"""Incidents in the admin: list, search, filters, and every change through the services.

Creating an incident records its STA event and notifies; editing level, description, URLs or
metadata records CHI events (``incident_update``); start/end time, source and source incident id
are administrator corrections (``incident_correct``: an end time that closes or reopens is a
CLO/REO event, any other correction a CHI event); tags are added and removed with the tag
services. Each change is broadcast to websocket subscribers by the services, and a service's
refusal is shown on the form (:mod:`argus.incident.admin.refusals`).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import smart_split, unescape_string_literal

from argus.incident.admin.date_hierarchy import with_cheap_date_hierarchy
from argus.incident.admin.list_filters import (
    AckedFilter,
    HasDetailsUrlFilter,
    HasTicketFilter,
    OpenFilter,
    SourceFilter,
    SourceTypeFilter,
    StatefulFilter,
)
from argus.incident.admin.refusals import ServiceRefusalsMixin
from argus.incident.choices import EventType, Level
from argus.incident.errors import (
    DuplicateSourceIncidentId,
    EndTimeBeforeStartTime,
    EventNotAllowed,
    TagRemovalNotAllowed,
)
from argus.incident.models import Acknowledgement, Event, Incident, IncidentTagRelation, Tag
from argus.incident.queries import acked_expression, tag_relations_prefetch
from argus.incident.services import (
    CORRECTABLE_FIELDS,
    EDITABLE_FIELDS,
    bulk_acknowledgement_create,
    bulk_event_create,
    fake_incident_create,
    incident_correct,
    incident_create,
    incident_delete,
    incident_tag_add,
    incident_tag_remove,
    incident_update,
)
from argus.incident.tags import InvalidTag, parse_tag
from argus.notificationprofile.delivery_admin import incident_deliveries_link
from argus.util.datetime_utils import INFINITY, INFINITY_REPR, is_infinite

#: A search word matching more tags than this only searches the first ones (and the text fields).
MAX_SEARCHED_TAGS = 1000


#: One-line fields (they are TextFields in the database, which the admin shows as 6-line boxes).
SHORT_TEXT = forms.TextInput(attrs={"class": "vTextField"})


class IncidentForm(forms.ModelForm):
    """End time as date + time + an "infinity" box: infinity = open, all empty = stateless."""

    end_time = forms.SplitDateTimeField(
        required=False,
        widget=admin.widgets.AdminSplitDateTime,
        help_text="Leave empty (and infinity unchecked) for a stateless incident.",
    )
    end_time_infinity = forms.BooleanField(
        required=False, initial=True, label="End time is infinity (the incident is open)"
    )

    class Meta:
        model = Incident
        fields = [
            "start_time",
            "end_time",
            "end_time_infinity",
            "source",
            "source_incident_id",
            "details_url",
            "description",
            "level",
            "ticket_url",
            "metadata",
        ]
        widgets = {"source_incident_id": SHORT_TEXT, "details_url": SHORT_TEXT, "ticket_url": SHORT_TEXT}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            infinite = is_infinite(self.instance.end_time)
            self.initial["end_time_infinity"] = infinite
            if infinite:
                self.initial["end_time"] = None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("end_time_infinity"):
            if cleaned.get("end_time"):
                self.add_error("end_time", "Give either an end time or infinity, not both.")
            cleaned["end_time"] = INFINITY
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if start and end and not is_infinite(end) and end < start:
            self.add_error("end_time", "The end time cannot be before the start time.")
        self.instance.end_time = cleaned.get("end_time")
        return cleaned


class IncidentTagRelationInline(admin.TabularInline):
    model = IncidentTagRelation
    extra = 0
    raw_id_fields = ["tag"]
    fields = ["tag", "added_by", "added_time"]
    readonly_fields = ["added_by", "added_time"]
    verbose_name = "tag"


def admin_datetime(value) -> str:
    """The one date format of the incident list: ``2026-11-22 11:39:27`` in the server's time zone."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


def _link(url):
    return format_html('<a href="{}">{}</a>', url, url) if url else ""


@admin.register(Incident)
class IncidentAdmin(ServiceRefusalsMixin, admin.ModelAdmin):
    form = IncidentForm
    change_list_template = "admin/argus_incident/incident/change_list.html"
    list_display = [
        "source_incident_id",
        "start_time_display",
        "end_time_display",
        "source",
        "tags_display",
        "description",
        "details_url_display",
        "ticket_url_display",
        "open_display",
        "shown_display",
    ]
    list_filter = [
        StatefulFilter,
        OpenFilter,
        AckedFilter,
        HasTicketFilter,
        HasDetailsUrlFilter,
        "level",
        SourceTypeFilter,
        SourceFilter,
    ]
    search_fields = [
        "description",
        "source_incident_id",
        "source__name",
        "source__type__name",
        "incident_tag_relations__tag__key",
        "incident_tag_relations__tag__value",
        "ticket_url",
        "details_url",
    ]
    date_hierarchy = "start_time"
    inlines = [IncidentTagRelationInline]
    #: Searched per word (all words must match somewhere); tags through a subquery, not a join,
    #: so no DISTINCT over a million rows is needed.
    search_text_fields = [
        "description",
        "source_incident_id",
        "source__name",
        "source__type__name",
        "ticket_url",
        "details_url",
    ]
    raw_id_fields = ["source"]
    readonly_fields = ["notifications"]
    list_per_page = 100
    show_full_result_count = False  # a COUNT(*) over a million rows on every page is not worth it
    refusal_fields = {
        EventNotAllowed: "end_time",
        EndTimeBeforeStartTime: "end_time",
        DuplicateSourceIncidentId: "source_incident_id",
        TagRemovalNotAllowed: None,
    }

    def get_queryset(self, request):
        queryset = (
            super()
            .get_queryset(request)
            .select_related("source__type")
            .prefetch_related(tag_relations_prefetch())
            .annotate(acked=acked_expression())
        )
        return with_cheap_date_hierarchy(queryset, "start_time", request)

    def get_search_results(self, request, queryset, search_term):
        for word in smart_split(search_term or ""):
            word = unescape_string_literal(word) if word[:1] in "\"'" and word[-1:] == word[:1] else word
            if not word:
                continue
            condition = Q()
            for field in self.search_text_fields:
                condition |= Q(**{f"{field}__icontains": word})
            # Resolve the (few) matching tags first; a correlated EXISTS per incident then stays an
            # index probe. ``pk IN (relations of those tags)`` inside an OR can degrade to a
            # subplan scanned per row when the relation set outgrows work_mem.
            tag_ids = list(
                Tag.objects.filter(Q(key__icontains=word) | Q(value__icontains=word)).values_list(
                    "id", flat=True
                )[:MAX_SEARCHED_TAGS]
            )
            if tag_ids:
                condition |= Q(
                    Exists(IncidentTagRelation.objects.filter(incident=OuterRef("pk"), tag_id__in=tag_ids))
                )
            queryset = queryset.filter(condition)
        return queryset, False

    @admin.display(description="Start time", ordering="start_time")
    def start_time_display(self, incident):
        return admin_datetime(incident.start_time)

    @admin.display(description="End time", ordering="end_time")
    def end_time_display(self, incident):
        if incident.end_time is None:
            return "-"
        if is_infinite(incident.end_time):
            return INFINITY_REPR
        return admin_datetime(incident.end_time)

    @admin.display(description="Tags")
    def tags_display(self, incident):
        return format_html_join(
            "", "<div>{}</div>", ((str(r.tag),) for r in incident.incident_tag_relations.all())
        )

    @admin.display(description="Details url")
    def details_url_display(self, incident):
        return _link(incident.pp_details_url)

    @admin.display(description="Ticket url")
    def ticket_url_display(self, incident):
        return _link(incident.ticket_url)

    @admin.display(description="Open", boolean=True)
    def open_display(self, incident):
        return incident.open

    @admin.display(description="Shown", boolean=True)
    def shown_display(self, incident):
        return incident.open and not incident.acked

    @admin.display(description="Notifications")
    def notifications(self, incident):
        return incident_deliveries_link(incident)

    # --- actions on the selected incidents, through the bulk services (events recorded) ---

    actions = ["acknowledge_selected", "close_selected", "reopen_selected"]

    @admin.action(description="Acknowledge selected incidents", permissions=["change"])
    def acknowledge_selected(self, request, queryset):
        incidents = list(queryset)
        bulk_acknowledgement_create(incidents=incidents, actor=request.user, timestamp=timezone.now())
        self.message_user(request, f"Acknowledged {len(incidents)} incident(s).", messages.SUCCESS)

    @admin.action(description="Close selected incidents", permissions=["change"])
    def close_selected(self, request, queryset):
        self._change_state(request, queryset, EventType.CLOSE, lambda incident: incident.open, "open")

    @admin.action(description="Reopen selected incidents", permissions=["change"])
    def reopen_selected(self, request, queryset):
        self._change_state(
            request,
            queryset,
            EventType.REOPEN,
            lambda incident: incident.stateful and not incident.open,
            "closed (stateless ones never are)",
        )

    def _change_state(self, request, queryset, event_type, applies, state: str) -> None:
        incidents = list(queryset)
        chosen = [incident for incident in incidents if applies(incident)]
        if chosen:
            bulk_event_create(incidents=chosen, actor=request.user, type=event_type, timestamp=timezone.now())
        done = "Closed" if event_type == EventType.CLOSE else "Reopened"
        message = f"{done} {len(chosen)} incident(s)."
        skipped = len(incidents) - len(chosen)
        if skipped:
            message += f" {skipped} left alone: not {state}."
        self.message_user(request, message, messages.SUCCESS if chosen else messages.WARNING)

    # --- saving through the services ---

    def save_model(self, request, obj, form, change):
        if not change:
            created = incident_create(
                actor=request.user,
                source=obj.source,
                start_time=obj.start_time,
                end_time=obj.end_time,
                source_incident_id=obj.source_incident_id,
                details_url=obj.details_url,
                description=obj.description,
                level=obj.level,
                ticket_url=obj.ticket_url,
                metadata=obj.metadata,
            )
            obj.pk, obj.search_text = created.pk, created.search_text
            obj._state.adding, obj._state.db = False, created._state.db
            return
        changed = set(form.changed_data)
        data = {field: form.cleaned_data[field] for field in EDITABLE_FIELDS if field in changed}
        if data:
            incident_update(incident=obj, actor=request.user, data=data)
        if changed & {"end_time", "end_time_infinity"}:
            changed.add("end_time")
        corrections = {field: getattr(obj, field) for field in CORRECTABLE_FIELDS if field in changed}
        if corrections:
            incident_correct(incident=obj, actor=request.user, data=corrections)

    def save_formset(self, request, form, formset, change):
        if formset.model is not IncidentTagRelation:
            return super().save_formset(request, form, formset, change)
        incident = form.instance
        # What Django's change message reads; the services did the actual work.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for relation_form in formset.forms:
            cleaned = getattr(relation_form, "cleaned_data", None) or {}
            relation = relation_form.instance
            if cleaned.get("DELETE") and relation.pk:
                incident_tag_remove(incident=incident, tag=relation.tag)
            elif not cleaned.get("DELETE") and cleaned.get("tag") and relation.pk is None:
                incident_tag_add(incident=incident, actor=request.user, tag=str(cleaned["tag"]))
            elif relation.pk and "tag" in relation_form.changed_data:
                old_tag = IncidentTagRelation.objects.get(pk=relation.pk).tag
                incident_tag_remove(incident=incident, tag=old_tag)
                incident_tag_add(incident=incident, actor=request.user, tag=str(cleaned["tag"]))

    # Deleting in the admin is always possible for whoever has the permission:
    # ARGUS_INDELIBLE_INCIDENTS only closes the API's DELETE.

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, _protected = super().get_deleted_objects(objs, request)
        # What protects an incident is its own history: events (protected by their
        # acknowledgements) that cannot be deleted on their own, and that incident_delete removes
        # first. Nothing else refers to an incident without cascading.
        incident_ids = [incident.pk for incident in objs]
        events = Event.objects.filter(incident_id__in=incident_ids).count()
        acks = Acknowledgement.objects.filter(event__incident_id__in=incident_ids).count()
        for model, count in ((Event, events), (Acknowledgement, acks)):
            if count:
                counts[model._meta.verbose_name_plural] = count
        perms_needed.discard(Event._meta.verbose_name)
        return deleted, counts, perms_needed, []

    def delete_model(self, request, obj):
        incident_delete(incident=obj)

    def delete_queryset(self, request, queryset):
        for incident in queryset:
            incident_delete(incident=incident)

    # --- "Add fake incident" ---

    def get_urls(self):
        fake = path(
            "fake/",
            self.admin_site.admin_view(self.fake_incident_view),
            name="argus_incident_incident_fake",
        )
        return [fake, *super().get_urls()]

    def fake_incident_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = FakeIncidentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            incident = form.save()
            self.message_user(request, f"Created fake incident #{incident.pk}.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:argus_incident_incident_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Add fake incident",
            "form": form,
        }
        return TemplateResponse(request, "admin/argus_incident/incident/fake_incident.html", context)


class FakeIncidentForm(forms.Form):
    """What ``create_fake_incident`` does (``services.fake_incident_create``), from the admin."""

    stateful = forms.BooleanField(required=False, initial=True)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    level = forms.TypedChoiceField(
        choices=[("", "Random"), *Level.choices], coerce=int, required=False, empty_value=None
    )
    tags = forms.CharField(required=False, help_text="Comma separated, as key=value")
    metadata = forms.JSONField(required=False, initial=dict)

    def clean_tags(self):
        pairs = []
        for tag in (t.strip() for t in self.cleaned_data["tags"].split(",")):
            if not tag:
                continue
            try:
                pairs.append(parse_tag(tag))
            except InvalidTag as error:
                raise ValidationError(f"{tag}: {error.message}") from None
        return pairs

    def save(self) -> Incident:
        metadata = self.cleaned_data.get("metadata")
        return fake_incident_create(
            description=self.cleaned_data.get("description") or None,
            level=self.cleaned_data.get("level"),
            tags=self.cleaned_data["tags"],
            stateful=self.cleaned_data.get("stateful", False),
            metadata={} if metadata is None else metadata,
        )
