"""Formerly an index on django-tasks-db's table, for a pruning of its rows by our workers.

That pruning is gone (``prune_db_task_results``, django-tasks-db's own command, is a periodic job
now) and we do not change other applications' tables: the migration does nothing any more, and
0007 drops the index where it was created. It keeps its name, as databases have applied it.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("argus_notificationprofile", "0003_matching_config_stamp"),
    ]

    operations = []
