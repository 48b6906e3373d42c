"""Our ways to create and change users keep the notification defaults themselves.

Every test here runs with the ``post_save`` receiver (which covers users written outside our code)
disconnected, so each path is shown to give a new user the "All the time" timeslot and the synced
email destination through the services, and to move the synced destination with a changed email.
"""

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models.signals import post_save
from django.test import Client

from argus.auth import services
from argus.auth.models import User
from argus.notificationprofile.choices import EMAIL_MEDIA_SLUG
from argus.notificationprofile.models import DestinationConfig, Timeslot
from argus.notificationprofile.signals import user_saved
from tests.auth.test_oauth2 import log_in
from tests.factories import EndUserFactory

pytestmark = pytest.mark.django_db

RECEIVER = "argus_notificationprofile_user"


@pytest.fixture(autouse=True)
def no_receiver():
    assert post_save.disconnect(sender=User, dispatch_uid=RECEIVER)
    yield
    post_save.connect(user_saved, sender=User, dispatch_uid=RECEIVER)


def timeslots_of(user) -> list[str]:
    return list(Timeslot.objects.filter(user=user).values_list("name", flat=True))


def synced_addresses_of(user) -> list[str]:
    return [
        destination.settings["email_address"]
        for destination in DestinationConfig.objects.filter(user=user, media_id=EMAIL_MEDIA_SLUG)
        if destination.settings.get("synced")
    ]


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(User.objects.create_superuser("root", "", "password"))
    return client


def test_user_create_gives_the_defaults_in_one_call():
    user = services.user_create(username="new", email="New@EXAMPLE.org", password="secret")
    assert user.check_password("secret")
    assert user.email == "New@example.org"  # the domain part normalised, as Django's create_user
    assert timeslots_of(user) == ["All the time"]
    assert synced_addresses_of(user) == ["New@example.org"]


def test_user_create_without_password_or_email():
    user = services.user_create(username="bare")
    assert not user.has_usable_password()
    assert timeslots_of(user) == ["All the time"]
    assert synced_addresses_of(user) == []


def test_user_save_of_other_fields_leaves_the_destinations_alone(django_assert_num_queries):
    user = services.user_create(username="quiet", email="quiet@example.org")
    user.first_name = "Q"
    with django_assert_num_queries(3):  # savepoint, UPDATE, release
        services.user_save(user=user, update_fields=["first_name"])


def test_user_added_in_the_admin_gets_the_defaults(admin_client):
    response = admin_client.post(
        "/admin/argus_auth/user/add/",
        {
            "username": "added",
            "usable_password": "true",
            "password1": "Xy7!qq-long",
            "password2": "Xy7!qq-long",
            "preferences-TOTAL_FORMS": "0",
            "preferences-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="added")
    assert timeslots_of(user) == ["All the time"]
    assert synced_addresses_of(user) == []


def test_email_changed_in_the_admin_moves_the_synced_destination(admin_client):
    user = EndUserFactory(username="changed", email="old@example.org")
    services.user_save(user=user)  # the factory saved without the receiver
    form = {
        "username": "changed",
        "email": "new@example.org",
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "preferences-TOTAL_FORMS": "0",
        "preferences-INITIAL_FORMS": "0",
    }
    response = admin_client.post(f"/admin/argus_auth/user/{user.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert synced_addresses_of(user) == ["new@example.org"]
    old = DestinationConfig.objects.get(user=user, settings__email_address="old@example.org")
    assert old.settings["synced"] is False


def test_initial_setup_gives_the_admin_the_defaults():
    call_command("initial_setup", "--email", "admin@example.org", stdout=io.StringIO(), stderr=io.StringIO())
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert timeslots_of(admin) == ["All the time"]
    assert synced_addresses_of(admin) == ["admin@example.org"]


@pytest.mark.parametrize(("command", "superuser"), [("grantsuperuser", True), ("revokesuperuser", False)])
def test_superuser_commands_go_through_the_service(command, superuser):
    user = services.user_create(username="someone", is_staff=not superuser, is_superuser=not superuser)
    call_command(command, "someone", stdout=io.StringIO())
    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser) == (superuser, superuser)


def test_setpassword_goes_through_the_service():
    user = services.user_create(username="someone")
    call_command("setpassword", "someone", "n3w-secret")
    user.refresh_from_db()
    assert user.check_password("n3w-secret")


def test_social_login_creates_the_user_with_the_defaults(oauth2_provider):
    assert "argus.auth.pipeline.create_user" in settings.SOCIAL_AUTH_PIPELINE
    assert "social_core.pipeline.user.create_user" not in settings.SOCIAL_AUTH_PIPELINE
    log_in(Client())
    user = User.objects.get(username="ola.nordmann@uninett.no")
    assert timeslots_of(user) == ["All the time"]
    assert synced_addresses_of(user) == ["ola@example.org"]
    log_in(Client())  # a second login finds the user and adds nothing
    assert timeslots_of(user) == ["All the time"]
    assert DestinationConfig.objects.filter(user=user).count() == 1


def test_preferences_are_merged_into_one_row_per_namespace():
    user = EndUserFactory()
    assert services.preferences_update(user=user, namespace="ui", changes={"theme": "dark"}) == {
        "theme": "dark"
    }
    merged = services.preferences_update(user=user, namespace="ui", changes={"page_size": 50})
    assert merged == {"theme": "dark", "page_size": 50}
    services.preferences_update(user=user, namespace="other", changes={"theme": "light"})
    rows = {row.namespace: row.preferences for row in user.preferences.all()}
    assert rows == {"ui": {"theme": "dark", "page_size": 50}, "other": {"theme": "light"}}


def test_preferences_that_do_not_change_are_not_written(django_assert_num_queries):
    user = EndUserFactory()
    services.preferences_update(user=user, namespace="ui", changes={"theme": "dark"})
    with django_assert_num_queries(3):  # savepoint, the locked row, release
        services.preferences_update(user=user, namespace="ui", changes={"theme": "dark"})
