"""MatchingConfigStamp and the triggers that change its token (see the model's docstring)."""

from django.db import migrations, models

STAMP_TABLE = "argus_notificationprofile_matchingconfigstamp"
WATCHED_MODELS = ["NotificationProfile", "Filter", "Timeslot", "TimeRecurrence"]
FUNCTION = "argus_matching_config_changed"


def watched_tables(apps) -> list[str]:
    tables = []
    for name in WATCHED_MODELS:
        model = apps.get_model("argus_notificationprofile", name)
        tables.append(model._meta.db_table)
    profile = apps.get_model("argus_notificationprofile", "NotificationProfile")
    tables.append(profile._meta.get_field("filters").remote_field.through._meta.db_table)
    return tables


def create_triggers(apps, schema_editor):
    apps.get_model("argus_notificationprofile", "MatchingConfigStamp").objects.create(pk=1, token=0)
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute(
            f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$ "
            f"BEGIN UPDATE {STAMP_TABLE} SET token = (random() * 9.2e18)::bigint; RETURN NULL; END; "
            "$$ LANGUAGE plpgsql"
        )
        for table in watched_tables(apps):
            execute(
                f'CREATE TRIGGER {table}_matching_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" '
                f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
            )
    elif schema_editor.connection.vendor == "sqlite":
        for table in watched_tables(apps):
            for operation in ("INSERT", "UPDATE", "DELETE"):
                execute(
                    f'CREATE TRIGGER {table}_matching_{operation.lower()} AFTER {operation} ON "{table}" '
                    f"BEGIN UPDATE {STAMP_TABLE} SET token = random(); END"
                )
    # Other databases: no triggers; the stamp row is deleted so matching never caches.
    else:
        apps.get_model("argus_notificationprofile", "MatchingConfigStamp").objects.all().delete()


def drop_triggers(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        for table in watched_tables(apps):
            execute(f'DROP TRIGGER IF EXISTS {table}_matching_changed ON "{table}"')
        execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    elif schema_editor.connection.vendor == "sqlite":
        for table in watched_tables(apps):
            for operation in ("insert", "update", "delete"):
                execute(f"DROP TRIGGER IF EXISTS {table}_matching_{operation}")


class Migration(migrations.Migration):
    dependencies = [
        ("argus_notificationprofile", "0002_media_and_user_defaults"),
    ]

    operations = [
        migrations.CreateModel(
            name="MatchingConfigStamp",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
