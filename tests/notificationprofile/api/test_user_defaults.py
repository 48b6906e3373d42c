"""What every user gets: the "All the time" timeslot and the synced email destination (§1.1, §1.5).

How each of our ways to write a user keeps them is tested in tests/auth/test_user_services.py;
here: the service itself and the receiver that covers users written outside our code.
"""

import importlib

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models.signals import post_save

from argus.auth.models import User
from argus.notificationprofile import services
from argus.notificationprofile.models import DestinationConfig, Media, Timeslot
from argus.notificationprofile.signals import user_saved
from tests.factories import EndUserFactory

pytestmark = pytest.mark.django_db

data_migration = importlib.import_module("argus.notificationprofile.migrations.0002_media_and_user_defaults")


def test_fixture_loading_adds_nothing():
    user = User(username="loaded", email="loaded@example.org")
    post_save.disconnect(dispatch_uid="argus_notificationprofile_user", sender=User)
    try:
        user.save()
    finally:
        post_save.connect(user_saved, sender=User, dispatch_uid="argus_notificationprofile_user")
    post_save.send(User, instance=user, created=True, raw=True, update_fields=None)
    assert not Timeslot.objects.filter(user=user).exists()
    assert not DestinationConfig.objects.filter(user=user).exists()


def test_user_with_a_timeslot_gets_no_second_one():
    user = EndUserFactory()
    assert services.default_timeslot_create(user=user) is None
    assert Timeslot.objects.filter(user=user).count() == 1


def defaults_of(user):
    return (
        list(Timeslot.objects.filter(user=user).values_list("name", flat=True)),
        list(DestinationConfig.objects.filter(user=user).values_list("media_id", "settings")),
    )


def test_user_written_outside_our_code_gets_the_defaults_once():
    """A shell or another app saving a user: the receiver calls the service, which is idempotent."""
    user = User(username="shell", email="shell@example.org")
    user.save()
    user.save()
    services.user_defaults_keep(user=user, created=True)
    assert defaults_of(user) == (
        ["All the time"],
        [("email", {"email_address": "shell@example.org", "synced": True})],
    )


def test_email_changed_outside_our_code_moves_the_synced_destination():
    user = EndUserFactory(email="old@example.org")
    user.email = "new@example.org"
    user.save(update_fields=["email"])
    settings = DestinationConfig.objects.filter(user=user).values_list("settings", flat=True)
    assert sorted(settings, key=lambda s: s["email_address"]) == [
        {"email_address": "new@example.org", "synced": True},
        {"email_address": "old@example.org", "synced": False},
    ]


def test_createsuperuser_gets_the_defaults():
    call_command("createsuperuser", interactive=False, username="boss", email="boss@example.org", verbosity=0)
    user = User.objects.get(username="boss")
    assert defaults_of(user) == (
        ["All the time"],
        [("email", {"email_address": "boss@example.org", "synced": True})],
    )


def test_the_receiver_stands_aside_while_a_service_keeps_the_defaults(monkeypatch):
    calls = []
    keep = services.user_defaults_keep
    monkeypatch.setattr(
        services, "user_defaults_keep", lambda **kwargs: calls.append(kwargs) or keep(**kwargs)
    )
    user = User(username="kept", email="kept@example.org")
    with services.caller_keeps_user_defaults():
        user.save()
    assert calls == []
    assert defaults_of(user) == ([], [])
    user.save()
    assert len(calls) == 1


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
