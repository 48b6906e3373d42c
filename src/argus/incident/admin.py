"""Django admin for incidents, events, acks, tags and source systems (operations.md §5, auth.md §6).

Every state change made here goes through :mod:`argus.incident.services`, exactly as an API
request would: creating an incident records its STA event and notifies, editing fields records
CHI events, closing/reopening records CLO/REO events, tags are added and removed with the tag
services, and each change is broadcast to websocket subscribers. Events are an audit log and
are read-only here.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, ProtectedError, Q, QuerySet
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import smart_split, unescape_string_literal

from argus.incident.choices import Level
from argus.incident.models import (
    Acknowledgement,
    Event,
    Incident,
    IncidentRelation,
    IncidentRelationType,
    IncidentTagRelation,
    SourceSystem,
    SourceSystemType,
    Tag,
)
from argus.incident.queries import acked_expression, acked_q, open_q, tag_relations_prefetch
from argus.incident.services import (
    EDITABLE_FIELDS,
    acknowledgement_create,
    acknowledgement_update,
    event_create,
    incident_create,
    incident_delete,
    incident_tag_add,
    incident_tag_remove,
    incident_update,
)
from argus.notificationprofile.delivery_admin import incident_deliveries_link
from argus.util.datetime_utils import INFINITY, INFINITY_REPR, is_infinite
from argus.ws.broadcast import broadcast_after_commit

#: A search word matching more tags than this only searches the first ones (and the text fields).
MAX_SEARCHED_TAGS = 1000

# --- list filters ----------------------------------------------------------------------------------


class YesNoFilter(admin.SimpleListFilter):
    """A Yes/No filter whose meaning is a Q object (``yes_q``); "No" is its negation."""

    def lookups(self, request, model_admin):
        return (("1", "Yes"), ("0", "No"))

    def yes_q(self) -> Q:
        raise NotImplementedError

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(self.yes_q())
        if self.value() == "0":
            return queryset.exclude(self.yes_q())
        return queryset


class StatefulFilter(YesNoFilter):
    title = "stateful"
    parameter_name = "stateful"

    def yes_q(self):
        return Q(end_time__isnull=False)


class OpenFilter(YesNoFilter):
    title = "open"
    parameter_name = "open"

    def yes_q(self):
        return open_q()


class AckedFilter(YesNoFilter):
    title = "acked"
    parameter_name = "acked"

    def yes_q(self):
        return acked_q()


class HasTicketFilter(YesNoFilter):
    title = "has ticket"
    parameter_name = "has_ticket"

    def yes_q(self):
        return ~Q(ticket_url="")


class HasDetailsUrlFilter(YesNoFilter):
    title = "has details url"
    parameter_name = "has_details_url"

    def yes_q(self):
        return ~Q(details_url="")


class SourceFilter(admin.SimpleListFilter):
    """Every source, labelled "name (type)": one small query, never a scan of the incidents."""

    title = "source"
    parameter_name = "source"
    source_field = "source"

    def lookups(self, request, model_admin):
        sources = SourceSystem.objects.select_related("type").order_by("name")
        return [(str(source.pk), str(source)) for source in sources]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(**{f"{self.source_field}_id": int(self.value())})
        if self.value():
            return queryset.none()
        return queryset


class SourceTypeFilter(admin.SimpleListFilter):
    """Every source system type (``RelatedOnlyFieldListFilter`` would scan all incidents)."""

    title = "source type"
    parameter_name = "source_type"
    type_field = "source__type"

    def lookups(self, request, model_admin):
        return [(name, name) for name in SourceSystemType.objects.values_list("name", flat=True)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{f"{self.type_field}_id": self.value()})
        return queryset


class EventSourceTypeFilter(SourceTypeFilter):
    type_field = "incident__source__type"


class CheapDateHierarchyQuerySet(QuerySet):
    """Date-hierarchy links without scanning the table.

    The admin's date hierarchy asks for the first/last date and then ``DISTINCT`` years/months/days
    of the filtered rows: seconds on a million incidents. Here the bounds come from the unfiltered
    table's index ends (two index lookups) and the links are every year/month/day between them;
    a link may lead to an empty page, which is cheap.
    """

    hierarchy_field = None
    hierarchy_year = None
    hierarchy_month = None

    def _bounds(self):
        return self.model._default_manager.aggregate(
            first=models.Min(self.hierarchy_field), last=models.Max(self.hierarchy_field)
        )

    def aggregate(self, *args, **kwargs):
        hierarchy_bounds = (
            not args
            and set(kwargs) == {"first", "last"}
            and isinstance(kwargs["first"], models.Min)
            and isinstance(kwargs["last"], models.Max)
            and kwargs["first"].source_expressions[0].name == self.hierarchy_field
        )
        if hierarchy_bounds:
            return self._bounds()
        return super().aggregate(*args, **kwargs)

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        if field_name != self.hierarchy_field or kind not in ("year", "month", "day"):
            return super().datetimes(field_name, kind, order, tzinfo)
        bounds = self._bounds()
        if not bounds["first"]:
            return []
        first, last = timezone.localtime(bounds["first"]), timezone.localtime(bounds["last"])
        start, end = self._narrowed(first, last)
        moments, moment = [], start
        while moment <= end:
            moments.append(moment)
            moment = _step(moment, kind)
        return moments

    def _narrowed(self, first, last):
        """From the start of the first period to ``last``, inside the year/month being viewed."""
        start, end = first, last
        if self.hierarchy_year:
            month = self.hierarchy_month or 1
            period_start = first.replace(
                year=self.hierarchy_year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0
            )
            period_end = _step(period_start, "month" if self.hierarchy_month else "year")
            start, end = max(first, period_start), min(last, period_end - datetime.timedelta(microseconds=1))
        return start.replace(hour=0, minute=0, second=0, microsecond=0), end


def _step(moment, kind):
    if kind == "day":
        return (moment + datetime.timedelta(days=1)).replace(hour=0)
    if kind == "month":
        year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
        return moment.replace(year=year, month=month, day=1)
    return moment.replace(year=moment.year + 1, month=1, day=1)


def with_cheap_date_hierarchy(queryset, field_name, request):
    """``queryset`` with :class:`CheapDateHierarchyQuerySet` for the hierarchy on ``field_name``."""

    def number(name):
        value = request.GET.get(f"{field_name}__{name}", "")
        return int(value) if value.isdigit() and 0 < int(value) < 10000 else None

    attributes = {
        "hierarchy_field": field_name,
        "hierarchy_year": number("year"),
        "hierarchy_month": number("month"),
    }
    if attributes["hierarchy_month"] and not 1 <= attributes["hierarchy_month"] <= 12:
        attributes["hierarchy_month"] = None
    queryset = queryset._chain()
    queryset.__class__ = type(
        "CheapDateHierarchyQuerySet", (CheapDateHierarchyQuerySet, queryset.__class__), attributes
    )
    return queryset


class EventSourceFilter(SourceFilter):
    source_field = "incident__source"


class AcknowledgementSourceFilter(SourceFilter):
    source_field = "event__incident__source"


# --- incidents -------------------------------------------------------------------------------------


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


def _link(url):
    return format_html('<a href="{}">{}</a>', url, url) if url else ""


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    form = IncidentForm
    change_list_template = "admin/argus_incident/incident/change_list.html"
    list_display = [
        "source_incident_id",
        "start_time",
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

    @admin.display(description="End time", ordering="end_time")
    def end_time_display(self, incident):
        if incident.end_time is None:
            return "-"
        if is_infinite(incident.end_time):
            return INFINITY_REPR
        return timezone.localtime(incident.end_time).strftime("%Y-%m-%d %H:%M:%S")

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
        old = Incident.objects.get(pk=obj.pk)
        with transaction.atomic():
            direct = [f for f in ("start_time", "source", "source_incident_id") if f in form.changed_data]
            if direct:
                Incident.objects.filter(pk=obj.pk).update(**{f: getattr(obj, f) for f in direct})
                broadcast_after_commit("modified", [obj.pk])  # no service call covers these fields
            data = {f: form.cleaned_data[f] for f in EDITABLE_FIELDS if f in form.changed_data}
            if data:
                incident_update(incident=old, actor=request.user, data=data)
            if old.end_time != obj.end_time:
                self._change_end_time(request, old, obj.end_time)

    def _change_end_time(self, request, old: Incident, end_time):
        """Closing and reopening are events (CLO/REO); other end-time edits are plain corrections."""
        now = timezone.now()
        if old.open and end_time is not None and end_time <= now:
            event_create(incident=old, actor=request.user, type=Event.Type.CLOSE, timestamp=end_time)
        elif old.stateful and not old.open and is_infinite(end_time):
            event_create(incident=old, actor=request.user, type=Event.Type.REOPEN)
        else:
            Incident.objects.filter(pk=old.pk).update(end_time=end_time)
            broadcast_after_commit("modified", [old.pk])

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

    # Deleting in the admin is always possible for whoever has the permission (auth.md §6):
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
    """What ``create_fake_incident`` does, for the argus source, from the admin."""

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
                key, value = Tag.split(tag)
                Tag(key=key, value=value).clean_fields()
            except ValidationError as error:
                raise ValidationError(f"{tag}: {' '.join(error.messages)}")
            pairs.append((key, value))
        return pairs

    def save(self) -> Incident:
        from argus.dev.management.commands.initial_setup import ensure_argus_source
        from argus.incident.management.commands.create_fake_incident import create_fake_incident

        source = ensure_argus_source()
        metadata = self.cleaned_data.get("metadata")
        return create_fake_incident(
            source=source,
            argus_user=source.user,
            description=self.cleaned_data.get("description") or None,
            level=self.cleaned_data.get("level"),
            tags=self.cleaned_data["tags"],
            stateful=self.cleaned_data.get("stateful", False),
            metadata={} if metadata is None else metadata,
        )


# --- events and acknowledgements -------------------------------------------------------------------


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
    class Meta:
        model = Acknowledgement
        fields = ["expiration"]

    def clean(self):
        cleaned = super().clean()
        if not Acknowledgement.objects.get(pk=self.instance.pk).is_active():
            raise ValidationError("Cannot change expired Acknowledgement")
        return cleaned


@admin.register(Acknowledgement)
class AcknowledgementAdmin(admin.ModelAdmin):
    list_display = ["incident_link", "actor", "timestamp", "expiration", "active_display"]
    list_select_related = ["event__actor"]
    list_filter = [AcknowledgementSourceFilter]
    search_fields = ["event__description", "event__actor__username", "=event__incident__id"]
    readonly_fields = ["incident_link", "actor", "timestamp", "description"]
    show_full_result_count = False

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
        _delete_acknowledgements([obj])

    def delete_queryset(self, request, queryset):
        _delete_acknowledgements(list(queryset.select_related("event")))


def _delete_acknowledgements(acks) -> None:
    """An acknowledgement goes together with its ACK event (auth.md §6)."""
    with transaction.atomic():
        event_ids = [ack.event_id for ack in acks]
        incident_ids = list(Event.objects.filter(pk__in=event_ids).values_list("incident_id", flat=True))
        Acknowledgement.objects.filter(pk__in=event_ids).delete()
        Event.objects.filter(pk__in=event_ids).delete()
        broadcast_after_commit("modified", incident_ids)


# --- tags and relations ----------------------------------------------------------------------------


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["__str__", "key", "value"]
    search_fields = ["key", "value"]
    ordering = ["key", "value"]


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


# --- source systems --------------------------------------------------------------------------------


@admin.register(SourceSystemType)
class SourceSystemTypeAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


class SourceSystemAddForm(forms.ModelForm):
    username = forms.CharField(
        required=False,
        max_length=150,
        label="Username for the source system's system user",
        help_text="Defaults to the source system's name. The user and its API token are created with it.",
    )

    class Meta:
        model = SourceSystem
        fields = ["name", "type", "username", "base_url"]

    def clean(self):
        cleaned = super().clean()
        username = (cleaned.get("username") or cleaned.get("name") or "").strip()
        if username:
            user_model = get_user_model()
            try:
                user_model._meta.get_field("username").run_validators(username)
            except ValidationError as error:
                self.add_error("username" if cleaned.get("username") else "name", error)
            if user_model.objects.filter(username=username).exists():
                self.add_error(
                    "username" if cleaned.get("username") else "name",
                    f'A user with the username "{username}" already exists.',
                )
        cleaned["username"] = username
        return cleaned


@admin.register(SourceSystem)
class SourceSystemAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "user", "base_url"]
    list_select_related = ["type", "user"]
    list_filter = ["type"]
    search_fields = ["name", "user__username"]
    add_form = SourceSystemAddForm

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
            return super().save_model(request, obj, form, change)
        from argus.auth.services import token_get_or_create

        with transaction.atomic():
            user = get_user_model().objects.create_user(username=form.cleaned_data["username"])
            obj.user = user
            obj.save()
            token_get_or_create(user=user)

    def delete_model(self, request, obj):
        _delete_sources([obj])

    def delete_queryset(self, request, queryset):
        _delete_sources(list(queryset.select_related("user")))


def _delete_sources(sources) -> None:
    """Delete sources and their system users; a user still referenced elsewhere is kept."""
    with transaction.atomic():
        for source in sources:
            user = source.user
            source.delete()
            try:
                with transaction.atomic():
                    user.delete()
            except ProtectedError:
                pass
