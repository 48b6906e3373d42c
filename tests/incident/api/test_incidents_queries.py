"""Every incident list costs a constant number of SQL queries, whatever the page size and the
number of tags (DESIGN.md: "A list page costs a constant number of queries")."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from argus.incident import services
from argus.incident.list_state import new_tag_relation
from argus.incident.models import Incident, IncidentTagRelation
from tests.factories import EndUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def source_just_seen(source_system):
    """The source was seen a moment ago, so its requests here do not write ``last_seen`` (at most
    once per 5 s): the counts are those of the reads."""
    services.source_system_seen(source=source_system)


@pytest.fixture
def many_incidents(make_incident, source_system):
    user = EndUserFactory()
    now = timezone.now()
    incidents = []
    for i in range(52):
        incident = make_incident(
            start_time=now - timedelta(minutes=i),
            tags=[f"host=h{i}", f"location=l{i % 3}", f"extra=e{i}"],
            end_time=None if i % 7 == 0 else services.INFINITY,
        )
        if i % 2:
            services.acknowledgement_create(incident=incident, actor=user, description=f"ack {i}")
        incidents.append(incident)
    return incidents


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(context.captured_queries)


# authentication (1) + page (1) + tag prefetch (1); a tag key given several values first looks up
# their ids (1), so that the database can tell a common tag from a rare one.
PAGED = [
    ("/api/{v}/incidents/?page_size={n}", 3),
    ("/api/{v}/incidents/?page_size={n}&open=true&acked=false&tags=location=l1&search=ack", 3),
    ("/api/{v}/incidents/?page_size={n}&open=true&acked=false&tags=location=l1,location=l2&search=ack", 4),
    ("/api/{v}/incidents/?page_size={n}&tags=location=l1,host=h1,host=h4", 4),
    ("/api/{v}/incidents/mine/?page_size={n}", 3),
    ("/api/{v}/incidents/mine/?page_size={n}&stateful=true&duration__gte=1", 3),
    ("/api/{v}/incidents/mine/?page_size={n}&open=true&tags=location=l1", 3),
]


@pytest.mark.parametrize(("template", "most"), PAGED)
def test_paged_lists_are_constant(source_client, many_incidents, template, most, version):
    counts = {n: count_queries(source_client, template.format(v=version, n=n)) for n in (1, 50)}
    assert counts[1] == counts[50]
    assert counts[50] <= most


@pytest.mark.parametrize("n", [1, 50])
def test_paged_list_exact_count(source_client, many_incidents, version, django_assert_num_queries, n):
    with django_assert_num_queries(3):
        response = source_client.get(f"/api/{version}/incidents/?page_size={n}")
    assert len(response.json()["results"]) == n


@pytest.mark.parametrize("path", ["open/", "open+unacked/"])
def test_v1_open_lists_are_constant(source_client, make_incident, django_assert_num_queries, path):
    for i in range(3):
        make_incident(tags=[f"a=b{i}"])
    with django_assert_num_queries(3):
        few = source_client.get(f"/api/v1/incidents/{path}")
    for i in range(30):
        make_incident(tags=[f"a=c{i}", f"b=c{i}"])
    with django_assert_num_queries(3):
        more = source_client.get(f"/api/v1/incidents/{path}")
    assert len(more.json()) == len(few.json()) + 30


def test_count_is_one_query(source_client, many_incidents, version, django_assert_num_queries):
    with django_assert_num_queries(2):
        response = source_client.get(f"/api/{version}/incidents/?count&open=true")
    assert response.json()["count"] == len([i for i in many_incidents if i.end_time is not None])


# --- which index a list reads (PostgreSQL's plans) ---------------------------------------------------


def plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def query_plan(client, url, page: str, *, sorting: bool = True) -> dict:
    """PostgreSQL's plan (its root node) for the one query of ``url`` that holds ``page`` and a
    ``LIMIT``. ``sorting=False``: as on a large table, where sorting a tag's 50,000 relations is
    not cheap as a test's few thousand are."""
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, response.content
    (sql,) = [
        query["sql"] for query in context.captured_queries if page in query["sql"] and "LIMIT" in query["sql"]
    ]
    with connection.cursor() as cursor:
        # A test's tables are small enough to read whole; without that option PostgreSQL shows
        # how it reads a large table.
        cursor.execute("SET LOCAL enable_seqscan = off")
        if not sorting:
            cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        (plan,) = cursor.fetchone()[0]
    return plan["Plan"]


def page_plan(client, url) -> list[dict]:
    """The nodes of PostgreSQL's plan for the page query of ``url``."""
    return list(plan_nodes(query_plan(client, url, 'FROM "argus_incident_incident"')))


def sorts_between_a_limit_and_a_relation_index(plan: dict, above=()) -> list[str]:
    """The sort nodes that sit between a tag relation index scan and the nearest limit above it:
    where the database sorts a tag's relations instead of reading them in the order asked for."""
    found = []
    if plan.get("Index Name", "").startswith("tagrelation_"):
        for node in reversed(above):
            if node["Node Type"] == "Limit":
                break
            if "Sort" in node["Node Type"]:
                found.append(node["Node Type"])
    for child in plan.get("Plans", []):
        found += sorts_between_a_limit_and_a_relation_index(child, (*above, plan))
    return found


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's query plans")


@pytest.fixture
def common_tag_history(postgresql, source_system):
    """4,000 incidents, 1 in 50 open, every one with the tag common=yes and half with kind=a,
    half with kind=b: loaded in bulk (as bench/preload.py does, setting the copies itself), then
    analyzed."""
    now = timezone.now()
    incidents = Incident.objects.bulk_create(
        Incident(
            start_time=now - timedelta(minutes=n),
            end_time=services.INFINITY if n % 50 == 0 else now - timedelta(seconds=n),
            may_be_open=n % 50 == 0,
            source=source_system,
            source_incident_id=f"bulk-{n}",
        )
        for n in range(4000)
    )
    common, rare, kind_a, kind_b = services.get_or_create_tags(
        [("common", "yes"), ("rare", "yes"), ("kind", "a"), ("kind", "b")]
    )
    relations = [
        new_tag_relation(incident=incident, tag=tag, added_by=source_system.user, added_time=now)
        for n, incident in enumerate(incidents)
        for tag in (common, kind_a if n % 2 else kind_b)
    ]
    relations += [
        new_tag_relation(incident=incident, tag=rare, added_by=source_system.user, added_time=now)
        for incident in incidents[::400]
    ]
    IncidentTagRelation.objects.bulk_create(relations)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def indexes_read(nodes) -> set[str]:
    return {node["Index Name"] for node in nodes if "Index Name" in node}


@pytest.mark.parametrize("path", ["v1/incidents/", "v2/incidents/", "v2/incidents/mine/"])
def test_an_open_list_with_a_common_tag_reads_only_the_open_incidents_relations(
    source_client, common_tag_history, path
):
    nodes = page_plan(source_client, f"/api/{path}?open=true&acked=false&tags=common=yes&page_size=100")
    # the partial index holds the relations of open incidents only; nothing reads a whole table
    assert "tagrelation_tag_open_start" in indexes_read(nodes)
    assert not {"incidenttagrelation_unique_tags_per_incident", "tagrelation_tag_start"} & indexes_read(nodes)
    assert not [
        node
        for node in nodes
        if node["Node Type"] == "Seq Scan" and node["Relation Name"] != "argus_incident_tag"
    ]


@pytest.mark.parametrize("path", ["v1/incidents/", "v2/incidents/", "v2/incidents/mine/"])
@pytest.mark.parametrize(
    "query, index",
    [
        ("open=true&acked=false&tags=kind=a,kind=b", "tagrelation_tag_open_start"),
        ("acked=false&tags=kind=a,kind=b", "tagrelation_tag_start"),
        ("open=true&tags=kind=a,kind=b,common=yes", "tagrelation_tag_open_start"),
    ],
)
def test_several_values_of_a_common_key_are_read_one_tag_at_a_time_in_order(
    source_client, common_tag_history, path, query, index
):
    """Each value's page comes from reading that tag's relations in start-time order and stopping
    (a Limit above each), not from every incident carrying either tag."""
    nodes = page_plan(source_client, f"/api/{path}?{query}&page_size=100")
    assert index in indexes_read(nodes)
    assert not [
        node
        for node in nodes
        if node["Node Type"] == "Seq Scan" and node["Relation Name"] != "argus_incident_tag"
    ]
    # the page's own limit, and one for each value's page
    assert len([node for node in nodes if node["Node Type"] == "Limit"]) >= 3


@pytest.mark.parametrize("sort", ["", "&sort=start_time&sort_order=asc"])
@pytest.mark.parametrize("query", ["tags=common=yes", "tags=kind=a,kind=b", "open=1&tags=kind=a,kind=b"])
def test_the_ui_list_reads_a_tags_relations_in_its_own_order(client, common_tag_history, query, sort):
    """The web UI orders by start time, then id: the relation indexes hold that order (either way
    round), so each tag's page is read in order and stops, with nothing sorted below the limit."""
    client.force_login(EndUserFactory())
    url = f"/incidents/?box=1&{query}{sort}&page_size=100"
    assert client.get(url).status_code == 200
    plan = query_plan(client, url, 'ORDER BY "argus_incident_incident"', sorting=False)
    assert {"tagrelation_tag_start", "tagrelation_tag_open_start"} & indexes_read(plan_nodes(plan))
    assert sorts_between_a_limit_and_a_relation_index(plan) == []
