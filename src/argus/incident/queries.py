"""Reads of incident state: querysets with the annotations every API version needs.

``open``, ``acked`` and ``stateful`` are computed in SQL; tags are prefetched in one query; source
and its type are joined. A page of incidents therefore costs a constant number of queries.
"""

from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, QuerySet
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
