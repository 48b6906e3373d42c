"""List filters of the incident admin pages.

Each is one small query for its choices and one condition on the listed rows: none of them scans
the incidents (or events) to find out which choices to offer.
"""

from django.contrib import admin
from django.db.models import Q

from argus.incident.models import SourceSystem, SourceSystemType
from argus.incident.queries import acked_q, open_q
from argus.util.ids import parse_pk


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
        if self.value():
            pk = parse_pk(self.value())
            return queryset.filter(**{f"{self.source_field}_id": pk}) if pk else queryset.none()
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


class EventSourceFilter(SourceFilter):
    source_field = "incident__source"


class AcknowledgementSourceFilter(SourceFilter):
    source_field = "event__incident__source"
