"""Incidents that warn about expiring source-system tokens.

Argus itself (source ``argus``) raises one open incident per source system whose classic DRF token
expires within a number of days, and ends it (END event by ``argus``) once the token no longer runs
out: because it was replaced, deleted, or the window moved. Kept in one module so the
``check_token_expiry`` command, the token services and the ``token_expiry=`` list filter agree on
what such an incident is.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from rest_framework.authtoken.models import Token

from argus.auth import authentication
from argus.incident.list_state import new_tag_relation
from argus.incident.models import Incident, IncidentTagRelation, SourceSystem
from argus.incident.queries import open_q, tagged_q
from argus.incident.services import argus_source_ensure, get_or_create_tags, incident_end, incidents_changed
from argus.util import metrics
from argus.util.datetime_utils import INFINITY
from argus.util.ids import parse_pk

PROBLEM_TYPE = "token_expiry"
SOURCE_TAG_KEY = "source_system_id"
INCIDENT_LEVEL = 2
DEFAULT_DAYS = 7


def token_expiry_q() -> Q:
    """Incidents raised by :func:`check_token_expiry` (tag ``problem_type=token_expiry``)."""
    return tagged_q("problem_type", PROBLEM_TYPE)


def token_expiry_incidents(queryset: QuerySet | None = None) -> QuerySet:
    if queryset is None:
        queryset = Incident.objects.all()
    return queryset.filter(token_expiry_q())


def open_token_expiry_incidents(source_id=None) -> QuerySet:
    queryset = token_expiry_incidents().filter(open_q())
    if source_id is not None:
        queryset = queryset.filter(tagged_q(SOURCE_TAG_KEY, str(source_id)))
    return queryset


def token_expiry(token: Token) -> datetime.datetime:
    return authentication.token_expiry(token)


def running_out_tokens(days: int = DEFAULT_DAYS, now=None) -> list[Token]:
    """DRF tokens of source-system users that expire in less than ``days`` days (or already did)."""
    now = now or timezone.now()
    tokens = Token.objects.filter(user__source_system__isnull=False).select_related(
        "user__source_system__type"
    )
    return [token for token in tokens if token_expiry(token) - datetime.timedelta(days=days) < now]


def token_expiry_incident_create(*, source: SourceSystem, expiry: datetime.datetime) -> Incident:
    """The warning incident for ``source``. No event is recorded for it, as in Argus 1.37."""
    argus = argus_source_ensure()
    description = (
        f"Token for source system {source} will expire on {timezone.localtime(expiry).date().isoformat()}"
    )
    with transaction.atomic():
        incident = Incident.objects.create(
            start_time=timezone.now(),
            end_time=INFINITY,
            source=argus,
            description=description,
            level=INCIDENT_LEVEL,
            search_text=f" {description}",
        )
        metrics.incident_created(source_type=argus.type_id, source=argus.name, stateful=True)
        pairs = [
            ("location", "argus"),
            ("object", str(incident.pk)),
            ("problem_type", PROBLEM_TYPE),
            (SOURCE_TAG_KEY, str(source.pk)),
        ]
        now = timezone.now()
        IncidentTagRelation.objects.bulk_create(
            [
                new_tag_relation(incident=incident, tag=tag, added_by=argus.user, added_time=now)
                for tag in get_or_create_tags(pairs)
            ]
        )
        incidents_changed("created", [incident.pk])
    return incident


def end_token_expiry_incidents(*, source_id) -> int:
    """End the open token-expiry incidents of a source (END event by ``argus``); returns how many.

    Called when the source's token is replaced or deleted, and by ``check_token_expiry``.
    """
    incidents = list(open_token_expiry_incidents(source_id))
    if not incidents:  # the common case (a new source's first token): no need for Argus' source
        return 0
    argus = argus_source_ensure()
    ended = 0
    for incident in incidents:
        if incident_end(incident=incident, actor=argus.user) is not None:
            ended += 1
    return ended


def check_token_expiry(days: int = DEFAULT_DAYS, now=None) -> tuple[list[Incident], int]:
    """Raise missing warnings and end stale ones; idempotent. Returns (created, number ended)."""
    running_out = {token.user.source_system.pk: token for token in running_out_tokens(days, now)}
    warned = {}
    for incident in open_token_expiry_incidents().prefetch_related("incident_tag_relations__tag"):
        for relation in incident.incident_tag_relations.all():
            if relation.tag.key == SOURCE_TAG_KEY:
                warned.setdefault(relation.tag.value, []).append(incident)
    created = []
    for source_id, token in running_out.items():
        if str(source_id) not in warned:
            created.append(
                token_expiry_incident_create(source=token.user.source_system, expiry=token_expiry(token))
            )
    ended = 0
    for source_id in warned:
        if parse_pk(source_id) not in running_out:
            ended += end_token_expiry_incidents(source_id=source_id)
    return created, ended
