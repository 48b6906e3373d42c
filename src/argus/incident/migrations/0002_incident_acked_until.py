"""Incident.acked_until: the acknowledgement state kept on the incident (see argus.incident.acks)."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

import argus.incident.fields
from argus.util.datetime_utils import INFINITY


def fill_acked_until(apps, schema_editor):
    Incident = apps.get_model("argus_incident", "Incident")
    Acknowledgement = apps.get_model("argus_incident", "Acknowledgement")
    latest = (
        Acknowledgement.objects.filter(event__incident_id=OuterRef("pk"))
        .annotate(until=Coalesce("expiration", Value(INFINITY)))
        .order_by("-until")
        .values("until")[:1]
    )
    acked_ids = Acknowledgement.objects.values("event__incident_id")
    Incident.objects.filter(pk__in=acked_ids).update(acked_until=Subquery(latest))


class Migration(migrations.Migration):
    dependencies = [
        ("argus_incident", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="acked_until",
            field=argus.incident.fields.InfinityDateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill_acked_until, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                condition=models.Q(("acked_until__isnull", False)),
                fields=["acked_until"],
                name="incident_acked_until",
            ),
        ),
    ]
