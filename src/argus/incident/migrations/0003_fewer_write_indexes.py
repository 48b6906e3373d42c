"""Drop the single-column FK indexes that a composite index already leads with."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("argus_incident", "0002_incident_acked_until"),
    ]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="incident",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="argus_incident.incident",
            ),
        ),
        migrations.AlterField(
            model_name="incident",
            name="source",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="incidents",
                to="argus_incident.sourcesystem",
            ),
        ),
        migrations.AlterField(
            model_name="incidenttagrelation",
            name="tag",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="incident_tag_relations",
                to="argus_incident.tag",
            ),
        ),
    ]
