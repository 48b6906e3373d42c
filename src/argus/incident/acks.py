"""``Incident.acked_until``: whether an incident is acknowledged, kept on the incident row.

"Acked" means "has an acknowledgement that has not expired". Asking that of the acknowledgement
table for every listed incident made PostgreSQL hash *all* active acknowledgements (joined with
their events) for each list page: 50 ms at 100k incidents and growing with history. Instead every
incident carries the latest expiration among its acknowledgements (infinity when one never
expires, NULL when it has none), so ``acked`` is ``acked_until > now``: a column comparison, with
an index.

Who keeps it: every service of :mod:`argus.incident.services` that writes acknowledgements
(create, change of expiration, delete, the bulk variants) calls :func:`refresh_acked_until` in
its own transaction. There are no model signals: code that writes acknowledgement rows some other
way (raw SQL, bulk loads, test factories) calls :func:`refresh_acked_until` itself.
"""

from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from argus.incident.models import Acknowledgement, Incident
from argus.util.datetime_utils import INFINITY


def latest_expiration_subquery() -> Subquery:
    latest = (
        Acknowledgement.objects.filter(event__incident_id=OuterRef("pk"))
        .annotate(until=Coalesce("expiration", Value(INFINITY)))
        .order_by("-until")
        .values("until")[:1]
    )
    return Subquery(latest)


def refresh_acked_until(incident_ids) -> None:
    """Recompute ``acked_until`` of these incidents from their acknowledgements (one UPDATE)."""
    ids = sorted({int(pk) for pk in incident_ids})
    if ids:
        Incident.objects.filter(pk__in=ids).update(acked_until=latest_expiration_subquery())


def refresh_acked_until_of(incident: Incident) -> None:
    """:func:`refresh_acked_until` for one incident; ``incident`` then holds the new value too."""
    refresh_acked_until([incident.pk])
    incident.acked_until = Incident.objects.values_list("acked_until", flat=True).get(pk=incident.pk)
