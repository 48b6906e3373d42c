"""POST incidents/ and mine/ (incidents.md §4.2, §4.7, §8)."""

import pytest

from argus.incident.models import Event, Incident, IncidentTagRelation, Tag

pytestmark = pytest.mark.django_db

V1_KEYS = [
    "pk", "start_time", "end_time", "source", "source_incident_id", "details_url", "description",
    "level", "ticket_url", "tags", "stateful", "open", "acked",
]  # fmt: skip
V2_KEYS = V1_KEYS[:9] + ["metadata"] + V1_KEYS[9:]


def body(**extra):
    data = {"start_time": "2024-05-01 10:00:00", "tags": []}
    data.update(extra)
    return data


def test_source_system_creates_open_incident_with_tags_and_sta_event(
    source_client, source_system, incidents_url, version
):
    response = source_client.post(
        incidents_url,
        body(
            source_incident_id="A1",
            description="v1 incident A1",
            details_url="https://nav.example.org/a1",
            tags=[{"tag": "host=a1.example.org"}, {"tag": " location = oslo "}],
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert list(data) == (V1_KEYS if version == "v1" else V2_KEYS)
    assert data["start_time"] == "2024-05-01T10:00:00+02:00"
    assert data["end_time"] == "infinity"
    assert data["source"] == {
        "pk": source_system.pk, "name": source_system.name, "type": {"name": "nav"},
        "user": source_system.user_id, "base_url": "",
    }  # fmt: skip
    assert data["level"] == 5 and data["ticket_url"] == "" and data["source_incident_id"] == "A1"
    assert {tag["tag"] for tag in data["tags"]} == {"host=a1.example.org", "location=oslo"}
    assert all(list(tag) == ["added_by", "added_time", "tag"] for tag in data["tags"])
    assert all(tag["added_by"] == source_system.user_id for tag in data["tags"])
    assert (data["stateful"], data["open"], data["acked"]) == (True, True, False)
    if version == "v2":
        assert data["metadata"] == {}
    (event,) = Event.objects.filter(incident_id=data["pk"])
    assert (event.type, event.actor_id, event.description) == ("STA", source_system.user_id, "v1 incident A1")
    assert event.timestamp == Incident.objects.get(pk=data["pk"]).start_time


def test_null_end_time_creates_stateless_incident_with_les_event(source_client, incidents_url):
    response = source_client.post(incidents_url, body(end_time=None), format="json")
    assert response.status_code == 201
    data = response.json()
    assert (data["end_time"], data["stateful"], data["open"]) == (None, False, False)
    assert Event.objects.get(incident_id=data["pk"]).type == "LES"


def test_past_end_time_creates_closed_incident_without_end_event(source_client, incidents_url):
    response = source_client.post(incidents_url, body(end_time="2024-05-01T11:00:00+02:00"), format="json")
    assert response.status_code == 201
    data = response.json()
    assert (data["end_time"], data["open"]) == ("2024-05-01T11:00:00+02:00", False)
    assert list(Event.objects.filter(incident_id=data["pk"]).values_list("type", flat=True)) == ["STA"]


def test_infinity_end_time_is_open(source_client, incidents_url):
    response = source_client.post(incidents_url, body(end_time="infinity"), format="json")
    assert response.json()["end_time"] == "infinity"


def test_a_late_start_is_a_timestamp_not_infinity(source_client, incidents_url):
    response = source_client.post(incidents_url, body(start_time="9999-12-31T00:00:00+00:00"), format="json")
    assert response.status_code == 201
    data = response.json()
    assert (data["start_time"], data["end_time"]) == ("9999-12-31T01:00:00+01:00", "infinity")
    detail = source_client.get(f"{incidents_url}{data['pk']}/").json()
    assert detail["start_time"] == "9999-12-31T01:00:00+01:00"
    events = source_client.get(f"{incidents_url}{data['pk']}/events/").json()
    assert [event["timestamp"] for event in events] == ["9999-12-31T01:00:00+01:00"]


def test_v2_stores_metadata_and_v1_ignores_it(source_client, incidents_url, version):
    response = source_client.post(incidents_url, body(metadata={"k": [1, 2]}), format="json")
    assert response.status_code == 201
    expected = {"k": [1, 2]} if version == "v2" else {}
    assert Incident.objects.get(pk=response.json()["pk"]).metadata == expected


def test_ignored_keys(source_client, incidents_url):
    response = source_client.post(
        incidents_url, body(pk=99999, stateful=False, open=False, acked=True, bogus=1), format="json"
    )
    assert response.status_code == 201
    data = response.json()
    assert data["pk"] != 99999 and (data["stateful"], data["open"], data["acked"]) == (True, True, False)


def test_superuser_posts_for_a_source(superuser_client, superuser, source_system, incidents_url):
    response = superuser_client.post(
        incidents_url, body(source=source_system.pk, tags=[{"tag": "a=b"}]), format="json"
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["source"]["pk"] == source_system.pk
    assert data["tags"][0]["added_by"] == superuser.pk
    assert Event.objects.get(incident_id=data["pk"]).actor_id == source_system.user_id


def test_superuser_source_as_string_pk(superuser_client, source_system, incidents_url):
    response = superuser_client.post(incidents_url, body(source=str(source_system.pk)), format="json")
    assert response.status_code == 201


def test_superuser_with_own_source_may_omit_source(client_for, source_superuser, incidents_url):
    response = client_for(source_superuser.user).post(incidents_url, body(), format="json")
    assert response.status_code == 201
    assert response.json()["source"]["pk"] == source_superuser.pk


@pytest.mark.parametrize(
    "client_name, extra, message",
    [
        ("end_user_client", {}, "The requesting user must have a connected source system."),
        ("superuser_client", {}, "The requesting user must have a connected source system."),
        ("superuser_client", {"source": 99999}, "SourceSystem with pk=99999 does not exist."),
        ("superuser_client", {"source": "abc"}, "SourceSystem with pk=abc does not exist."),
        ("superuser_client", {"source": 2**70}, f"SourceSystem with pk={2**70} does not exist."),
        ("superuser_client", {"source": "\u00b2"}, "SourceSystem with pk=\u00b2 does not exist."),
        ("superuser_client", {"source": 1.5}, "SourceSystem with pk=1.5 does not exist."),
        (
            "source_client",
            {"source": 1},
            "You must be a superuser to be allowed to specify the 'source' field.",
        ),
        (
            "end_user_client",
            {"source": 1},
            "You must be a superuser to be allowed to specify the 'source' field.",
        ),
    ],
)
def test_source_rules(request, client_name, extra, message, incidents_url):
    client = request.getfixturevalue(client_name)
    response = client.post(incidents_url, body(**extra), format="json")
    assert response.status_code == 400
    assert response.json() == [message]
    assert not Incident.objects.exists()


def test_body_is_validated_before_source_rules(end_user_client, incidents_url):
    response = end_user_client.post(incidents_url, {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"start_time": ["This field is required."], "tags": ["This field is required."]}


WRONG_FORMAT = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z], or 'infinity'."
)
TAG_FORMAT = 'Tags need to follow the format {"tag": key=value}'
BAD_KEY = "['Enter a valid key consisting of lowercase letters, numbers and underscores.']"
LONG_VALUE = "The value of the tag cannot be longer than 600 characters."
LONG_KEY = "The key of the tag cannot be longer than 100 characters."


@pytest.mark.parametrize(
    "extra, errors",
    [
        ({"tags": None, "start_time": None}, None),
        ({"start_time": "infinity"}, {"start_time": [WRONG_FORMAT]}),
        ({"start_time": "1714550400"}, {"start_time": [WRONG_FORMAT]}),
        ({"end_time": "garbage"}, {"end_time": [WRONG_FORMAT]}),
        # values that overflow when converted to UTC cannot be stored: refused, not a 500
        ({"start_time": "0001-01-01T00:00:00"}, {"start_time": [WRONG_FORMAT]}),
        ({"start_time": "9999-12-31T23:59:59-05:00"}, {"start_time": [WRONG_FORMAT]}),
        ({"end_time": "9999-12-31T23:59:59-05:00"}, {"end_time": [WRONG_FORMAT]}),
        # PostgreSQL cannot store NUL characters: refused on every database
        ({"tags": [{"tag": "a=\u0000"}]}, {"tags": {"0": {"tag": "Null characters are not allowed."}}}),
        ({"metadata": {"a": ["\u0000"]}}, "metadata-v2-only"),
        ({"source_incident_id": "\u0000"}, {"source_incident_id": ["Null characters are not allowed."]}),
        (
            {"end_time": "2024-05-01T09:00:00"},
            {"non_field_errors": ["'end_time' cannot be before 'start_time'."]},
        ),
        ({"end_time": "-infinity"}, {"non_field_errors": ["'end_time' cannot be before 'start_time'."]}),
        (
            {"tags": "host=a"},
            {"tags": {"non_field_errors": ['Expected a list of items but got type "str".']}},
        ),
        ({"tags": ["host=a"]}, {"tags": {"0": [TAG_FORMAT]}}),
        ({"tags": [{"nottag": "a=b"}]}, {"tags": {"0": [TAG_FORMAT]}}),
        (
            {"tags": [{"tag": "nodelimiter"}]},
            {"tags": {"0": {"tag": "The tag does not have its delimiter: =."}}},
        ),
        ({"tags": [{"tag": "=value"}]}, {"tags": {"0": {"tag": "The key of the tag cannot be empty."}}}),
        ({"tags": [{"tag": "ok=1"}, {"tag": "Bad=1"}]}, {"tags": {"1": {"tag": BAD_KEY}}}),
        # a tag longer than the unique (key, value) index can hold is refused, naming the limit
        ({"tags": [{"tag": "k=" + "v" * 1_000_000}]}, {"tags": {"0": {"tag": LONG_VALUE}}}),
        ({"tags": [{"tag": "ok=1"}, {"tag": "k" * 101 + "=v"}]}, {"tags": {"1": {"tag": LONG_KEY}}}),
        ({"level": 0}, {"level": ['"0" is not a valid choice.']}),
        ({"level": 6}, {"level": ['"6" is not a valid choice.']}),
        ({"level": "abc"}, {"level": ['"abc" is not a valid choice.']}),
        ({"level": None}, {"level": ["This field may not be null."]}),
        ({"ticket_url": ""}, {"ticket_url": ["Enter a valid URL."]}),
        ({"ticket_url": "not a url"}, {"ticket_url": ["Enter a valid URL."]}),
    ],
)
def test_invalid_bodies(source_client, incidents_url, extra, errors, version):
    response = source_client.post(incidents_url, body(**extra), format="json")
    if errors == "metadata-v2-only":
        if version == "v1":  # v1 ignores metadata
            assert response.status_code == 201
            return
        errors = {"metadata": ["Null characters are not allowed."]}
    assert response.status_code == 400
    if errors is None:
        errors = {"start_time": ["This field may not be null."], "tags": ["This field may not be null."]}
    assert response.json() == errors
    assert not Incident.objects.exists()


def test_json_array_body(source_client, incidents_url):
    response = source_client.post(incidents_url, [1], format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}


def test_empty_tag_value_and_level_and_ticket_are_accepted(source_client, incidents_url):
    response = source_client.post(
        incidents_url,
        body(tags=[{"tag": "empty="}, {"tag": "a=b=c"}], level="2", ticket_url="https://t.example.org/1"),
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert {tag["tag"] for tag in data["tags"]} == {"empty=", "a=b=c"}
    assert data["level"] == 2 and data["ticket_url"] == "https://t.example.org/1"


def test_duplicate_tags_are_added_once(source_client, incidents_url):
    response = source_client.post(incidents_url, body(tags=[{"tag": "a=b"}, {"tag": "a = b"}]), format="json")
    assert response.status_code == 201
    assert [tag["tag"] for tag in response.json()["tags"]] == ["a=b"]


def test_ten_thousand_tags_are_stored(source_client):
    incidents_url = "/api/v2/incidents/"
    tags = [{"tag": f"k{i % 7}=value {i}"} for i in range(10_000)]
    response = source_client.post(incidents_url, body(tags=tags), format="json")
    assert response.status_code == 201, response.content[:500]
    assert {tag["tag"] for tag in response.json()["tags"]} == {tag["tag"] for tag in tags}
    assert IncidentTagRelation.objects.filter(incident_id=response.json()["pk"]).count() == 10_000
    # and once more, now that the tags exist
    response = source_client.post(incidents_url, body(tags=tags), format="json")
    assert response.status_code == 201
    assert Tag.objects.count() == 10_000 and IncidentTagRelation.objects.count() == 20_000


def test_tags_at_the_length_limits_are_stored_whatever_their_characters(source_client, incidents_url):
    """4-byte UTF-8 characters: the longest tag still fits PostgreSQL's unique btree index."""
    tag = "k" * 100 + "=" + "\U0001f525" * 600
    response = source_client.post(incidents_url, body(tags=[{"tag": tag}]), format="json")
    assert response.status_code == 201
    assert [t["tag"] for t in response.json()["tags"]] == [tag]


def test_existing_tags_are_reused(source_client, incidents_url):
    Tag.objects.create(key="host", value="x")
    response = source_client.post(incidents_url, body(tags=[{"tag": "host=x"}]), format="json")
    assert response.status_code == 201
    assert Tag.objects.count() == 1 and IncidentTagRelation.objects.count() == 1


def test_v2_null_metadata_is_a_clean_400(source_client):
    response = source_client.post("/api/v2/incidents/", body(metadata=None), format="json")
    assert response.status_code == 400
    assert response.json() == ["metadata: This field may not be null."]
    assert not Incident.objects.exists()


def test_duplicate_source_incident_id_names_the_existing_incident(source_client, incidents_url):
    first = source_client.post(incidents_url, body(source_incident_id="A1"), format="json").json()
    response = source_client.post(incidents_url, body(source_incident_id="A1"), format="json")
    assert response.status_code == 400
    assert response.json() == [
        f"An incident with source_incident_id 'A1' already exists for this source (pk={first['pk']})."
    ]
    assert Incident.objects.count() == 1


def test_empty_source_incident_id_may_repeat(source_client, incidents_url):
    for _ in range(2):
        assert source_client.post(incidents_url, body(), format="json").status_code == 201


def test_same_source_incident_id_in_other_source(
    source_client, client_for, other_source_system, incidents_url
):
    assert source_client.post(incidents_url, body(source_incident_id="X"), format="json").status_code == 201
    other = client_for(other_source_system.user)
    assert other.post(incidents_url, body(source_incident_id="X"), format="json").status_code == 201


def test_form_encoded_body(source_client, incidents_url):
    response = source_client.post(incidents_url, {"start_time": "2024-05-01T10:00:00Z", "tags": "x"})
    assert response.status_code == 400
    assert response.json() == {"tags": {"non_field_errors": ['Expected a list of items but got type "str".']}}


def test_unsupported_media_type(source_client, incidents_url):
    response = source_client.post(incidents_url, "<x/>", content_type="application/xml")
    assert response.status_code == 415


def test_anonymous_gets_401(api_client, incidents_url):
    response = api_client.post(incidents_url, body(), format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_post_to_mine_creates_too(source_client, version):
    response = source_client.post(f"/api/{version}/incidents/mine/", body(), format="json")
    assert response.status_code == 201
    assert Incident.objects.filter(pk=response.json()["pk"]).exists()


def test_create_query_count_does_not_grow_with_tags(
    source_client, incidents_url, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    source_client.post(incidents_url, body(), format="json")  # records the source's last_seen
    for n in (1, 30):
        tags = [{"tag": f"k{i}=v{i}-{n}"} for i in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            response = source_client.post(incidents_url, body(tags=tags), format="json")
        assert response.status_code == 201
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    source_client.post(incidents_url, body(tags=[{"tag": "a=b"}]), format="json")
    # token+user+source, existing tags, SAVEPOINT, incident, tag relations, event, the current
    # maintenance tasks (none), the event's pending-notification row, RELEASE: the 201 body (and the
    # websocket frame) are rendered from what was written, not read back.
    with django_assert_max_num_queries(9):
        response = source_client.post(incidents_url, body(tags=[{"tag": "a=b"}]), format="json")
    assert response.status_code == 201 and response.json()["tags"][0]["tag"] == "a=b"


@pytest.mark.django_db(transaction=True)
def test_duplicate_source_incident_id_under_a_race_is_a_clean_400(source_system, source_client):
    """A second creator blocked on the unique index gets the clean message once the first commits."""
    import threading
    import time

    from django.db import connection, connections, transaction

    from argus.incident import services
    from argus.incident.api.fields import parse_api_datetime

    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers (PostgreSQL)")
    inserted = threading.Event()
    first = {}

    def first_creator():
        try:
            with transaction.atomic():
                first["incident"] = services.incident_create(
                    actor=source_system.user,
                    source=source_system,
                    start_time=parse_api_datetime("2024-05-01T10:00:00Z"),
                    source_incident_id="RACE",
                )
                inserted.set()
                time.sleep(0.5)  # the second request is now blocked on the unique index
        finally:
            connections.close_all()

    thread = threading.Thread(target=first_creator)
    thread.start()
    assert inserted.wait(10)
    response = source_client.post("/api/v2/incidents/", body(source_incident_id="RACE"), format="json")
    thread.join()
    assert response.status_code == 400
    assert response.json() == [
        f"An incident with source_incident_id 'RACE' already exists for this source (pk={first['incident'].pk})."
    ]
    assert Incident.objects.filter(source_incident_id="RACE").count() == 1
