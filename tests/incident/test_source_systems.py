"""Every way of adding a source system gives it a user by the same rules; the admin also a token.

The API, the admin and ``create_source`` all end in ``services.source_system_create``;
``initial_setup`` makes Argus' own source with ``services.argus_source_ensure``.
"""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from argus.incident.models import SourceSystem
from tests.factories import EndUserFactory, SourceSystemTypeFactory, SuperUserFactory

pytestmark = pytest.mark.django_db


def via_api(name, username):
    client = APIClient()
    client.force_authenticate(SuperUserFactory())
    body = {"name": name, "type": "nav", **({"username": username} if username else {})}
    response = client.post("/api/v2/incidents/sources/", body, format="json")
    assert response.status_code == 201, response.content


def via_admin(name, username):
    client = APIClient()
    client.force_login(SuperUserFactory())
    data = {"name": name, "type": "nav", "username": username or "", "base_url": ""}
    response = client.post(reverse("admin:argus_incident_sourcesystem_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors


def via_create_source(name, username):
    assert username is None  # the command has no username option: the user is named like the source
    call_command("create_source", name, "-t", "nav", stdout=io.StringIO(), stderr=io.StringIO())


WAYS = [via_api, via_admin, via_create_source]


@pytest.fixture(autouse=True)
def nav():
    return SourceSystemTypeFactory(name="nav")


@pytest.mark.parametrize("add", WAYS)
def test_the_user_is_named_like_the_source(add):
    add("zabbix", None)
    source = SourceSystem.objects.get(name="zabbix")
    user = source.user
    assert user.username == "zabbix" and user.is_source_system
    assert not user.is_staff and not user.is_superuser and user.is_active
    assert Token.objects.filter(user=user).count() == (1 if add is via_admin else 0)


@pytest.mark.parametrize("add", WAYS)
def test_the_user_has_the_notification_defaults_of_every_user(add):
    add("zabbix", None)
    user = SourceSystem.objects.get(name="zabbix").user
    assert list(user.timeslots.values_list("name", flat=True)) == ["All the time"]


@pytest.mark.parametrize("add", WAYS)
def test_a_taken_username_gets_a_suffix_and_the_other_user_is_left_alone(add):
    person = EndUserFactory(username="zabbix")
    add("zabbix", None)
    user = SourceSystem.objects.get(name="zabbix").user
    assert user != person and re.fullmatch(r"zabbix_[0-9A-F]{6}", user.username)
    person.refresh_from_db()
    assert person.check_password("password") and not Token.objects.filter(user=person).exists()


@pytest.mark.parametrize("add", [via_api, via_admin])
def test_a_chosen_username(add):
    add("zabbix", "zabbix_glue")
    assert SourceSystem.objects.get(name="zabbix").user.username == "zabbix_glue"


def test_only_create_source_gives_the_user_a_password():
    via_api("by_api", None)
    via_admin("by_admin", None)
    via_create_source("by_command", None)
    users = {source.name: source.user for source in SourceSystem.objects.select_related("user")}
    assert not users["by_api"].has_usable_password() and not users["by_admin"].has_usable_password()
    assert users["by_command"].check_password("defaultpassword")


def test_initial_setup_makes_argus_own_source_by_the_same_username_rule_but_without_token():
    EndUserFactory(username="argus")
    call_command("initial_setup", stdout=io.StringIO(), stderr=io.StringIO())
    source = SourceSystem.objects.get(name="argus", type_id="argus")
    assert re.fullmatch(r"argus_[0-9A-F]{6}", source.user.username)
    assert source.user.is_superuser and source.user.password == ""
    assert not Token.objects.filter(user=source.user).exists()
