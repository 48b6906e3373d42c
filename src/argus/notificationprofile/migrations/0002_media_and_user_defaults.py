"""Install the email and SMS media, and give existing users what new users get (§1.1, §1.5)."""

import datetime

from django.conf import settings
from django.db import migrations

MEDIA = [("email", "Email"), ("sms", "SMS")]


def forwards(apps, schema_editor):
    Media = apps.get_model("argus_notificationprofile", "Media")
    Timeslot = apps.get_model("argus_notificationprofile", "Timeslot")
    TimeRecurrence = apps.get_model("argus_notificationprofile", "TimeRecurrence")
    DestinationConfig = apps.get_model("argus_notificationprofile", "DestinationConfig")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))

    for slug, name in MEDIA:
        Media.objects.get_or_create(slug=slug, defaults={"name": name})
    email = Media.objects.get(slug="email")

    for user in User.objects.all().iterator():
        if not Timeslot.objects.filter(user=user).exists():
            timeslot = Timeslot.objects.create(user=user, name="All the time")
            TimeRecurrence.objects.create(
                timeslot=timeslot, days=[1, 2, 3, 4, 5, 6, 7], start=datetime.time.min, end=datetime.time.max
            )
        if not user.email:
            continue
        destinations = DestinationConfig.objects.filter(user=user, media=email)
        if any(d.settings.get("synced") for d in destinations):
            continue
        matching = next((d for d in destinations if d.settings.get("email_address") == user.email), None)
        if matching is not None:
            matching.settings = {**matching.settings, "synced": True}
            matching.save(update_fields=["settings"])
        else:
            DestinationConfig.objects.create(
                user=user, media=email, settings={"email_address": user.email, "synced": True}
            )


class Migration(migrations.Migration):
    dependencies = [
        ("argus_notificationprofile", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
