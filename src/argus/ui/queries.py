"""Reads only the UI needs: the filter box's extra fields, the cached total, the saved filters a
user may pick, the widgets' type-ahead, the sources page and the planned maintenance pages.

General reads (bounded counts, the count estimate, events prefetch) are in
:mod:`argus.incident.queries`.
"""

from __future__ import annotations

import datetime

from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from argus.incident.models import Event, Incident, SourceSystem, Tag
from argus.incident.queries import acked_q, closed_q, incident_count_estimate
from argus.notificationprofile.models import Filter
from argus.plannedmaintenance.models import PlannedMaintenanceTask
from argus.plannedmaintenance.queries import not_past_q, past_q, tasks_for_representation
from argus.ui import conf

TYPE_AHEAD_LIMIT = 20
TOTAL_CACHE_KEY = "argus_ui:incident_total"


def narrow(
    queryset: QuerySet,
    *,
    levels=(),
    event_types=(),
    hide_closed_acked=False,
    description="",
    ticket_url="",
    started_after: datetime.datetime | None = None,
    now=None,
) -> QuerySet:
    """The filter box's fields the REST list has no parameter for."""
    if levels:
        queryset = queryset.filter(level__in=levels)
    if event_types:
        queryset = queryset.filter(
            Exists(Event.objects.filter(incident=OuterRef("pk"), type__in=event_types))
        )
    if hide_closed_acked:
        queryset = queryset.exclude(closed_q(now) & acked_q(now))
    if description:
        queryset = queryset.filter(description__icontains=description)
    if ticket_url:
        queryset = queryset.filter(ticket_url__icontains=ticket_url)
    if started_after is not None:
        queryset = queryset.filter(start_time__gte=started_after)
    return queryset


def total_incidents() -> int:
    """All incidents, at most ``TOTAL_MAX_AGE`` seconds old (upstream counted them on every page)."""
    total = cache.get(TOTAL_CACHE_KEY)
    if total is None:
        total = incident_count_estimate()
        cache.set(TOTAL_CACHE_KEY, total, conf.TOTAL_MAX_AGE)
    return total


def selectable_filters(user) -> QuerySet:
    """Saved filters the user may select in the incident list: their own (no filter is public yet)."""
    return Filter.objects.filter(user_id=user.pk).order_by("name", "pk")


def sources_named(pks) -> list[SourceSystem]:
    return list(SourceSystem.objects.filter(pk__in=list(pks)).order_by("name", "pk"))


def search_sources(text: str) -> list[SourceSystem]:
    text = text.strip()
    if not text:
        return []
    return list(SourceSystem.objects.filter(name__icontains=text).order_by("name", "pk")[:TYPE_AHEAD_LIMIT])


def source_by_name(name: str) -> SourceSystem | None:
    return SourceSystem.objects.filter(name__iexact=name.strip()).order_by("pk").first()


def search_tags(text: str) -> list[str]:
    """At most 20 ``key=value`` tags: with ``=``, exact key and value substring; else key substring."""
    text = text.strip()
    if not text:
        return []
    key, delimiter, value = text.partition("=")
    if delimiter:
        condition = Q(key=key.strip(), value__icontains=value.strip())
    else:
        condition = Q(key__icontains=key)
    tags = Tag.objects.filter(condition).order_by("key", "value")[:TYPE_AHEAD_LIMIT]
    return [tag.representation for tag in tags]


def sources_with_facts() -> QuerySet:
    """Sources by name, with their type, incident count and token (one query); their liveness
    (``last_seen``, heartbeat frequency and arming time) is on the row itself."""
    count = (
        Incident.objects.filter(source=OuterRef("pk"))
        .order_by()
        .values("source")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        SourceSystem.objects.select_related("type", "user__auth_token")
        .annotate(incident_count=Subquery(count))
        .order_by("name", "pk")
    )


# --- planned maintenance -----------------------------------------------------------------------------


def maintenance_filter_choices(user) -> list[Filter]:
    """Every user's saved filters for a maintenance task, the user's own first, then by owner and
    name (one query; ``user`` loaded for the "<name> (<username>)" label)."""
    own_first = Case(When(user_id=user.pk, then=Value(0)), default=Value(1), output_field=IntegerField())
    return list(
        Filter.objects.select_related("user")
        .annotate(own_first=own_first)
        .order_by("own_first", "user__username", "name", "pk")
    )


def maintenance_tasks(tab: str, now) -> QuerySet:
    """The tasks of a tab of the maintenance list with their creator and filters loaded: upcoming
    (current and future, earliest start first) or past (latest end first)."""
    if tab == "past":
        queryset = PlannedMaintenanceTask.objects.filter(past_q(now)).order_by("-end_time", "-pk")
    else:
        queryset = PlannedMaintenanceTask.objects.filter(not_past_q(now)).order_by("start_time", "pk")
    return tasks_for_representation(queryset)


def linked_tasks_prefetch() -> Prefetch:
    """The maintenance tasks an incident is linked to, latest start first (one query per page)."""
    return Prefetch(
        "maintenance_tasks",
        queryset=PlannedMaintenanceTask.objects.order_by("-start_time", "-pk"),
        to_attr="linked_tasks",
    )


def maintenance_filters_named(pks) -> QuerySet:
    """The filters (any user's) of these pks; unknown ones are left out."""
    return Filter.objects.filter(pk__in=list(pks)).order_by("pk")
