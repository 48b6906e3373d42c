"""Drop the index 0004 used to put on django-tasks-db's table, where it exists.

We do not change other applications' tables (the index tied us to one version of one task
backend). ``IF EXISTS``: databases migrated after 0004 became a no-op never had it, and the table
may not exist at all when another task backend is used.
"""

from django.db import migrations

INDEX = "argus_task_result_finished_at_idx"


class Migration(migrations.Migration):
    dependencies = [
        ("argus_notificationprofile", "0006_delivery_log"),
    ]

    operations = [
        migrations.RunSQL(f"DROP INDEX IF EXISTS {INDEX}", migrations.RunSQL.noop),
    ]
