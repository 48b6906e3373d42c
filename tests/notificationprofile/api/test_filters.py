"""Filters on v2 (notifications.md §4) and v1 (§5): one table, two views."""

import json

import pytest

from argus.incident.models import Incident, SourceSystemType
from argus.notificationprofile.api.serializers import FilterSerializer, TimeslotSerializer
from argus.notificationprofile.matching import incidents_for_filter
from argus.notificationprofile.models import Filter
from tests.factories import SourceSystemTypeFactory
from tests.notificationprofile.factories import FilterFactory, NotificationProfileFactory, TimeslotFactory

pytestmark = pytest.mark.django_db

V1 = "/api/v1/notificationprofiles/filters/"
V2 = "/api/v2/notificationprofiles/filters/"
EMPTY_V2 = {"open": None, "acked": None, "stateful": None, "maxlevel": None}


# --- v2 ---------------------------------------------------------------------------------------------


def test_v2_create_with_sources_and_tags(end_user_client, end_user):
    body = {"name": "nro f1", "filter": {"sourceSystemIds": [11], "tags": ["problem_type=test"]}}
    response = end_user_client.post(V2, body, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["pk"]
    assert response.json() == {
        "pk": pk,
        "name": "nro f1",
        "filter": {"sourceSystemIds": [11], "tags": ["problem_type=test"], **EMPTY_V2},
    }
    assert list(response.json()["filter"]) == [
        "sourceSystemIds",
        "tags",
        "open",
        "acked",
        "stateful",
        "maxlevel",
    ]
    stored = Filter.objects.get(pk=pk)
    assert stored.user == end_user
    assert stored.filter == {"sourceSystemIds": [11], "tags": ["problem_type=test"]}


def test_v2_create_with_all_scalar_keys_and_event_types(end_user_client):
    blob = {"open": True, "acked": False, "stateful": True, "maxlevel": 3, "event_types": ["STA", "END"]}
    response = end_user_client.post(V2, {"name": "nro f2", "filter": blob}, format="json")
    assert response.status_code == 201
    assert response.json()["filter"] == blob
    assert list(response.json()["filter"]) == ["open", "acked", "stateful", "maxlevel", "event_types"]


def test_v2_filter_omitted_is_stored_empty(end_user_client):
    response = end_user_client.post(V2, {"name": "nro f3"}, format="json")
    assert response.status_code == 201
    assert response.json()["filter"] == EMPTY_V2
    assert Filter.objects.get(pk=response.json()["pk"]).filter == {}


def test_v2_unknown_keys_dropped_nulls_kept_event_types_deduplicated(end_user_client):
    blob = {"unknownkey": 1, "open": None, "event_types": ["ACK", "ACK", "CHI"]}
    response = end_user_client.post(V2, {"name": "x", "filter": blob}, format="json")
    assert response.status_code == 201
    assert Filter.objects.get(pk=response.json()["pk"]).filter == {
        "open": None,
        "event_types": ["ACK", "CHI"],
    }


@pytest.mark.parametrize(
    "body, errors",
    [
        ({}, {"name": ["This field is required."]}),
        ({"name": "x" * 41}, {"name": ["Ensure this field has no more than 40 characters."]}),
        (
            {"name": "x", "filter": "abc"},
            {"filter": {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}},
        ),
        (
            {"name": "x", "filter": {"sourceSystemIds": [0, "a", 2**63], "maxlevel": 6, "open": "maybe"}},
            {
                "filter": {
                    "sourceSystemIds": {
                        "0": ["Ensure this value is greater than or equal to 1."],
                        "1": ["A valid integer is required."],
                        "2": ["Ensure this value is less than or equal to 9223372036854775807."],
                    },
                    "open": ["Must be a valid boolean."],
                    "maxlevel": ["Ensure this value is less than or equal to 5."],
                }
            },
        ),
        (
            {"name": "x", "filter": {"tags": "a=b", "event_types": ["XXX"], "maxlevel": 0}},
            {
                "filter": {
                    "tags": ['Expected a list of items but got type "str".'],
                    "maxlevel": ["Ensure this value is greater than or equal to 1."],
                    "event_types": ['"XXX" is not a valid choice.'],
                }
            },
        ),
        (
            {"name": "x", "filter": {"tags": ["ab"]}},
            {"filter": {"tags": {"0": ["Ensure this field has at least 3 characters."]}}},
        ),
    ],
)
def test_v2_create_rejects_bad_input(end_user_client, end_user, body, errors):
    response = end_user_client.post(V2, body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not Filter.objects.filter(user=end_user).exists()


def test_duplicate_name_is_a_400_not_a_500(end_user_client, end_user, other_end_user):
    FilterFactory(user=end_user, name="taken")
    FilterFactory(user=other_end_user, name="theirs")
    for url in (V1, V2):
        response = end_user_client.post(url, {"name": "taken"}, format="json")
        assert response.status_code == 400
        assert response.json() == {
            "name": [
                f'The name "taken" is already in use for another filter owned by user {end_user.username}.'
            ]
        }
        assert end_user_client.post(url, {"name": "theirs" + url[5:7]}, format="json").status_code == 201
    assert end_user_client.post(V2, {"name": "theirs"}, format="json").status_code == 201


def test_rename_onto_own_other_filter_is_refused(end_user_client, end_user):
    FilterFactory(user=end_user, name="a")
    mine = FilterFactory(user=end_user, name="b")
    for url in (V1, V2):
        response = end_user_client.patch(f"{url}{mine.pk}/", {"name": "a"}, format="json")
        assert response.status_code == 400
        assert "already in use" in response.json()["name"][0]
        assert end_user_client.patch(f"{url}{mine.pk}/", {"name": "b"}, format="json").status_code == 200


def test_v2_update_replaces_the_whole_blob(end_user_client, end_user):
    f = FilterFactory(user=end_user, name="f", filter={"sourceSystemIds": [1], "event_types": ["STA"]})
    response = end_user_client.patch(f"{V2}{f.pk}/", {"filter": {"maxlevel": 4}}, format="json")
    assert response.status_code == 200
    assert response.json() == {"pk": f.pk, "name": "f", "filter": {**EMPTY_V2, "maxlevel": 4}}
    f.refresh_from_db()
    assert f.filter == {"maxlevel": 4}


def test_v2_put_needs_name_and_patch_name_keeps_blob(end_user_client, end_user):
    f = FilterFactory(user=end_user, name="f", filter={"tags": ["a=b"]})
    response = end_user_client.put(f"{V2}{f.pk}/", {"filter": {}}, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": ["This field is required."]}
    response = end_user_client.patch(f"{V2}{f.pk}/", {"name": "g"}, format="json")
    assert response.json()["filter"]["tags"] == ["a=b"]


def test_list_own_filters_in_pk_order(end_user_client, end_user, other_end_user):
    first = FilterFactory(user=end_user, name="z")
    second = FilterFactory(user=end_user, name="a")
    FilterFactory(user=other_end_user)
    for url in (V1, V2):
        assert [f["pk"] for f in end_user_client.get(url).json()] == [first.pk, second.pk]


@pytest.mark.parametrize("url", [V1, V2])
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_other_users_filter_is_not_found(end_user_client, other_end_user, url, method):
    theirs = FilterFactory(user=other_end_user, name="theirs")
    response = getattr(end_user_client, method)(f"{url}{theirs.pk}/", {"name": "x"}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Filter matches the given query."}
    assert Filter.objects.filter(pk=theirs.pk, name="theirs").exists()


@pytest.mark.parametrize("url", [V1, V2])
def test_delete_unused_filter(end_user_client, end_user, url):
    f = FilterFactory(user=end_user)
    assert end_user_client.delete(f"{url}{f.pk}/").status_code == 204
    assert not Filter.objects.filter(pk=f.pk).exists()
    assert end_user_client.delete(f"{url}999999/").status_code == 404


@pytest.mark.parametrize("url", [V1, V2])
def test_delete_filter_in_use_answers_a_bare_string(end_user_client, end_user, url):
    f = FilterFactory(user=end_user, name="f1", filter={"tags": ["x=y"]})
    timeslot = TimeslotFactory(user=end_user, name="Weekdays")
    NotificationProfileFactory(user=end_user, timeslot=timeslot, filters=[f], name="named")
    NotificationProfileFactory(user=end_user, timeslot=timeslot, filters=[f])
    response = end_user_client.delete(f"{url}{f.pk}/")
    assert response.status_code == 400
    assert response.json() == (
        "Cannot delete this filter since it is in use in the notification profile(s): "
        "named, Weekdays: f1 [{'tags': ['x=y']}]."
    )
    assert Filter.objects.filter(pk=f.pk).exists()


# --- v1 ---------------------------------------------------------------------------------------------


def fs(source_ids, tags):
    return json.dumps({"sourceSystemIds": source_ids, "tags": tags})


def test_v1_create_from_filter_string(end_user_client):
    body = {"name": "nro v1a", "filter_string": fs([11], ["location=argus"])}
    response = end_user_client.post(V1, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json() == {
        "pk": response.json()["pk"],
        "name": "nro v1a",
        "filter_string": '{"sourceSystemIds": [11], "tags": ["location=argus"]}',
        "filter": {"sourceSystemIds": [11], "tags": ["location=argus"], **EMPTY_V2},
    }


def test_v1_both_fields_combine(end_user_client):
    body = {"name": "nro v1g", "filter_string": fs([11], []), "filter": {"open": True, "tags": ["a=b"]}}
    response = end_user_client.post(V1, body, format="json")
    assert response.status_code == 201
    assert response.json()["filter_string"] == '{"sourceSystemIds": [11], "tags": ["a=b"]}'
    assert response.json()["filter"] == {"sourceSystemIds": [11], "tags": ["a=b"], **EMPTY_V2, "open": True}


def test_v1_drops_event_types(end_user_client):
    response = end_user_client.post(
        V1, {"name": "nro v1h", "filter": {"open": True, "event_types": ["STA"]}}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["filter_string"] == '{"sourceSystemIds": [], "tags": []}'
    assert response.json()["filter"] == {**EMPTY_V2, "open": True}
    assert Filter.objects.get(pk=response.json()["pk"]).filter == {"open": True}


def test_v1_never_shows_event_types_and_wipes_them_on_write(end_user_client, end_user):
    f = FilterFactory(
        user=end_user, filter={"sourceSystemIds": [11], "tags": ["a=b"], "event_types": ["STA"]}
    )
    assert "event_types" not in end_user_client.get(f"{V1}{f.pk}/").json()["filter"]
    response = end_user_client.patch(f"{V1}{f.pk}/", {"filter": {"maxlevel": 4}}, format="json")
    assert response.status_code == 200
    assert response.json()["filter_string"] == '{"sourceSystemIds": [], "tags": []}'
    assert response.json()["filter"] == {**EMPTY_V2, "maxlevel": 4}
    f.refresh_from_db()
    assert f.filter == {"maxlevel": 4}


def test_v1_filter_string_only_replaces_everything(end_user_client, end_user):
    f = FilterFactory(user=end_user, filter={"open": True, "event_types": ["STA"]})
    response = end_user_client.patch(f"{V1}{f.pk}/", {"filter_string": fs([2], [])}, format="json")
    assert response.status_code == 200
    f.refresh_from_db()
    assert f.filter == {"sourceSystemIds": [2], "tags": []}


def test_v1_update_without_blob_fields_keeps_blob(end_user_client, end_user):
    f = FilterFactory(user=end_user, filter={"open": True, "event_types": ["STA"]})
    assert end_user_client.patch(f"{V1}{f.pk}/", {"name": "renamed"}, format="json").status_code == 200
    f.refresh_from_db()
    assert (f.name, f.filter) == ("renamed", {"open": True, "event_types": ["STA"]})


@pytest.mark.parametrize(
    "filter_string, errors",
    [
        ({"a": 1}, ["Not a valid string."]),
        ("", ["Expecting value: line 1 column 1 (char 0)"]),
        ("nope", ["Expecting value: line 1 column 1 (char 0)"]),
        (
            '{"foo": 1}',
            [
                "[ErrorDetail(string='No known fieldnames in filterstring.', code='none_found')]",
                "[ErrorDetail(string='Filterstring is missing fieldname(s): sourceSystemIds, tags', code='missing')]",
                "[ErrorDetail(string='Unknown fieldname(s) in filterstring: foo', code='unknown')]",
            ],
        ),
        (
            '{"sourceSystemIds": []}',
            ["[ErrorDetail(string='Filterstring is missing fieldname(s): tags', code='missing')]"],
        ),
    ],
)
def test_v1_filter_string_errors(end_user_client, end_user, filter_string, errors):
    response = end_user_client.post(V1, {"name": "x", "filter_string": filter_string}, format="json")
    assert response.status_code == 400
    assert response.json() == {"filter_string": errors}
    assert not Filter.objects.filter(user=end_user).exists()


@pytest.mark.parametrize("filter_string", ["[1, 2]", '{"sourceSystemIds": "x", "tags": 5}', "5"])
def test_v1_filter_string_that_crashed_the_reference_is_a_400(end_user_client, end_user, filter_string):
    response = end_user_client.post(V1, {"name": "x", "filter_string": filter_string}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["filter_string"]
    assert not Filter.objects.filter(user=end_user).exists()


def test_filters_written_by_one_version_read_by_the_other(end_user_client):
    pk = end_user_client.post(
        V2, {"name": "x", "filter": {"tags": ["a=b"], "event_types": ["ACK"]}}, format="json"
    ).json()["pk"]
    v1 = end_user_client.get(f"{V1}{pk}/").json()
    assert v1["filter_string"] == '{"sourceSystemIds": [], "tags": ["a=b"]}'
    assert v1["filter"] == {"tags": ["a=b"], **EMPTY_V2}
    assert end_user_client.get(f"{V2}{pk}/").json()["filter"]["event_types"] == ["ACK"]


@pytest.mark.parametrize(
    ("serializer", "url", "body", "message"),
    [
        (FilterSerializer, V2, {"name": "taken"}, 'The name "taken" is already in use for another filter'),
        (
            TimeslotSerializer,
            "/api/v2/notificationprofiles/timeslots/",
            {"name": "taken", "time_recurrences": []},
            'The name "taken" is already in use for a another timeslot',
        ),
    ],
)
def test_name_taken_by_a_concurrent_request_is_the_same_400(
    end_user_client, end_user, monkeypatch, serializer, url, body, message
):
    """The DB constraint backs the early name check; losing the race gives the same 400, not a 500."""
    FilterFactory(user=end_user, name="taken")
    TimeslotFactory(user=end_user, name="taken")
    # The request that lost the race passed the early check before the winner committed.
    monkeypatch.setattr(serializer, "validate_name", lambda self, name: name)
    response = end_user_client.post(url, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": [f"{message} owned by user {end_user.username}."]}
    assert Filter.objects.filter(user=end_user).count() == 1


# --- tags: the tag rules of the incident API, where a filter blob shares them ------------------------

LONG_VALUE = "The value of the tag cannot be longer than 600 characters."
LONG_KEY = "The key of the tag cannot be longer than 100 characters."


@pytest.mark.parametrize(
    "tag, message",
    [("host=" + "é" * 601, LONG_VALUE), ("k" * 101 + "=v", LONG_KEY)],
)
def test_tags_over_the_tag_length_limits_are_refused(end_user_client, end_user, tag, message):
    response = end_user_client.post(V2, {"name": "x", "filter": {"tags": ["a=b", tag]}}, format="json")
    assert response.status_code == 400
    assert response.json() == {"filter": {"tags": {"1": [message]}}}
    response = end_user_client.post(
        V1, {"name": "x", "filter_string": json.dumps({"sourceSystemIds": [], "tags": [tag]})}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"filter_string": [f"tags.0: {message}"]}
    assert not Filter.objects.filter(user=end_user).exists()


def test_tags_at_the_length_limits_and_tags_without_delimiter_are_stored(end_user_client):
    tags = ["k" * 100 + "=" + "é" * 600, "nokeyvalue", "Host=x"]
    response = end_user_client.post(V2, {"name": "x", "filter": {"tags": tags}}, format="json")
    assert response.status_code == 201
    assert Filter.objects.get(pk=response.json()["pk"]).filter == {"tags": tags}


def test_v1_filter_string_nested_too_deeply_is_a_400(end_user_client, end_user):
    deep = "[" * 100_000 + "]" * 100_000
    response = end_user_client.post(V1, {"name": "x", "filter_string": deep}, format="json")
    assert response.status_code == 400
    assert response.json() == {"filter_string": ["Nested deeper than 100 levels."]}
    assert not Filter.objects.filter(user=end_user).exists()


# --- source_types (v2 only) -------------------------------------------------------------------------


@pytest.fixture
def source_types(db):
    return [SourceSystemTypeFactory(name="nav").name, SourceSystemTypeFactory(name="zabbix").name]


def test_v2_source_types_are_stored_and_shown_after_source_ids(end_user_client, source_types):
    blob = {"tags": ["a=b"], "source_types": ["zabbix", "nav", "zabbix"], "sourceSystemIds": [2]}
    response = end_user_client.post(V2, {"name": "types", "filter": blob}, format="json")
    assert response.status_code == 201, response.content
    shown = response.json()["filter"]
    assert list(shown) == ["sourceSystemIds", "source_types", "tags", "open", "acked", "stateful", "maxlevel"]
    assert shown["source_types"] == ["zabbix", "nav"]  # duplicates dropped, first occurrence kept
    assert Filter.objects.get(pk=response.json()["pk"]).filter["source_types"] == ["zabbix", "nav"]


def test_v2_filters_without_source_types_render_as_in_1_37(end_user_client, end_user):
    f = FilterFactory(user=end_user, filter={"sourceSystemIds": [2]})
    assert end_user_client.get(f"{V2}{f.pk}/").json()["filter"] == {"sourceSystemIds": [2], **EMPTY_V2}


@pytest.mark.parametrize(
    "names, errors",
    [
        (["zabix"], {"0": ['Unknown source system type "zabix".']}),
        (
            ["nav", "zabix", "x"],
            {"1": ['Unknown source system type "zabix".'], "2": ['Unknown source system type "x".']},
        ),
        ([""], {"0": ["This field may not be blank."]}),
        ([None], {"0": ["This field may not be null."]}),
        ("nav", ['Expected a list of items but got type "str".']),
    ],
)
def test_v2_source_types_must_name_existing_types(end_user_client, source_types, names, errors):
    response = end_user_client.post(V2, {"name": "t", "filter": {"source_types": names}}, format="json")
    assert response.status_code == 400
    assert response.json() == {"filter": {"source_types": errors}}
    assert not Filter.objects.exists()


def test_v1_neither_shows_nor_accepts_source_types(end_user_client, end_user, source_types):
    f = FilterFactory(user=end_user, filter={"source_types": ["nav"], "open": True})
    assert end_user_client.get(f"{V1}{f.pk}/").json()["filter"] == {**EMPTY_V2, "open": True}
    response = end_user_client.post(V1, {"name": "v1", "filter": {"source_types": ["nav"]}}, format="json")
    assert response.status_code == 201
    assert Filter.objects.get(pk=response.json()["pk"]).filter == {}


@pytest.mark.parametrize(
    "body",
    [
        {"filter": {"maxlevel": 4}},
        {"filter_string": json.dumps({"sourceSystemIds": [2], "tags": []})},
        {"filter": {"open": False}, "filter_string": json.dumps({"sourceSystemIds": [2], "tags": []})},
    ],
)
def test_v1_write_keeps_stored_source_types(end_user_client, end_user, source_types, body):
    """A v1 client cannot see source_types, so it cannot mean to remove them (that would widen the filter)."""
    f = FilterFactory(user=end_user, filter={"source_types": ["nav"], "open": True})
    for method in ("patch", "put"):
        response = getattr(end_user_client, method)(f"{V1}{f.pk}/", {"name": f.name, **body}, format="json")
        assert response.status_code == 200, response.content
        assert "source_types" not in response.json()["filter"]
        f.refresh_from_db()
        assert f.filter["source_types"] == ["nav"]


def test_v2_write_replaces_source_types(end_user_client, end_user, source_types):
    f = FilterFactory(user=end_user, filter={"source_types": ["nav"]})
    response = end_user_client.patch(f"{V2}{f.pk}/", {"filter": {"open": True}}, format="json")
    assert response.status_code == 200
    f.refresh_from_db()
    assert f.filter == {"open": True}


def test_a_type_used_by_filters_without_sources_can_be_deleted_and_then_matches_nothing(
    end_user, source_types
):
    f = FilterFactory(user=end_user, filter={"source_types": ["zabbix"]})
    SourceSystemType.objects.filter(name="zabbix").delete()
    assert list(incidents_for_filter(Incident.objects.all(), f)) == []
