"""What the list filters read is kept by the services: ``Incident.may_be_open`` and each tag
relation's copies of its incident's start time and open state (argus.incident.list_state).

Checked through the stored rows and through the lists themselves: an incident is listed under a
tag, open or not, exactly when it should be, after every service that changes what the copies say.
"""

import datetime

import pytest
from django.http import QueryDict
from django.utils import timezone

from argus.incident import services
from argus.incident.api import filters
from argus.incident.choices import EventType
from argus.incident.models import Incident, IncidentTagRelation
from argus.util.datetime_utils import INFINITY
from tests.factories import SourceSystemFactory

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def copies(incident):
    """(may_be_open, [(relation start time, relation may_be_open) per tag relation])."""
    stored = Incident.objects.get(pk=incident.pk)
    relations = IncidentTagRelation.objects.filter(incident=incident).order_by("pk")
    return stored.may_be_open, [(r.incident_start_time, r.incident_may_be_open) for r in relations]


def assert_copies_match(incident, *, open_now: bool):
    stored = Incident.objects.get(pk=incident.pk)
    may_be_open, relations = copies(incident)
    assert may_be_open is open_now
    assert relations and all(relation == (stored.start_time, open_now) for relation in relations)


def listed(client, query):
    response = client.get(f"/api/v2/incidents/?{query}")
    assert response.status_code == 200, response.content
    return {incident["pk"] for incident in response.json()["results"]}


@pytest.fixture
def incident(source_system):
    return services.incident_create(
        actor=source_system.user,
        source=source_system,
        start_time=timezone.now() - HOUR,
        tags=["host=a", "rack=r1"],
    )


def test_a_new_open_incident_and_its_tag_relations_are_marked_open(incident):
    assert_copies_match(incident, open_now=True)


@pytest.mark.parametrize("end_time", [None, "past"])
def test_a_new_stateless_or_closed_incident_is_not_marked_open(source_system, end_time):
    now = timezone.now()
    incident = services.incident_create(
        actor=source_system.user,
        source=source_system,
        start_time=now - 2 * HOUR,
        end_time=now - HOUR if end_time == "past" else None,
        tags=["host=a"],
    )
    assert_copies_match(incident, open_now=False)


def test_an_end_time_still_ahead_counts_as_open_until_it_passes(source_system, source_client):
    now = timezone.now()
    incident = services.incident_create(
        actor=source_system.user,
        source=source_system,
        start_time=now - HOUR,
        end_time=now + HOUR,
        tags=["k=v"],
    )
    assert_copies_match(incident, open_now=True)
    assert incident.pk in listed(source_client, "open=true&tags=k=v")
    Incident.objects.filter(pk=incident.pk).update(end_time=now - datetime.timedelta(seconds=1))
    # The flag stays (it only says "may be"), the answer follows end_time.
    assert incident.pk not in listed(source_client, "open=true&tags=k=v")
    assert incident.pk in listed(source_client, "open=false&tags=k=v")


@pytest.mark.parametrize("closing", [EventType.CLOSE, EventType.INCIDENT_END])
def test_closing_and_reopening_update_the_copies(incident, source_system, end_user, closing):
    actor = end_user if closing == EventType.CLOSE else source_system.user
    services.event_create(incident=incident, actor=actor, type=closing)
    assert_copies_match(incident, open_now=False)
    services.event_create(incident=incident, actor=end_user, type=EventType.REOPEN)
    assert_copies_match(incident, open_now=True)


def test_bulk_close_and_reopen_update_the_copies(incident, end_user):
    now = timezone.now()
    services.bulk_event_create(incidents=[incident], actor=end_user, type=EventType.CLOSE, timestamp=now)
    assert_copies_match(incident, open_now=False)
    services.bulk_event_create(incidents=[incident], actor=end_user, type=EventType.REOPEN, timestamp=now)
    assert_copies_match(incident, open_now=True)


def test_incident_end_updates_the_copies(incident, superuser):
    services.incident_end(incident=incident, actor=superuser)
    assert_copies_match(incident, open_now=False)


def test_a_corrected_start_or_end_time_is_copied(incident, superuser):
    earlier = incident.start_time - HOUR
    services.incident_correct(incident=incident, actor=superuser, data={"start_time": earlier})
    assert_copies_match(incident, open_now=True)
    assert copies(incident)[1][0][0] == earlier
    services.incident_correct(incident=incident, actor=superuser, data={"end_time": timezone.now() - HOUR})
    assert_copies_match(incident, open_now=False)
    services.incident_correct(incident=incident, actor=superuser, data={"end_time": None})  # stateless
    assert_copies_match(incident, open_now=False)


def test_tags_added_later_copy_the_incidents_current_state(incident, end_user):
    services.event_create(incident=incident, actor=end_user, type=EventType.CLOSE)
    services.incident_tag_add(incident=incident, actor=end_user, tag="late=one")
    services.incident_update(
        incident=incident, actor=end_user, data={}, tags=["host=a", "rack=r1", "late=two"]
    )
    assert_copies_match(incident, open_now=False)


def test_tag_lists_follow_the_incidents_state_through_the_api(source_client, incident, end_user, superuser):
    def shown():
        return {
            "open": incident.pk in listed(source_client, "open=true&tags=host=a"),
            "open, two values": incident.pk in listed(source_client, "open=true&tags=host=a,host=b"),
            "any": incident.pk in listed(source_client, "tags=host=a"),
            "closed": incident.pk in listed(source_client, "open=false&tags=host=a,rack=r1"),
        }

    assert shown() == {"open": True, "open, two values": True, "any": True, "closed": False}
    services.event_create(incident=incident, actor=end_user, type=EventType.CLOSE)
    assert shown() == {"open": False, "open, two values": False, "any": True, "closed": True}
    services.event_create(incident=incident, actor=end_user, type=EventType.REOPEN)
    services.incident_correct(
        incident=incident, actor=superuser, data={"start_time": incident.start_time - HOUR}
    )
    assert shown() == {"open": True, "open, two values": True, "any": True, "closed": False}


def test_a_tag_list_is_newest_first_and_pages_through_every_incident(source_client, source_system):
    now = timezone.now()
    created = [
        services.incident_create(
            actor=source_system.user,
            source=source_system,
            start_time=now - n * HOUR,
            end_time=INFINITY if n % 3 else now,
            tags=["group=g", f"n={n}"],
        ).pk
        for n in range(1, 8)
    ]
    seen, url = [], "/api/v2/incidents/?tags=group=g&page_size=3"
    while url:
        body = source_client.get(url).json()
        seen.extend(incident["pk"] for incident in body["results"])
        url = body["next"]
    assert seen == created
    open_ones = [pk for n, pk in enumerate(created, start=1) if n % 3]
    assert [
        i["pk"] for i in source_client.get("/api/v2/incidents/?tags=group=g&open=true").json()["results"]
    ] == (open_ones)


def test_a_tag_filter_with_an_unknown_tag_lists_nothing(source_client, incident):
    assert listed(source_client, "tags=host=nowhere") == set()
    assert listed(source_client, "tags=host=nowhere,host=neither") == set()
    assert listed(source_client, "tags=host=a,host=nowhere") == {incident.pk}


@pytest.fixture
def kinds(source_system, end_user):
    """12 incidents an hour apart, newest first, with kind=a, kind=b, both or neither; every
    third closed, every fourth acknowledged."""
    now = timezone.now()
    made = []
    for n in range(12):
        incident = services.incident_create(
            actor=source_system.user,
            source=source_system,
            start_time=now - (n + 1) * HOUR,
            end_time=now if n % 3 == 2 else INFINITY,
            tags=[["kind=a"], ["kind=b"], ["kind=a", "kind=b"], ["kind=c"]][n % 4] + [f"half={n % 2}"],
        )
        if n % 4 == 1:
            services.acknowledgement_create(incident=incident, actor=end_user, description="seen")
        made.append(incident)
    return made


def walk(client, url, key="next"):
    """The pks of each page from ``url`` on, following ``key`` links."""
    pages = []
    while url:
        body = client.get(url).json()
        pages.append([incident["pk"] for incident in body["results"]])
        url = body[key]
    return pages


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize(
    "query, wanted",
    [
        ("tags=kind=a,kind=b", lambda n, i: n % 4 != 3),
        ("tags=kind=b,kind=a,kind=nowhere", lambda n, i: n % 4 != 3),
        ("open=true&tags=kind=a,kind=b", lambda n, i: n % 4 != 3 and n % 3 != 2),
        ("acked=false&tags=kind=a,kind=b", lambda n, i: n % 4 in (0, 2)),
        ("tags=kind=a,kind=b,half=1", lambda n, i: n % 4 != 3 and n % 2 == 1),
        ("tags=kind=a,kind=b,half=0,half=1", lambda n, i: n % 4 != 3),
        ("open=false&tags=kind=a,kind=c", lambda n, i: n % 4 in (0, 2, 3) and n % 3 == 2),
    ],
)
@pytest.mark.parametrize("page_size", [1, 2, 5, 100])
def test_several_values_of_a_key_page_through_each_matching_incident_once_forwards_and_back(
    source_client, kinds, version, query, wanted, page_size
):
    expected = [incident.pk for n, incident in enumerate(kinds) if wanted(n, incident)]
    pages = walk(source_client, f"/api/{version}/incidents/?{query}&page_size={page_size}")
    assert [pk for page in pages for pk in page] == expected
    assert all(len(page) == page_size for page in pages[:-1])
    # back from the last page by the previous links: the same pages
    last = f"/api/{version}/incidents/?{query}&page_size={page_size}"
    for _ in pages[:-1]:
        last = source_client.get(last).json()["next"]
    assert walk(source_client, last, key="previous") == pages[::-1]


def test_several_values_of_a_key_in_mine_and_in_counts(source_client, kinds):
    other = SourceSystemFactory()
    services.incident_create(actor=other.user, source=other, start_time=timezone.now(), tags=["kind=a"])
    expected = [incident.pk for n, incident in enumerate(kinds) if n % 4 != 3]
    pages = walk(source_client, "/api/v2/incidents/mine/?tags=kind=a,kind=b&page_size=3")
    assert [pk for page in pages for pk in page] == expected
    count = source_client.get("/api/v2/incidents/?tags=kind=a,kind=b&count=true").json()["count"]
    assert count == len(expected) + 1


def test_a_key_with_more_values_than_are_paged_one_at_a_time_lists_the_same(source_client, kinds):
    others = [f"kind=x{n}" for n in range(filters.MAX_TAG_BRANCHES)]
    services.get_or_create_tags(services.parse_tags(others))
    expected = [incident.pk for n, incident in enumerate(kinds) if n % 4 != 3]
    query = "tags=" + ",".join(["kind=a", "kind=b", *others])
    pages = walk(source_client, f"/api/v2/incidents/?{query}&page_size=4")
    assert [pk for page in pages for pk in page] == expected


@pytest.fixture
def tied_kinds(source_system):
    """20 incidents, five at each of four moments, with kind=a, kind=b, both or neither."""
    moment = timezone.now()
    return [
        services.incident_create(
            actor=source_system.user,
            source=source_system,
            start_time=moment - (n // 5) * HOUR,
            tags=[["kind=a"], ["kind=b"], ["kind=a", "kind=b"], ["kind=c"]][n % 4],
        )
        for n in range(20)
    ]


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize(
    "query, wanted",
    [
        ("tags=kind=a,kind=b", lambda n: n % 4 != 3),
        ("open=true&tags=kind=a,kind=b", lambda n: n % 4 != 3),
        ("tags=kind=a", lambda n: n % 4 in (0, 2)),
        ("open=true", lambda n: True),
    ],
)
@pytest.mark.parametrize("page_size", [1, 2, 3, 4, 7])
def test_incidents_that_started_together_are_paged_by_id_each_once(
    source_client, tied_kinds, version, query, wanted, page_size
):
    """Among incidents with the same start time the newest id comes first, on every page alike,
    so the cursor's offset among them skips exactly the ones already shown."""
    expected = sorted(
        (incident for n, incident in enumerate(tied_kinds) if wanted(n)),
        key=lambda incident: (incident.start_time, incident.pk),
        reverse=True,
    )
    pages = walk(source_client, f"/api/{version}/incidents/?{query}&page_size={page_size}")
    assert [pk for page in pages for pk in page] == [incident.pk for incident in expected]
    # Not checked: walking back by "previous" through a run of equal start times. The cursor's
    # position is the start time alone (as 1.37 clients receive it), and DRF's reverse offset can
    # then land inside the run; it does so with or without tag branches.


def test_a_paged_selection_is_whole_with_or_without_its_branches(kinds, end_user):
    expected = sorted(incident.pk for n, incident in enumerate(kinds) if n % 4 != 3)
    params = QueryDict("tags=kind=a,kind=b")
    filtered = filters.filter_incidents_paged(Incident.objects.all(), params, user=end_user)
    assert len(filtered.branches) == 2
    assert sorted(filtered.all().values_list("pk", flat=True)) == expected
    whole = filters.filter_incidents(Incident.objects.all(), params, user=end_user)
    assert sorted(whole.values_list("pk", flat=True)) == expected
