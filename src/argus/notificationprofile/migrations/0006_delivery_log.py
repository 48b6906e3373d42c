"""The notification records: events waiting to be matched, and the delivery log.

See argus.notificationprofile.deliveries for their rules.
"""

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('argus_incident', '0004_metadata_in_jsonb_order'),
        ('argus_notificationprofile', '0005_json_in_jsonb_order'),
    ]

    operations = [
        migrations.CreateModel(
            name='PendingEvent',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('due_at', models.DateTimeField(db_index=True)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('claim', models.CharField(blank=True, default='', max_length=16)),
                ('event', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='argus_incident.event')),
            ],
        ),
        migrations.CreateModel(
            name='Delivery',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('message_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('medium', models.CharField(max_length=20)),
                ('address', models.CharField(max_length=500)),
                ('recipients', models.CharField(blank=True, help_text="Usernames of the destinations' owners.", max_length=500)),
                ('destination_ids', models.JSONField(default=list)),
                ('state', models.CharField(choices=[('pending', 'Pending'), ('sent', 'Sent'), ('failed', 'Failed for good')], default='pending', max_length=10)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('due_at', models.DateTimeField(blank=True, null=True)),
                ('claim', models.CharField(blank=True, default='', max_length=16)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('last_attempt_at', models.DateTimeField(blank=True, null=True)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('last_error', models.TextField(blank=True, default='')),
                ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='argus_incident.event')),
            ],
            options={
                'verbose_name_plural': 'deliveries',
                'indexes': [models.Index(condition=models.Q(('state', 'pending')), fields=['due_at'], name='delivery_pending_due'), models.Index(fields=['created_at'], name='delivery_created_at')],
            },
        ),
    ]
