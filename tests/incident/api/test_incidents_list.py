"""GET incidents/: shape, ordering, every §5 filter, search, count and pagination (incidents.md §4.1)."""

import base64
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.utils import timezone

from argus.incident import services
from argus.incident.models import Incident
from argus.incident.token_expiry import PROBLEM_TYPE
from tests.factories import AcknowledgementFactory, EventFactory, SourceSystemFactory, SourceSystemTypeFactory

pytestmark = pytest.mark.django_db


INVALID_TAGS = 'Enter a valid key-value construct: "key=value", where key and value are strings.'


def pks(response):
    assert response.status_code == 200, response.content
    return [item["pk"] for item in response.json()["results"]]


@pytest.fixture
def world(make_incident, source_system, superuser):
    """A small world covering every filter dimension. Returns incidents by name."""
    now = timezone.now()
    zabbix = SourceSystemFactory(name="zabbix1", type=SourceSystemTypeFactory(name="zabbix"))
    inc = {}
    inc["open_old"] = make_incident(
        start_time=now - timedelta(hours=5), description="disk full on b6", source_incident_id="S1",
        tags=["host=b1", "location=oslo"], level=1,
    )  # fmt: skip
    inc["open_new"] = make_incident(
        start_time=now - timedelta(minutes=5), description="ping lost", tags=["host=b2", "location=bergen"],
        level=3, ticket_url="https://tickets.example.org/1",
    )  # fmt: skip
    inc["closed"] = make_incident(
        start_time=now - timedelta(hours=3), end_time=now - timedelta(hours=1), description="closed one",
        tags=["host=b1", "location=bergen"], level=2,
    )  # fmt: skip
    inc["stateless"] = make_incident(
        start_time=now - timedelta(hours=2), end_time=None, description="stateless", tags=["host=b3"], level=4,
    )  # fmt: skip
    inc["zabbix"] = make_incident(
        source=zabbix, start_time=now - timedelta(hours=1), description="zabbix trigger", level=5,
    )  # fmt: skip
    services.acknowledgement_create(incident=inc["open_old"], actor=superuser, description="on it")
    expired = EventFactory(incident=inc["open_new"], actor=superuser, type="ACK")
    AcknowledgementFactory(event=expired, expiration=now - timedelta(minutes=1))
    services.incident_update(
        incident=inc["open_new"], actor=superuser, data={"description": "ping lost ticket"}
    )
    inc["now"] = now
    inc["zabbix_source"] = zabbix
    return inc


def test_list_shape_and_ordering(end_user_client, incidents_url, world, version):
    response = end_user_client.get(incidents_url)
    data = response.json()
    assert list(data) == ["next", "previous", "results"]
    assert data["next"] is None and data["previous"] is None
    order = ["open_new", "zabbix", "stateless", "closed", "open_old"]
    assert pks(response) == [world[name].pk for name in order]
    first = data["results"][0]
    assert ("metadata" in first) == (version == "v2")
    assert list(first)[-4:] == ["tags", "stateful", "open", "acked"]
    by_pk = {item["pk"]: item for item in data["results"]}
    assert by_pk[world["open_old"].pk]["acked"] is True
    assert by_pk[world["open_new"].pk]["acked"] is False  # its only ack has expired


def test_anonymous_gets_401(api_client, incidents_url):
    assert api_client.get(incidents_url).status_code == 401


@pytest.mark.parametrize(
    "query, expected",
    [
        ("open=true", {"open_old", "open_new", "zabbix"}),
        ("open=True", {"open_old", "open_new", "zabbix"}),
        ("open=1", {"open_old", "open_new", "zabbix"}),
        ("open=false", {"closed"}),
        ("open=0", {"closed"}),
        ("open=yes", {"open_old", "open_new", "closed", "stateless", "zabbix"}),
        ("open=", {"open_old", "open_new", "closed", "stateless", "zabbix"}),
        ("acked=true", {"open_old"}),
        ("acked=false", {"open_new", "closed", "stateless", "zabbix"}),
        ("acked=maybe", {"open_old", "open_new", "closed", "stateless", "zabbix"}),
        ("stateful=true", {"open_old", "open_new", "closed", "zabbix"}),
        ("stateful=false", {"stateless"}),
        ("ticket=true", {"open_new"}),
        ("ticket=false", {"open_old", "closed", "stateless", "zabbix"}),
        ("end_time__isnull=true", {"stateless"}),
        ("end_time__isnull=false", {"open_old", "open_new", "closed", "zabbix"}),
        ("tags=host=b1", {"open_old", "closed"}),
        ("tags=host=b1,host=b2", {"open_old", "open_new", "closed"}),
        ("tags=host=b1,host=b2,location=bergen", {"open_new", "closed"}),
        ("tags=host=nope", set()),
        ("tags=a=b&tags=host=b3", {"stateless"}),  # last value wins
        ("tags=", {"open_old", "open_new", "closed", "stateless", "zabbix"}),
        ("source_incident_id=S1", {"open_old"}),
        ("source_incident_id=", {"open_old", "open_new", "closed", "stateless", "zabbix"}),
        ("source__name__in=zabbix1", {"zabbix"}),
        ("source__name__in=zabbix1,nothing", {"zabbix"}),
        ("source__type__in=zabbix", {"zabbix"}),
        ("source__type__in=nav,zabbix", {"open_old", "open_new", "closed", "stateless", "zabbix"}),
        ("level__lte=2", {"open_old", "closed"}),
        ("level__lte=0", set()),
        ("level__lte=6", {"open_old", "open_new", "closed", "stateless", "zabbix"}),
        ("level__lte=99999999999999999999999", {"open_old", "open_new", "closed", "stateless", "zabbix"}),
        ("level__lte=2.5", {"open_old", "closed"}),
        ("duration__gte=0", {"open_old", "open_new", "closed", "stateless", "zabbix"}),
        ("duration__gte=60", {"open_old", "closed", "zabbix"}),
        ("duration__gte=121", {"open_old"}),
        ("duration__gte=121.9", {"open_old"}),
        ("duration__gte=100000000000000", set()),
        ("duration__gte=-100000000000000", {"open_old", "open_new", "closed", "zabbix"}),
        ("search=b6", {"open_old"}),
        ("search=B6 DISK", {"open_old"}),
        ("search=b6,zzz", set()),
        ('search="full on"', {"open_old"}),
        ('search="on full"', set()),
        ("search=ticket", {"open_new"}),  # CHI text lands in search_text
        ("search=on it", {"open_old"}),  # the ack description too
        ("open=true&acked=false", {"open_new", "zabbix"}),
        ("unknown=1&ordering=pk", {"open_old", "open_new", "closed", "stateless", "zabbix"}),
    ],
)
def test_filters(end_user_client, incidents_url, world, query, expected):
    response = end_user_client.get(f"{incidents_url}?{query}")
    assert set(pks(response)) == {world[name].pk for name in expected}


def test_source_and_id_in(end_user_client, incidents_url, world, source_system):
    zabbix = world["zabbix_source"]
    response = end_user_client.get(f"{incidents_url}?source__id__in={zabbix.pk}")
    assert pks(response) == [world["zabbix"].pk]
    response = end_user_client.get(f"{incidents_url}?source__id__in={zabbix.pk},{source_system.pk}")
    assert len(pks(response)) == 5
    wanted = [world["closed"].pk, world["stateless"].pk]
    response = end_user_client.get(f"{incidents_url}?id__in={wanted[0]},{wanted[1]},99999999999999999999999")
    assert set(pks(response)) == set(wanted)


def test_time_ranges(end_user_client, incidents_url, world):
    now = world["now"]

    def iso(moment):
        return moment.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%dT%H:%M:%S.%f%z")

    from urllib.parse import quote

    def get(param, moment):
        return set(pks(end_user_client.get(f"{incidents_url}?{param}={quote(iso(moment))}")))

    names = {world[name].pk: name for name in ("open_old", "open_new", "closed", "stateless", "zabbix")}

    def named(ids):
        return {names[pk] for pk in ids}

    assert named(get("start_time__gte", now - timedelta(hours=2))) == {"open_new", "stateless", "zabbix"}
    assert named(get("start_time__lte", now - timedelta(hours=2))) == {"open_old", "closed", "stateless"}
    assert named(get("end_time__gte", now - timedelta(hours=2))) == {
        "open_old",
        "open_new",
        "closed",
        "zabbix",
    }
    assert named(get("end_time__gte", now + timedelta(days=3650))) == {"open_old", "open_new", "zabbix"}
    assert named(get("end_time__lte", now)) == {"closed"}
    assert named(get("end_time__lte", now + timedelta(days=3650))) == {"closed"}
    # date-only and naive forms are accepted
    response = end_user_client.get(f"{incidents_url}?start_time__gte=2000-01-01")
    assert len(pks(response)) == 5
    response = end_user_client.get(f"{incidents_url}?start_time__lte=2000-01-01 10:00")
    assert pks(response) == []


@pytest.mark.parametrize(
    "query, errors",
    [
        (
            "tags=bad",
            {"tags": ['Enter a valid key-value construct: "key=value", where key and value are strings.']},
        ),
        (
            "tags=Host=b1",
            {"tags": ['Enter a valid key-value construct: "key=value", where key and value are strings.']},
        ),
        (
            "tags=empty=",
            {"tags": ['Enter a valid key-value construct: "key=value", where key and value are strings.']},
        ),
        ("source__id__in=a", {"source__id__in": ["Enter a number."]}),
        ("id__in=1,x", {"id__in": ["Enter a number."]}),
        ("level__lte=x", {"level__lte": ["Enter a number."]}),
        ("level__lte=NaN", {"level__lte": ["Enter a number."]}),
        ("duration__gte=x", {"duration__gte": ["Enter a number."]}),
        ("start_time__gte=x", {"start_time__gte": ["Enter a valid date/time."]}),
        ("end_time__gte=infinity", {"end_time__gte": ["Enter a valid date/time."]}),
        ("end_time__lte=2024-13-01", {"end_time__lte": ["Enter a valid date/time."]}),
        ("filter_pk=x", {"filter_pk": ["Enter a whole number."]}),
        ("notificationprofile_pk=1.5", {"notificationprofile_pk": ["Enter a whole number."]}),
        (
            "source__type__in=nosuchtype",
            {"source__type__in": ["Select a valid choice. That choice is not one of the available choices."]},
        ),
        ("level__lte=x&tags=bad", None),
        ("start_time__gte=0001-01-01", {"start_time__gte": ["Enter a valid date/time."]}),
        ("source_incident_id=%00", {"source_incident_id": ["Null characters are not allowed."]}),
        ("search=a%00", {"search": ["Null characters are not allowed."]}),
        ("tags=a=%00", {"tags": ["Null characters are not allowed."]}),
        ("tags=host=" + "x" * 601, {"tags": ["The value of the tag cannot be longer than 600 characters."]}),
        ("tags=" + "k" * 101 + "=v", {"tags": ["The key of the tag cannot be longer than 100 characters."]}),
        ("tags=host=b1, host=b1", {"tags": [INVALID_TAGS]}),  # a key as written: no stripping here
    ],
)
def test_filter_errors(end_user_client, incidents_url, world, query, errors):
    response = end_user_client.get(f"{incidents_url}?{query}")
    assert response.status_code == 400
    if errors is None:
        assert set(response.json()) == {"level__lte", "tags"}
    else:
        assert response.json() == errors


def test_seed_example_query(end_user_client, source_system, make_incident):
    match = make_incident(tags=["location=broomcloset", "problem=onfire"])
    make_incident(tags=["location=understairs", "problem=flooded"])
    make_incident(tags=["location=attic", "problem=onfire"])
    query = (
        f"acked=false&open=true&stateful=true&source__id__in={source_system.pk}"
        "&tags=location=broomcloset,location=understairs,problem=onfire"
    )
    assert pks(end_user_client.get(f"/api/v1/incidents/?{query}")) == [match.pk]


def test_token_expiry_filter(end_user_client, incidents_url, world, make_incident, version):
    argus = services.argus_source_ensure()
    expiring = make_incident(source=argus, tags=[f"problem_type={PROBLEM_TYPE}"])
    make_incident(tags=[f"problem_type={PROBLEM_TYPE}"])  # right tag, wrong source
    make_incident(source=argus)  # right source, no tag
    for value in ("true", "false", "whatever"):
        assert pks(end_user_client.get(f"{incidents_url}?token_expiry={value}")) == [expiring.pk]


def test_count(end_user_client, incidents_url, world, source_system):
    response = end_user_client.get(
        f"{incidents_url}?count&source__id__in={source_system.pk}&open=true&open=true"
    )
    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "params": {"count": "", "source__id__in": str(source_system.pk), "open": "true"},
    }
    response = end_user_client.get(f"{incidents_url}?count=1&tags=bad")
    assert response.status_code == 400


def test_pagination_walk(end_user_client, incidents_url, world):
    first = end_user_client.get(f"{incidents_url}?page_size=2&open=&level__lte=5").json()
    assert len(first["results"]) == 2 and first["previous"] is None
    next_link = first["next"]
    assert next_link.startswith(f"http://testserver{incidents_url}?cursor=")
    assert next_link.endswith("&level__lte=5&open=&page_size=2")
    cursor = base64.b64decode(unquote(parse_qs(urlsplit(next_link).query)["cursor"][0])).decode()
    assert cursor.startswith("p=")
    second = end_user_client.get(next_link).json()
    third = end_user_client.get(second["next"]).json()
    assert third["next"] is None
    seen = [item["pk"] for page in (first, second, third) for item in page["results"]]
    assert seen == [item["pk"] for item in end_user_client.get(incidents_url).json()["results"]]
    back = end_user_client.get(second["previous"]).json()
    assert [item["pk"] for item in back["results"]] == [item["pk"] for item in first["results"]]


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "cD0yMDIw",
        base64.b64encode(b"p=garbage").decode(),
        base64.b64encode(b"o=x").decode(),
        base64.b64encode(b"p=0001-01-01 00:00:00+05:00").decode(),  # before year 1 in UTC
        base64.b64encode(b"p=9999-12-31 23:00:00-05:00").decode(),  # after year 9999 in UTC
    ],
)
def test_invalid_cursor(end_user_client, incidents_url, world, cursor):
    response = end_user_client.get(incidents_url, {"cursor": cursor})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}


@pytest.mark.parametrize("page_size", ["9223372036854775807", "99999999999999999999", "9" * 5000])
def test_page_size_beyond_what_the_database_takes_is_served_as_the_ceiling(
    end_user_client, incidents_url, world, page_size
):
    response = end_user_client.get(incidents_url, {"page_size": page_size})
    assert response.status_code == 200
    assert len(pks(response)) == 5 and response.json()["next"] is None


@pytest.mark.parametrize("path", ["", "mine/", "events/"])
def test_page_size_over_the_ceiling_is_served_as_the_ceiling_with_next_links(
    source_client, world, settings, version, path
):
    """ARGUS_MAX_PAGE_SIZE: a paging client (pyargus) still sees every row, a page at a time."""
    if path == "events/" and version == "v1":
        pytest.skip("events/ is v2 only")
    url = f"/api/{version}/incidents/{path}"
    settings.MAX_PAGE_SIZE = 1000
    everything = [item["pk"] for item in source_client.get(url).json()["results"]]
    assert len(everything) >= 4
    settings.MAX_PAGE_SIZE = 3
    seen, page = [], source_client.get(url, {"page_size": 2**63}).json()
    while True:
        assert 0 < len(page["results"]) <= 3
        seen += [item["pk"] for item in page["results"]]
        if page["next"] is None:
            break
        assert page["next"].endswith("page_size=9223372036854775808")
        page = source_client.get(page["next"]).json()
    assert seen == everything
    settings.MAX_PAGE_SIZE = 2
    assert len(source_client.get(url).json()["results"]) == 2  # the default (100) obeys it too


def test_the_default_ceiling_is_1000(end_user_client, make_incident):
    source = make_incident().source
    now = timezone.now()
    Incident.objects.bulk_create(
        [Incident(start_time=now - timedelta(seconds=i), source=source) for i in range(1000)]
    )
    response = end_user_client.get("/api/v2/incidents/", {"page_size": 2**63})
    assert len(pks(response)) == 1000 and response.json()["next"]


def test_empty_cursor_is_first_page(end_user_client, incidents_url, world):
    assert len(pks(end_user_client.get(f"{incidents_url}?cursor="))) == 5


def test_page_size_default_is_100(end_user_client, incidents_url, make_incident):
    Incident.objects.bulk_create(
        [
            Incident(start_time=timezone.now() - timedelta(minutes=i), source=make_incident().source)
            for i in range(101)
        ]
    )
    response = end_user_client.get(f"{incidents_url}?page_size=0")
    assert len(pks(response)) == 100 and response.json()["next"]


def test_offset_beyond_the_data(end_user_client, incidents_url, world):
    cursor = base64.b64encode(b"o=5000").decode()
    response = end_user_client.get(f"{incidents_url}?cursor={cursor}&page_size=1")
    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": f"http://testserver{incidents_url}?cursor=cj0x&page_size=1",
        "results": [],
    }


def test_options_describes_post_fields(source_client, incidents_url, version):
    response = source_client.options(incidents_url)
    assert response.status_code == 200
    post = response.json()["actions"]["POST"]
    assert {"start_time", "end_time", "tags", "level", "ticket_url"} <= set(post)
    assert ("metadata" in post) == (version == "v2")
