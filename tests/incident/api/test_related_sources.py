"""incidents/sources/ (incidents.md §4.13) and incidents/source-types/ (§4.14)."""

import re

import pytest

from argus.auth.models import User
from argus.incident.models import SourceSystem, SourceSystemType
from tests.factories import SourceSystemFactory, SourceSystemTypeFactory, UserFactory
from tests.incident.api.related_helpers import VERSIONS, url

pytestmark = pytest.mark.django_db

FORBIDDEN = {"detail": "You do not have permission to perform this action."}
INVALID_CHOICE = "Select a valid choice. That choice is not one of the available choices."


@pytest.fixture(params=VERSIONS)
def version(request):
    return request.param


@pytest.fixture
def nav():
    return SourceSystemTypeFactory(name="nav")


# --- sources: read ----------------------------------------------------------------------------------


def test_anyone_may_list_sources_in_pk_order(api_client, version):
    first = SourceSystemFactory(base_url="https://zabbix.example.org/")
    second = SourceSystemFactory()
    response = api_client.get(url(version, "sources/"))
    assert response.status_code == 200
    assert response.json() == [
        {
            "pk": first.pk,
            "name": first.name,
            "type": {"name": "nav"},
            "user": first.user_id,
            "base_url": "https://zabbix.example.org/",
        },
        {
            "pk": second.pk,
            "name": second.name,
            "type": {"name": "nav"},
            "user": second.user_id,
            "base_url": "",
        },
    ]
    assert list(response.json()[0]) == ["pk", "name", "type", "user", "base_url"]


def test_source_list_costs_constant_queries(api_client, django_assert_num_queries):
    for _ in range(10):
        SourceSystemFactory()
    with django_assert_num_queries(1):
        assert len(api_client.get(url("v2", "sources/")).json()) == 10


def test_anyone_may_read_one_source(api_client, source_system, version):
    response = api_client.get(url(version, f"sources/{source_system.pk}/"))
    assert response.status_code == 200
    assert response.json()["pk"] == source_system.pk


@pytest.mark.parametrize(
    "pk, detail", [("999999", "No SourceSystem matches the given query."), ("abc", "Not found.")]
)
def test_unknown_source_is_404(end_user_client, db, pk, detail):
    response = end_user_client.get(url("v2", f"sources/{pk}/"))
    assert response.status_code == 404
    assert response.json() == {"detail": detail}


# --- sources: create ---------------------------------------------------------------------------------


def test_superuser_creates_source_and_its_user(superuser_client, nav, version):
    response = superuser_client.post(
        url(version, "sources/"),
        {"name": "zabbix1", "type": "nav", "base_url": "not validated"},
        format="json",
    )
    assert response.status_code == 201
    source = SourceSystem.objects.get(name="zabbix1")
    assert response.json() == {
        "pk": source.pk,
        "name": "zabbix1",
        "type": {"name": "nav"},
        "user": source.user_id,
        "base_url": "not validated",
    }
    assert source.user.username == "zabbix1"
    assert not source.user.has_usable_password()
    assert source.user.is_source_system


def test_source_user_gets_given_username_with_suffix_when_taken(superuser_client, nav):
    UserFactory(username="specinc_user")
    response = superuser_client.post(
        url("v2", "sources/"), {"name": "s1", "type": "nav", "username": "specinc_user"}, format="json"
    )
    assert response.status_code == 201
    username = User.objects.get(pk=response.json()["user"]).username
    assert re.fullmatch(r"specinc_user_[0-9A-F]{6}", username)


@pytest.mark.parametrize("client_name", ["end_user_client", "source_client"])
def test_only_superusers_create_sources(request, nav, client_name):
    client = request.getfixturevalue(client_name)
    count = SourceSystem.objects.count()
    response = client.post(url("v2", "sources/"), {"name": "x", "type": "nav"}, format="json")
    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    assert SourceSystem.objects.count() == count


def test_anonymous_create_is_401(api_client, nav):
    response = api_client.post(url("v2", "sources/"), {"name": "x", "type": "nav"}, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


@pytest.mark.parametrize(
    "body, errors",
    [
        ({"name": "x", "type": "nosuchtype"}, {"type": [INVALID_CHOICE]}),
        ({"name": "x"}, {"type": ["This field is required."]}),
        ({"type": "nav"}, {"name": ["This field is required."]}),
        ({"name": "", "type": "nav"}, {"name": ["This field is required."]}),
        (
            {"name": "x", "type": "nav", "username": "bad user!"},
            {
                "username": [
                    "username: Enter a valid username. This value may contain only letters, numbers, "
                    "and @/./+/-/_ characters."
                ]
            },
        ),
    ],
)
def test_create_source_errors(superuser_client, nav, body, errors):
    users = User.objects.count()
    response = superuser_client.post(url("v2", "sources/"), body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert User.objects.count() == users
    assert not SourceSystem.objects.filter(name="x").exists()


def test_create_duplicate_source_is_400(superuser_client, nav):
    existing = SourceSystemFactory(type=nav)
    users = User.objects.count()
    response = superuser_client.post(
        url("v2", "sources/"), {"name": existing.name, "type": "nav"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"__all__": ["Source system with this Name and Type already exists."]}
    assert User.objects.count() == users


# --- sources: update ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch"])
def test_superuser_renames_source_and_nothing_else(superuser_client, source_system, version, method):
    SourceSystemTypeFactory(name="zabbix")
    body = {"name": "renamed", "type": "zabbix", "user": 1, "base_url": "https://x.example.org/"}
    response = getattr(superuser_client, method)(
        url(version, f"sources/{source_system.pk}/"), body, format="json"
    )
    assert response.status_code == 200
    assert response.json()["name"] == "renamed"
    source_system.refresh_from_db()
    assert (source_system.name, source_system.type_id, source_system.base_url) == ("renamed", "nav", "")


def test_put_needs_name_patch_does_not(superuser_client, source_system):
    response = superuser_client.put(url("v2", f"sources/{source_system.pk}/"), {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": ["This field is required."]}
    response = superuser_client.patch(url("v2", f"sources/{source_system.pk}/"), {}, format="json")
    assert response.status_code == 200


def test_rename_onto_existing_name_and_type_is_400(superuser_client, source_system):
    other = SourceSystemFactory()
    response = superuser_client.patch(
        url("v2", f"sources/{source_system.pk}/"), {"name": other.name}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["The fields name, type must make a unique set."]}
    source_system.refresh_from_db()
    assert source_system.name != other.name


def test_only_superusers_update_sources(source_client, source_system):
    response = source_client.patch(url("v2", f"sources/{source_system.pk}/"), {"name": "mine"}, format="json")
    assert response.status_code == 403


def test_sources_cannot_be_deleted(superuser_client, source_system):
    response = superuser_client.delete(url("v2", f"sources/{source_system.pk}/"))
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "DELETE" not allowed.'}


def test_v1_has_no_heartbeat_endpoint_its_source_detail_route_takes_the_name(source_client, end_user_client):
    assert source_client.post(url("v1", "sources/heartbeat/"), {}).status_code == 403
    response = end_user_client.get(url("v1", "sources/heartbeat/"))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


# --- source types --------------------------------------------------------------------------------------


def test_types_listed_by_name(end_user_client, version):
    for name in ("zabbix", "argus", "nav"):
        SourceSystemTypeFactory(name=name)
    response = end_user_client.get(url(version, "source-types/"))
    assert response.status_code == 200
    assert response.json() == [{"name": "argus"}, {"name": "nav"}, {"name": "zabbix"}]


def test_types_need_authentication(api_client, nav):
    assert api_client.get(url("v2", "source-types/")).status_code == 401
    assert api_client.get(url("v2", "source-types/nav/")).status_code == 401


def test_type_detail(end_user_client, nav, version):
    assert end_user_client.get(url(version, "source-types/nav/")).json() == {"name": "nav"}
    response = end_user_client.get(url(version, "source-types/nope/"))
    assert response.status_code == 404
    assert response.json() == {"detail": "No SourceSystemType matches the given query."}


@pytest.mark.parametrize("name", ["specinc_typeb", "nav-2 x!"])
def test_any_user_creates_type(end_user_client, version, name):
    response = end_user_client.post(url(version, "source-types/"), {"name": name}, format="json")
    assert response.status_code == 201
    assert response.json() == {"name": name}
    assert SourceSystemType.objects.filter(name=name).exists()


@pytest.mark.parametrize(
    "body, errors",
    [
        ({"name": "Specinc_TypeB"}, {"name": ["'Specinc_TypeB' is not a lowercase string"]}),
        ({"name": "123"}, {"name": ["'123' is not a lowercase string"]}),
        ({"name": "nav"}, {"name": ["source system type with this name already exists."]}),
        ({}, {"name": ["This field is required."]}),
        ({"name": ""}, {"name": ["This field may not be blank."]}),
    ],
)
def test_create_type_errors(end_user_client, nav, body, errors):
    response = end_user_client.post(url("v2", "source-types/"), body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert SourceSystemType.objects.count() == 1


@pytest.mark.parametrize("method", ["put", "delete"])
def test_types_cannot_be_changed(end_user_client, nav, method):
    response = getattr(end_user_client, method)(url("v2", "source-types/nav/"), {"name": "x"})
    assert response.status_code == 405
    assert SourceSystemType.objects.filter(name="nav").exists()


def test_source_name_is_checked_as_username_when_no_username_given(superuser_client, nav):
    response = superuser_client.post(
        url("v2", "sources/"), {"name": "has space", "type": "nav"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["username"]
    response = superuser_client.post(
        url("v2", "sources/"), {"name": "has space", "type": "nav", "username": "has_space"}, format="json"
    )
    assert response.status_code == 201


def test_long_taken_username_gets_suffix_within_150_characters(superuser_client, nav):
    name = "n" * 150
    UserFactory(username=name)
    response = superuser_client.post(url("v2", "sources/"), {"name": name, "type": "nav"}, format="json")
    assert response.status_code == 201
    username = User.objects.get(pk=response.json()["user"]).username
    assert len(username) == 150 and username.startswith("n" * 143 + "_")
    response = superuser_client.post(url("v2", "sources/"), {"name": "m" * 151, "type": "nav"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "username": ["username: Ensure this value has at most 150 characters (it has 151)."]
    }


def test_options_on_sources_is_public_and_shows_post_only_to_superusers(api_client, superuser_client):
    anonymous = api_client.options(url("v2", "sources/"))
    assert anonymous.status_code == 200
    assert "actions" not in anonymous.json()
    fields = superuser_client.options(url("v2", "sources/")).json()["actions"]["POST"]
    assert list(fields) == ["name", "type", "username", "base_url"]
