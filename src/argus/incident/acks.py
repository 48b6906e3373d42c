"""``Incident.acked_until``: whether an incident is acknowledged, kept on the incident row.

"Acked" means "has an acknowledgement that has not expired". Asking that of the acknowledgement
table for every listed incident made PostgreSQL hash *all* active acknowledgements (joined with
their events) for each list page: 50 ms at 100k incidents and growing with history. Instead every
incident carries the latest expiration among its acknowledgements (infinity when one never
expires, NULL when it has none), so ``acked`` is ``acked_until > now``: a column comparison, with
an index.

The value is recomputed from the acknowledgements whenever they change: by the services after
their bulk inserts, and by the model signals below for everything else (single saves, the admin,
deletes), so it cannot drift from the acknowledgement rows.
"""

from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from argus.incident.models import Acknowledgement, Event, Incident
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


def _incident_of(ack: Acknowledgement):
    """(incident id, the Incident instance the caller holds or None) for an acknowledgement."""
    event = ack._state.fields_cache.get("event")
    if event is None:
        return Event.objects.filter(pk=ack.event_id).values_list("incident_id", flat=True).first(), None
    return event.incident_id, event._state.fields_cache.get("incident")


@receiver(post_save, sender=Acknowledgement, dispatch_uid="argus_acked_until_save")
@receiver(post_delete, sender=Acknowledgement, dispatch_uid="argus_acked_until_delete")
def _acknowledgement_changed(sender, instance: Acknowledgement, **kwargs):
    incident_id, incident = _incident_of(instance)
    if incident_id is None:
        return
    refresh_acked_until([incident_id])
    if incident is not None and incident.pk is not None:
        # The caller's copy of the incident says what the database now says.
        incident.acked_until = (
            Incident.objects.filter(pk=incident.pk).values_list("acked_until", flat=True).first()
        )
