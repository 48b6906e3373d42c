"""incidents/<pk>/tags/ (incidents.md §4.12)."""

import pytest

from argus.incident.models import Event, IncidentTagRelation, Tag
from tests.incident.api.related_helpers import VERSIONS, make_incident, url

pytestmark = pytest.mark.django_db

BAD_KEY = "['Enter a valid key consisting of lowercase letters, numbers and underscores.']"


@pytest.fixture(params=VERSIONS)
def version(request):
    return request.param


@pytest.fixture
def incident(source_system):
    return make_incident(source_system, tags=["location=oslo", "host=b1"])


def tags_of(incident):
    return sorted(r.tag.representation for r in IncidentTagRelation.objects.filter(incident=incident))


def test_list_has_only_tag_strings(end_user_client, incident, version):
    response = end_user_client.get(url(version, f"{incident.pk}/tags/"))
    assert response.status_code == 200
    assert response.json() == [{"tag": "location=oslo"}, {"tag": "host=b1"}]


def test_add_tag(end_user_client, end_user, incident, version):
    events_before = Event.objects.count()
    response = end_user_client.post(
        url(version, f"{incident.pk}/tags/"), {"tag": " spaced = value with spaces "}, format="json"
    )
    assert response.status_code == 201
    assert response.json() == {"tag": "spaced=value with spaces"}
    relation = IncidentTagRelation.objects.get(incident=incident, tag__key="spaced")
    assert relation.added_by == end_user
    assert Event.objects.count() == events_before  # no CHI event


def test_add_existing_tag_is_201_and_keeps_adder(end_user_client, incident, source_system):
    response = end_user_client.post(url("v2", f"{incident.pk}/tags/"), {"tag": "host=b1"}, format="json")
    assert response.status_code == 201
    assert response.json() == {"tag": "host=b1"}
    relation = IncidentTagRelation.objects.get(incident=incident, tag__key="host")
    assert relation.added_by == source_system.user
    assert tags_of(incident) == ["host=b1", "location=oslo"]


def test_add_tag_with_empty_value_and_split_on_first_delimiter(end_user_client, incident):
    assert end_user_client.post(
        url("v2", f"{incident.pk}/tags/"), {"tag": "empty="}, format="json"
    ).json() == {"tag": "empty="}
    response = end_user_client.post(url("v2", f"{incident.pk}/tags/"), {"tag": "a=b=c"}, format="json")
    assert Tag.objects.filter(key="a", value="b=c").exists()
    assert response.json() == {"tag": "a=b=c"}


@pytest.mark.parametrize(
    "body, errors",
    [
        ({"tag": "nodelimiter"}, {"tag": "The tag does not have its delimiter: =."}),
        ({"tag": "=value"}, {"tag": "The key of the tag cannot be empty."}),
        ({"tag": "Bad=1"}, {"tag": BAD_KEY}),
        ({"tag": "bad key=1"}, {"tag": BAD_KEY}),
        ({"tag": "a=\x00"}, {"tag": "Null characters are not allowed."}),  # PostgreSQL cannot hold it
        ({"tag": "k" * 101 + "=v"}, {"tag": "The key of the tag cannot be longer than 100 characters."}),
        ({"tag": "k=" + "v" * 601}, {"tag": "The value of the tag cannot be longer than 600 characters."}),
        (
            {"tag": "k=" + "v" * 1_000_000},
            {"tag": "The value of the tag cannot be longer than 600 characters."},
        ),
        ({}, {"non_field_errors": ['Tags need to follow the format {"tag": key=value}']}),
        ({"tag": None}, {"non_field_errors": ['Tags need to follow the format {"tag": key=value}']}),
        ({"tag": 5}, {"non_field_errors": ['Tags need to follow the format {"tag": key=value}']}),
        ([{"tag": "a=b"}], {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
    ],
)
def test_add_bad_tag_is_400_and_changes_nothing(end_user_client, incident, version, body, errors):
    response = end_user_client.post(url(version, f"{incident.pk}/tags/"), body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert tags_of(incident) == ["host=b1", "location=oslo"]


@pytest.mark.parametrize("method, path", [("get", "tags/"), ("post", "tags/"), ("get", "tags/host=b1/")])
def test_unknown_incident_is_400(end_user_client, db, version, method, path):
    response = getattr(end_user_client, method)(url(version, f"999999/{path}"), {"tag": "a=b"}, format="json")
    assert response.status_code == 400
    assert response.json() == ["An incident with pk=999999 does not exist"]


def test_detail_of_a_tag_with_a_null_character_is_400(end_user_client, incident, version):
    response = end_user_client.get(url(version, f"{incident.pk}/tags/host=b%001/"))
    assert response.status_code == 400
    assert response.json() == ["Null characters are not allowed."]


def test_detail(end_user_client, incident, version):
    response = end_user_client.get(url(version, f"{incident.pk}/tags/host=b1/"))
    assert response.status_code == 200
    assert response.json() == {"tag": "host=b1"}


def test_detail_of_tag_not_on_incident_is_404(end_user_client, incident, source_system, version):
    make_incident(source_system, tags=["other=tag"])
    response = end_user_client.get(url(version, f"{incident.pk}/tags/other=tag/"))
    assert response.status_code == 404
    assert response.json() == {"detail": "No Tag matches the given query."}


def test_tag_at_the_length_limits_is_added_whatever_its_characters(end_user_client, incident):
    """4-byte UTF-8 characters: the longest tag still fits PostgreSQL's unique btree index."""
    tag = "k" * 100 + "=" + "\U0001f525" * 600
    response = end_user_client.post(url("v2", f"{incident.pk}/tags/"), {"tag": tag}, format="json")
    assert response.status_code == 201
    assert response.json() == {"tag": tag}
    assert tag in tags_of(incident)


def test_detail_of_a_tag_over_the_length_limit_is_400(end_user_client, incident, version):
    response = end_user_client.get(url(version, f"{incident.pk}/tags/host={'x' * 601}/"))
    assert response.status_code == 400
    assert response.json() == ["The value of the tag cannot be longer than 600 characters."]


def test_detail_without_delimiter_is_400(end_user_client, incident, version):
    response = end_user_client.get(url(version, f"{incident.pk}/tags/nodelimiter/"))
    assert response.status_code == 400
    assert response.json() == ["The tag does not have its delimiter: =."]


def test_delete_removes_relation_and_unused_tag(other_end_user_client, incident, source_system, version):
    shared = make_incident(source_system, tags=["location=oslo"])
    response = other_end_user_client.delete(url(version, f"{incident.pk}/tags/host=b1/"))
    assert response.status_code == 204
    assert not Tag.objects.filter(key="host", value="b1").exists()
    response = other_end_user_client.delete(url(version, f"{incident.pk}/tags/location=oslo/"))
    assert response.status_code == 204
    assert tags_of(incident) == []
    assert tags_of(shared) == ["location=oslo"]  # still used elsewhere: the tag stays


def test_delete_tag_not_on_incident_is_404(end_user_client, incident):
    response = end_user_client.delete(url("v2", f"{incident.pk}/tags/nothere=1/"))
    assert response.status_code == 404
    assert response.json() == {"detail": "No Tag matches the given query."}


def test_tags_need_authentication(api_client, incident):
    assert api_client.get(url("v2", f"{incident.pk}/tags/")).status_code == 401
    assert api_client.post(url("v2", f"{incident.pk}/tags/"), {"tag": "a=b"}).status_code == 401


def test_tag_detail_cannot_be_put(end_user_client, incident):
    response = end_user_client.put(url("v2", f"{incident.pk}/tags/host=b1/"), {"tag": "a=b"})
    assert response.status_code == 405
