"""Every incident list costs a constant number of SQL queries, whatever the page size and the
number of tags (DESIGN.md: "A list page costs a constant number of queries")."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from argus.incident import services
from tests.factories import EndUserFactory

pytestmark = pytest.mark.django_db


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
