"""filterpreview/, preview/ and <profile>/incidents/ (notifications.md §11.1, §11.2)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import IncidentFactory, IncidentTagRelationFactory, SourceSystemFactory, TagFactory
from tests.notificationprofile.factories import FilterFactory, NotificationProfileFactory

pytestmark = pytest.mark.django_db

P1 = "/api/v1/notificationprofiles/"
P2 = "/api/v2/notificationprofiles/"
V2_INCIDENT_KEYS = [
    "pk",
    "start_time",
    "end_time",
    "source",
    "source_incident_id",
    "details_url",
    "description",
    "level",
    "ticket_url",
    "metadata",
    "tags",
    "stateful",
    "open",
    "acked",
]


@pytest.fixture
def incidents(db):
    """old: closed, level 2, host=a; new: open, level 4, host=b; stateless: level 5, from another source."""
    now = timezone.now()
    source = SourceSystemFactory()
    old = IncidentFactory(source=source, start_time=now - datetime.timedelta(hours=2), end_time=now, level=2)
    new = IncidentFactory(source=source, start_time=now - datetime.timedelta(hours=1), level=4)
    stateless = IncidentFactory(start_time=now - datetime.timedelta(minutes=30), end_time=None, level=5)
    IncidentTagRelationFactory(incident=old, tag=TagFactory(key="host", value="a"))
    IncidentTagRelationFactory(incident=new, tag=TagFactory(key="host", value="b"))
    return {"old": old, "new": new, "stateless": stateless, "source": source}


def pks(response):
    assert response.status_code == 200, response.content
    return [incident["pk"] for incident in response.json()]


@pytest.mark.parametrize(
    "url", [f"{P1}filterpreview/", f"{P2}filterpreview/", f"{P2}preview/", f"{P1}preview/"]
)
def test_preview_selects_incidents_newest_first(end_user_client, incidents, url):
    response = end_user_client.post(url, {"sourceSystemIds": [incidents["source"].pk]}, format="json")
    assert pks(response) == [incidents["new"].pk, incidents["old"].pk]
    assert list(response.json()[0]) == V2_INCIDENT_KEYS
    assert end_user_client.post(url, {}, format="json").json() == []
    assert pks(end_user_client.post(url, {"tags": ["host=a", "host=b"]}, format="json")) == [
        incidents["new"].pk,
        incidents["old"].pk,
    ]
    assert pks(end_user_client.post(url, {"open": False}, format="json")) == [incidents["old"].pk]
    assert pks(end_user_client.post(url, {"stateful": False}, format="json")) == [incidents["stateless"].pk]
    assert pks(end_user_client.post(url, {"maxlevel": 3}, format="json")) == [incidents["old"].pk]


def test_event_types_only_blob_selects_all_except_on_v1_preview(end_user_client, incidents):
    body = {"event_types": ["STA"]}
    everything = [incidents["stateless"].pk, incidents["new"].pk, incidents["old"].pk]
    assert pks(end_user_client.post(f"{P1}filterpreview/", body, format="json")) == everything
    assert pks(end_user_client.post(f"{P2}filterpreview/", body, format="json")) == everything
    assert pks(end_user_client.post(f"{P2}preview/", body, format="json")) == everything
    assert pks(end_user_client.post(f"{P1}preview/", body, format="json")) == []


@pytest.mark.parametrize(
    "url", [f"{P1}filterpreview/", f"{P2}filterpreview/", f"{P2}preview/", f"{P1}preview/"]
)
def test_preview_validation_errors_are_top_level(end_user_client, url):
    response = end_user_client.post(url, {"sourceSystemIds": ["x"], "maxlevel": 9}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "sourceSystemIds": {"0": ["A valid integer is required."]},
        "maxlevel": ["Ensure this value is less than or equal to 5."],
    }
    response = end_user_client.post(url, [1], format="json")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url", [f"{P1}filterpreview/", f"{P2}filterpreview/", f"{P2}preview/", f"{P1}preview/"]
)
def test_source_ids_beyond_the_database_are_a_400(end_user_client, url):
    response = end_user_client.post(url, {"sourceSystemIds": [2**63]}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "sourceSystemIds": {"0": ["Ensure this value is less than or equal to 9223372036854775807."]}
    }


@pytest.mark.parametrize("prefix", [P1, P2])
def test_a_stored_blob_with_source_ids_beyond_the_database_selects_by_the_others(
    end_user_client, end_user, incidents, prefix
):
    """Written before they were checked (or in the admin): those ids name no source."""
    huge = FilterFactory(user=end_user, filter={"sourceSystemIds": [10**23, -1, "x"]})
    mixed = FilterFactory(user=end_user, filter={"sourceSystemIds": [10**23, incidents["source"].pk]})
    profile = NotificationProfileFactory(user=end_user, active=False, filters=[huge])
    assert pks(end_user_client.get(f"{prefix}{profile.pk}/incidents/")) == []
    profile.filters.set([huge, mixed])
    assert pks(end_user_client.get(f"{prefix}{profile.pk}/incidents/")) == [
        incidents["new"].pk,
        incidents["old"].pk,
    ]
    response = end_user_client.get("/api/v2/incidents/", {"filter_pk": huge.pk})
    assert response.status_code == 200 and response.json()["results"] == []


PREVIEW_URLS = [f"{P1}filterpreview/", f"{P2}filterpreview/", f"{P2}preview/", f"{P1}preview/"]
BAD_KEY = "Enter a valid key consisting of lowercase letters, numbers and underscores."


@pytest.mark.parametrize("url", PREVIEW_URLS)
@pytest.mark.parametrize(
    "tag, message",
    [
        ("nokeyvalue", "The tag does not have its delimiter: =."),
        ("=xy", "The key of the tag cannot be empty."),
        ("Host=x", BAD_KEY),
        ("host=" + "x" * 601, "The value of the tag cannot be longer than 600 characters."),
    ],
)
def test_preview_refuses_tags_that_are_not_key_value(end_user_client, incidents, url, tag, message):
    response = end_user_client.post(url, {"tags": ["host=a", tag]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"tags": {"1": [message]}}


@pytest.mark.parametrize("prefix", [P1, P2])
def test_a_stored_filter_with_tags_without_delimiter_selects_nothing(
    end_user_client, end_user, incidents, prefix
):
    """The filters API stores such tags (as 1.37); reading with them selects nothing, no error."""
    response = end_user_client.post(
        f"{prefix}filters/", {"name": "odd", "filter": {"tags": ["nokeyvalue"]}}, format="json"
    )
    assert response.status_code == 201
    filter_pk = response.json()["pk"]
    profile = NotificationProfileFactory(user=end_user, active=False, filters=[filter_pk])
    assert pks(end_user_client.get(f"{prefix}{profile.pk}/incidents/")) == []
    response = end_user_client.get(f"/api/{prefix.split('/')[2]}/incidents/", {"filter_pk": filter_pk})
    assert response.status_code == 200 and response.json()["results"] == []


def test_preview_needs_post_and_authentication(end_user_client, api_client):
    assert end_user_client.get(f"{P2}filterpreview/").status_code == 405
    assert api_client.post(f"{P2}filterpreview/", {}, format="json").status_code == 401


def test_preview_uses_a_constant_number_of_queries(end_user_client, incidents):
    def count():
        with CaptureQueriesContext(connection) as context:
            end_user_client.post(f"{P2}filterpreview/", {"maxlevel": 5}, format="json")
        return len(context.captured_queries)

    before = count()
    for _ in range(5):
        IncidentTagRelationFactory(incident=IncidentFactory(level=1))
    assert count() == before


@pytest.mark.parametrize("prefix", [P1, P2])
def test_profile_incidents_is_the_union_of_its_filters(end_user_client, end_user, incidents, prefix):
    f1 = FilterFactory(user=end_user, filter={"tags": ["host=a"]})
    f2 = FilterFactory(user=end_user, filter={"stateful": False})
    empty = FilterFactory(user=end_user, filter={})
    profile = NotificationProfileFactory(user=end_user, active=False, filters=[f1, f2, empty])
    response = end_user_client.get(f"{prefix}{profile.pk}/incidents/")
    assert pks(response) == [incidents["stateless"].pk, incidents["old"].pk]
    assert list(response.json()[0]) == V2_INCIDENT_KEYS


@pytest.mark.parametrize("prefix", [P1, P2])
def test_profile_incidents_of_unknown_or_foreign_profile_is_a_400(
    end_user_client, end_user, other_end_user, prefix
):
    theirs = NotificationProfileFactory(user=other_end_user, filters=[FilterFactory(user=other_end_user)])
    mine = NotificationProfileFactory(user=end_user, filters=[FilterFactory(user=end_user)])
    in_other_digits = str(mine.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    for pk in (theirs.pk, 99999, "abc", "²", in_other_digits, "0", "-1", 2**63, 10**30):
        response = end_user_client.get(f"{prefix}{pk}/incidents/")
        assert response.status_code == 400
        assert response.json() == [f"Notification profile with pk={pk} does not exist."]


# --- source_types ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [f"{P1}filterpreview/", f"{P2}filterpreview/", f"{P2}preview/"])
def test_preview_selects_by_source_type(end_user_client, incidents, url):
    SourceSystemFactory(type__name="zabbix")
    assert end_user_client.post(url, {"source_types": ["zabbix"]}, format="json").json() == []
    theirs = IncidentFactory(source=SourceSystemFactory(type__name="zabbix"))
    assert pks(end_user_client.post(url, {"source_types": ["zabbix"]}, format="json")) == [theirs.pk]
    response = end_user_client.post(url, {"source_types": ["nav"], "open": False}, format="json")
    assert pks(response) == [incidents["old"].pk]


@pytest.mark.parametrize("url", [f"{P1}filterpreview/", f"{P2}filterpreview/", f"{P2}preview/"])
def test_preview_unknown_source_type_is_a_top_level_error(end_user_client, url):
    response = end_user_client.post(url, {"source_types": ["zabix"]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"source_types": {"0": ['Unknown source system type "zabix".']}}


def test_v1_preview_reads_by_v1_rules_and_ignores_source_types(end_user_client, incidents):
    assert end_user_client.post(f"{P1}preview/", {"source_types": ["zabix"]}, format="json").json() == []


@pytest.mark.parametrize("parameter", ["filter_pk", "notificationprofile_pk"])
def test_incident_list_by_filter_and_profile_uses_source_types(
    end_user_client, end_user, incidents, parameter
):
    other = SourceSystemFactory(type__name="zabbix")
    theirs = IncidentFactory(source=other)
    filter_ = FilterFactory(user=end_user, filter={"source_types": ["zabbix"]})
    profile = NotificationProfileFactory(user=end_user, filters=[filter_])
    value = filter_.pk if parameter == "filter_pk" else profile.pk
    response = end_user_client.get("/api/v2/incidents/", {parameter: value})
    assert [i["pk"] for i in response.json()["results"]] == [theirs.pk]
