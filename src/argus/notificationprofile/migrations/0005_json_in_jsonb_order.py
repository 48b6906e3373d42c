"""Filter blobs and destination settings read back in jsonb key order on every database.

Only the field's Python side changed (argus.util.jsonb): the columns stay as they are, so the
database is not touched (SQLite would otherwise copy the whole table to "alter" it).
"""

from django.db import migrations

import argus.util.jsonb


class Migration(migrations.Migration):
    dependencies = [
        ("argus_notificationprofile", "0004_task_result_finished_at_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="destinationconfig",
                    name="settings",
                    field=argus.util.jsonb.JsonbOrderedJSONField(default=dict),
                ),
                migrations.AlterField(
                    model_name="filter",
                    name="filter",
                    field=argus.util.jsonb.JsonbOrderedJSONField(default=dict),
                ),
            ],
            database_operations=[],
        ),
    ]
