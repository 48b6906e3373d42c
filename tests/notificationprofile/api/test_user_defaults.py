"""What every user gets: the "All the time" timeslot and the synced email destination (§1.1, §1.5)."""

import importlib

import pytest
from django.apps import apps
from django.db.models.signals import post_save

from argus.auth.models import User
from argus.notificationprofile.models import DestinationConfig, Media, Timeslot
from tests.factories import EndUserFactory

pytestmark = pytest.mark.django_db

data_migration = importlib.import_module("argus.notificationprofile.migrations.0002_media_and_user_defaults")


def test_fixture_loading_adds_nothing():
    user = User(username="loaded", email="loaded@example.org")
    post_save.disconnect(dispatch_uid="argus_notificationprofile_user", sender=User)
    try:
        user.save()
    finally:
        from argus.notificationprofile.signals import user_saved

        post_save.connect(user_saved, sender=User, dispatch_uid="argus_notificationprofile_user")
    post_save.send(User, instance=user, created=True, raw=True, update_fields=None)
    assert not Timeslot.objects.filter(user=user).exists()
    assert not DestinationConfig.objects.filter(user=user).exists()


def test_user_with_a_timeslot_gets_no_second_one():
    from argus.notificationprofile.signals import create_default_timeslot

    user = EndUserFactory()
    assert create_default_timeslot(user) is None
    assert Timeslot.objects.filter(user=user).count() == 1


def test_saving_other_fields_only_does_not_touch_destinations(django_assert_num_queries):
    user = EndUserFactory()
    with django_assert_num_queries(1):
        user.save(update_fields=["last_login"])


def test_data_migration_gives_existing_users_the_defaults():
    user = EndUserFactory(email="old@example.org")
    Timeslot.objects.filter(user=user).delete()
    DestinationConfig.objects.filter(user=user).delete()
    Media.objects.all().delete()

    data_migration.forwards(apps, None)

    assert set(Media.objects.values_list("slug", "name")) == {("email", "Email"), ("sms", "SMS")}
    assert list(Timeslot.objects.filter(user=user).values_list("name", flat=True)) == ["All the time"]
    assert list(DestinationConfig.objects.filter(user=user).values_list("settings", flat=True)) == [
        {"email_address": "old@example.org", "synced": True}
    ]
    # Running it again changes nothing.
    data_migration.forwards(apps, None)
    assert DestinationConfig.objects.filter(user=user).count() == 1
    assert Timeslot.objects.filter(user=user).count() == 1


def test_data_migration_marks_an_existing_destination_as_synced():
    user = EndUserFactory(email="old@example.org")
    destination = DestinationConfig.objects.get(user=user)
    destination.settings = {"email_address": "old@example.org", "synced": False}
    destination.save()
    data_migration.forwards(apps, None)
    destination.refresh_from_db()
    assert destination.settings["synced"] is True
    assert DestinationConfig.objects.filter(user=user).count() == 1


def test_source_system_users_manage_their_own_timeslots(source_client, source_user):
    response = source_client.get("/api/v2/notificationprofiles/timeslots/")
    assert response.status_code == 200
    assert [t["name"] for t in response.json()] == ["All the time"]
    assert source_client.get("/api/v2/notificationprofiles/destinations/").json() == []
