"""An index on the task rows' ``finished_at``, for the workers' pruning (argus.notificationprofile.pruning).

The table belongs to django-tasks-db, which indexes only the queued rows; without this index,
finding the rows old enough to delete would read the whole table on every pass.
"""

from django.db import migrations

TABLE = "django_tasks_database_dbtaskresult"
INDEX = "argus_task_result_finished_at_idx"


class Migration(migrations.Migration):
    dependencies = [
        ("argus_notificationprofile", "0003_matching_config_stamp"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON {TABLE} (finished_at)",
            f"DROP INDEX IF EXISTS {INDEX}",
        ),
    ]
