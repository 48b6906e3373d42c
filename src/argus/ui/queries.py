"""Reads only the UI needs (filters the REST list has no parameter for, counts, type-ahead).

Candidates for :mod:`argus.incident.queries` if another client needs them.
"""

from __future__ import annotations

import datetime

from django.core.cache import cache
from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from argus.incident.models import Event, Incident, SourceSystem, Tag
from argus.incident.queries import acked_q, closed_q
from argus.notificationprofile.models import Filter
from argus.ui import conf

TYPE_AHEAD_LIMIT = 20
TOTAL_CACHE_KEY = "argus_ui:incident_total"
# Above this many rows PostgreSQL's own estimate stands in for an exact count.
ESTIMATE_ABOVE = 100_000


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


def bounded_count(queryset: QuerySet, limit: int = conf.COUNT_LIMIT) -> tuple[int, bool]:
    """(count, exact): exact up to ``limit``; beyond it ``(limit, False)``. One query."""
    count = queryset.order_by()[: limit + 1].count()
    return (limit, False) if count > limit else (count, True)


def _count_all_incidents() -> int:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [Incident._meta.db_table]
            )
            row = cursor.fetchone()
        if row and row[0] and row[0] > ESTIMATE_ABOVE:
            return int(row[0])
    return Incident.objects.count()


def total_incidents() -> int:
    """All incidents, at most ``TOTAL_MAX_AGE`` seconds old (upstream counted them on every page)."""
    total = cache.get(TOTAL_CACHE_KEY)
    if total is None:
        total = _count_all_incidents()
        cache.set(TOTAL_CACHE_KEY, total, conf.TOTAL_MAX_AGE)
    return total


def with_events(queryset: QuerySet) -> QuerySet:
    """Prefetch each incident's events (oldest first) as ``ui_events``, for the events column."""
    return queryset.prefetch_related(
        Prefetch("events", queryset=Event.objects.order_by("timestamp", "pk"), to_attr="ui_events")
    )


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
