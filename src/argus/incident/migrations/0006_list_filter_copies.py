"""What the list filters read, where an index can serve it (see argus.incident.list_state).

``Incident.may_be_open`` and the tag relations' copies of their incident's ``start_time`` and
``may_be_open``, with three indexes; the tag relations' unique constraint turns round to
(incident, tag) and replaces the index by incident. Columns are added empty or with a constant default (no table
rewrite on PostgreSQL); the one long step is copying the start time onto every tag relation, one
UPDATE (about five relations per incident; the time at a million incidents is in
docs/performance.md).
"""

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone


def fill_copies(apps, schema_editor):
    Incident = apps.get_model("argus_incident", "Incident")
    IncidentTagRelation = apps.get_model("argus_incident", "IncidentTagRelation")
    Incident.objects.filter(end_time__gt=timezone.now()).update(may_be_open=True)
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    names = {
        "relation": quote(IncidentTagRelation._meta.db_table),
        "incident": quote(Incident._meta.db_table),
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE {relation} AS r SET incident_start_time = i.start_time, "
                "incident_may_be_open = i.may_be_open FROM {incident} AS i WHERE i.id = r.incident_id".format(
                    **names
                )
            )
        else:
            cursor.execute(
                "UPDATE {relation} SET "
                "incident_start_time = (SELECT i.start_time FROM {incident} AS i WHERE i.id = incident_id), "
                "incident_may_be_open = (SELECT i.may_be_open FROM {incident} AS i WHERE i.id = incident_id)".format(
                    **names
                )
            )


#: PostgreSQL, left to itself, takes ``may_be_open`` and ``end_time > now`` for independent and
#: expects 5% x 5% of incidents to be open where 5% are; it then reads every open incident to sort
#: them instead of walking them newest first. Statistics of the pair tell it.
OPEN_STATE_STATISTICS = "incident_open_state"


def create_open_state_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE STATISTICS {OPEN_STATE_STATISTICS} (mcv) ON may_be_open, end_time FROM argus_incident_incident"
        )
        schema_editor.execute("ANALYZE argus_incident_incident")


def drop_open_state_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {OPEN_STATE_STATISTICS}")


class Migration(migrations.Migration):
    dependencies = [
        ("argus_incident", "0005_source_liveness"),
    ]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="may_be_open",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name="incidenttagrelation",
            name="incident_may_be_open",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name="incidenttagrelation",
            name="incident_start_time",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunPython(fill_copies, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="incident",
            name="may_be_open",
            field=models.BooleanField(db_default=True, default=True, editable=False),
        ),
        migrations.AlterField(
            model_name="incidenttagrelation",
            name="incident_may_be_open",
            field=models.BooleanField(db_default=True, default=True, editable=False),
        ),
        migrations.AlterField(
            model_name="incidenttagrelation",
            name="incident_start_time",
            field=models.DateTimeField(editable=False),
        ),
        # The unique constraint turns round to (incident, tag) and doubles as the index by incident:
        # lookups by tag then go to the indexes that hold the start time.
        migrations.RemoveConstraint(
            model_name="incidenttagrelation",
            name="incidenttagrelation_unique_tags_per_incident",
        ),
        migrations.AlterField(
            model_name="incidenttagrelation",
            name="incident",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="incident_tag_relations",
                to="argus_incident.incident",
            ),
        ),
        migrations.AddConstraint(
            model_name="incidenttagrelation",
            constraint=models.UniqueConstraint(
                fields=("incident", "tag"), name="incidenttagrelation_unique_tags_per_incident"
            ),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                condition=models.Q(("may_be_open", True)), fields=["-start_time"], name="incident_open_start"
            ),
        ),
        migrations.AddIndex(
            model_name="incidenttagrelation",
            index=models.Index(
                fields=["tag", "-incident_start_time", "incident"], name="tagrelation_tag_start"
            ),
        ),
        migrations.AddIndex(
            model_name="incidenttagrelation",
            index=models.Index(
                condition=models.Q(("incident_may_be_open", True)),
                fields=["tag", "-incident_start_time", "incident"],
                name="tagrelation_tag_open_start",
            ),
        ),
        migrations.RunPython(create_open_state_statistics, drop_open_state_statistics),
    ]
