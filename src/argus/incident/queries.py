"""Reads of incident state: querysets with the annotations every API version needs.

``open``, ``acked`` and ``stateful`` are computed in SQL; tags are prefetched in one query; source
and its type are joined. A page of incidents therefore costs a constant number of queries. Counts
over a large table are bounded or estimated, never exact over every row on each request.
"""

import functools
import operator
from collections import defaultdict
from collections.abc import Iterator, Sequence

from django.db import connection, connections
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from argus.incident.models import Acknowledgement, Event, Incident, IncidentTagRelation


def acked_q(now=None) -> Q:
    """Incidents with an active Acknowledgement (the one source of truth for "acked").

    ``acked_until`` is kept by :mod:`argus.incident.acks`; negating this Q also matches NULL
    (never acknowledged).
    """
    return Q(acked_until__gt=now or timezone.now())


def acked_expression(now=None):
    """``acked`` as a boolean column (for ``annotate``): never NULL, so it can be filtered on."""
    return ExpressionWrapper(Q(acked_until__isnull=False) & acked_q(now), output_field=BooleanField())


def tag_relations_prefetch() -> Prefetch:
    return Prefetch(
        "incident_tag_relations",
        queryset=IncidentTagRelation.objects.select_related("tag").order_by("id"),
    )


def incidents_for_representation(queryset: QuerySet | None = None, now=None) -> QuerySet:
    """Incidents ready to be serialized: source+type joined, tags prefetched, ``acked`` annotated."""
    if queryset is None:
        queryset = Incident.objects.all()
    return (
        queryset.select_related("source__type")
        .prefetch_related(tag_relations_prefetch())
        .annotate(acked=acked_expression(now))
    )


def tagged_q(key: str, value: str | None = None) -> Q:
    """Incidents that have a tag ``key`` (with ``value``, when given)."""
    relations = IncidentTagRelation.objects.filter(incident=OuterRef("pk"), tag__key=key)
    if value is not None:
        relations = relations.filter(tag__value=value)
    return Q(Exists(relations))


def open_q(now=None) -> Q:
    """Open incidents: ``end_time`` ahead. ``may_be_open`` adds nothing to the answer but lets
    the database read only the partial index of (possibly) open incidents (see
    :mod:`argus.incident.list_state`)."""
    return Q(may_be_open=True, end_time__gt=now or timezone.now())


def closed_q(now=None) -> Q:
    return Q(end_time__lte=now or timezone.now())


def open_incidents(queryset: QuerySet | None = None, now=None) -> QuerySet:
    if queryset is None:
        queryset = Incident.objects.all()
    return queryset.filter(open_q(now))


def user_is_in_use(user) -> bool:
    """Whether incidents' history refers to ``user``: it caused events, or its source has incidents.

    Such a user must not be deleted (the admin offers no delete for it).
    """
    return Event.objects.filter(actor=user).exists() or Incident.objects.filter(source__user=user).exists()


def incident_is_acked(incident: Incident, now=None) -> bool:
    acked = getattr(incident, "acked", None)
    if acked is not None:
        return acked
    acked_until = incident.acked_until
    return acked_until is not None and acked_until > (now or timezone.now())


def events_for_representation(queryset: QuerySet | None = None) -> QuerySet:
    if queryset is None:
        queryset = Event.objects.all()
    return queryset.select_related("actor")


def acks_for_representation(queryset: QuerySet | None = None) -> QuerySet:
    if queryset is None:
        queryset = Acknowledgement.objects.all()
    return queryset.select_related("event__actor")


def with_events(queryset: QuerySet) -> QuerySet:
    """Prefetch each incident's events, oldest first, as the list ``prefetched_events`` (one query)."""
    return queryset.prefetch_related(
        Prefetch("events", queryset=Event.objects.order_by("timestamp", "pk"), to_attr="prefetched_events")
    )


def first_of_each(queryset: QuerySet, branches: Sequence[Q], ordering: Sequence, limit: int) -> QuerySet:
    """``queryset`` narrowed to the first ``limit`` rows, in ``ordering``, of each of ``branches``.

    For a list of rows meeting at least one of the branches (the values of one tag key, see
    ``argus.incident.api.filters.filter_tags``): its first ``limit`` rows in that ordering are
    among these, since each is among the first ``limit`` of a branch it meets. Each branch is read
    on its own, so the database can read one tag's relations in order and stop, where the branches
    together would make it read every row meeting any of them. One subquery: a ``UNION ALL`` of
    the branches' limited queries; on SQLite, which allows no ``LIMIT`` inside a ``UNION``, ``OR``ed
    ``IN`` subqueries.
    """
    firsts = [queryset.filter(branch).order_by(*ordering).values("pk")[:limit] for branch in branches]
    if connections[queryset.db].features.supports_slicing_ordering_in_compound:
        return queryset.filter(pk__in=firsts[0].union(*firsts[1:], all=True))
    return queryset.filter(functools.reduce(operator.or_, (Q(pk__in=first) for first in firsts)))


def bounded_count(queryset: QuerySet, limit: int, branches: Sequence[Q] = ()) -> tuple[int, bool]:
    """``(count, exact)``: exact up to ``limit``, else ``(limit, False)``; one query reading at most
    ``limit + 1`` rows, however large the table (per branch, with ``branches``: the rows meet at
    least one of them, see :func:`first_of_each`; a branch with more than ``limit`` rows makes the
    union exceed ``limit`` too, and without one the union is exact)."""
    if branches:
        queryset = first_of_each(queryset, branches, ["-start_time"], limit + 1)
    count = queryset.order_by()[: limit + 1].count()
    return (limit, False) if count > limit else (count, True)


#: Above this many incidents PostgreSQL's own row estimate stands in for an exact count.
ESTIMATE_ABOVE = 100_000


def incident_count_estimate() -> int:
    """The number of incidents: exact on small tables, the planner's estimate (kept current by
    ANALYZE and autovacuum) on PostgreSQL above ``ESTIMATE_ABOVE`` rows, where counting every row
    takes seconds."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [Incident._meta.db_table]
            )
            row = cursor.fetchone()
        if row and row[0] and row[0] > ESTIMATE_ABOVE:
            return int(row[0])
    return Incident.objects.count()


#: What :func:`incident_rows_in_batches` reads of each incident, its source joined in.
INCIDENT_ROW_FIELDS = (
    "pk",
    "start_time",
    "end_time",
    "source_id",
    "source__name",
    "source__type_id",
    "source__user_id",
    "source__base_url",
    "source_incident_id",
    "details_url",
    "description",
    "level",
    "ticket_url",
    "acked_until",
)
#: What it reads of each tag relation, after the incident's id.
TAG_ROW_FIELDS = ("added_by_id", "added_time", "tag__key", "tag__value")


def incident_rows_in_batches(queryset: QuerySet, batch_size: int) -> Iterator[tuple[list, dict]]:
    """The incidents of ``queryset``, newest first (the higher id first at equal start times), as
    tuples of :data:`INCIDENT_ROW_FIELDS`, ``batch_size`` at a time.

    Yields ``(rows, tags)`` where ``tags`` maps an incident's id to its tag rows
    (:data:`TAG_ROW_FIELDS`, in the order they were added). Two queries per batch; each batch
    starts after the previous one's last row, so whatever the total only one batch is in memory,
    and no model instance is built. An incident changed while the batches are read may be missing
    or shown in its state at its batch, as when a client pages through a list.
    """
    queryset = queryset.order_by("-start_time", "-pk")
    after = None
    while True:
        batch = queryset
        if after is not None:
            start_time, pk = after
            batch = batch.filter(Q(start_time__lt=start_time) | Q(start_time=start_time, pk__lt=pk))
            batch = batch.filter(start_time__lte=start_time)  # the same, as an index bound
        rows = list(batch.values_list(*INCIDENT_ROW_FIELDS)[:batch_size])
        if not rows:
            return
        tags = defaultdict(list)
        relations = IncidentTagRelation.objects.filter(incident_id__in=[row[0] for row in rows])
        relations = relations.order_by("pk")
        for incident_id, *tag in relations.values_list("incident_id", *TAG_ROW_FIELDS):
            tags[incident_id].append(tag)
        yield rows, tags
        if len(rows) < batch_size:
            return
        after = (rows[-1][1], rows[-1][0])  # start_time, pk
