"""Planned maintenance: tasks (a window and filters) and the incidents each covered while current.

See argus.plannedmaintenance.services for their rules.
"""

import argus.incident.fields
import datetime
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('argus_incident', '0004_metadata_in_jsonb_order'),
        ('argus_notificationprofile', '0007_drop_task_result_finished_at_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PlannedMaintenanceLink',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('linked_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='argus_incident.incident')),
            ],
            options={
                'verbose_name': 'planned maintenance link',
            },
        ),
        migrations.CreateModel(
            name='PlannedMaintenanceTask',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('start_time', models.DateTimeField(default=django.utils.timezone.now)),
                ('end_time', argus.incident.fields.InfinityDateTimeField(default=datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.timezone.utc), help_text='Infinity: until someone ends it. Must be later than the start time.')),
                ('description', models.CharField(blank=True, default='', max_length=255)),
                ('notify_when_ended', models.BooleanField(default=True, help_text='When the task has ended, incidents it covered that are still open get an event (which notifies as usual).')),
                ('ended_notice_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='planned_maintenance_tasks', to=settings.AUTH_USER_MODEL)),
                ('filters', models.ManyToManyField(related_name='planned_maintenance_tasks', to='argus_notificationprofile.filter')),
                ('incidents', models.ManyToManyField(blank=True, related_name='maintenance_tasks', through='argus_plannedmaintenance.PlannedMaintenanceLink', to='argus_incident.incident')),
            ],
            options={
                'verbose_name': 'planned maintenance task',
                'ordering': ['start_time'],
            },
        ),
        migrations.AddField(
            model_name='plannedmaintenancelink',
            name='task',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='links', to='argus_plannedmaintenance.plannedmaintenancetask'),
        ),
        migrations.AddIndex(
            model_name='plannedmaintenancetask',
            index=models.Index(fields=['end_time', 'start_time'], name='maintenance_task_window'),
        ),
        migrations.AddConstraint(
            model_name='plannedmaintenancetask',
            constraint=models.CheckConstraint(condition=models.Q(('end_time__gt', models.F('start_time'))), name='plannedmaintenancetask_end_after_start', violation_error_message='The end time must be after the start time.'),
        ),
        migrations.AddConstraint(
            model_name='plannedmaintenancelink',
            constraint=models.UniqueConstraint(fields=('task', 'incident'), name='plannedmaintenancelink_unique_task_incident'),
        ),
    ]
