"""Incident metadata reads back in jsonb key order on every database.

Only the field's Python side changed (argus.util.jsonb): the column stays as it is, so the
database is not touched (SQLite would otherwise copy the whole incident table to "alter" it).
"""

from django.db import migrations

import argus.util.jsonb


class Migration(migrations.Migration):
    dependencies = [
        ("argus_incident", "0003_fewer_write_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="incident",
                    name="metadata",
                    field=argus.util.jsonb.JsonbOrderedJSONField(blank=True, default=dict),
                ),
            ],
            database_operations=[],
        ),
    ]
