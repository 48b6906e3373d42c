"""The general reads of :mod:`argus.incident.queries` that the API does not exercise: bounded
counts, the count estimate and the events prefetch."""

import pytest
from django.utils import timezone

from argus.incident import queries, services
from argus.incident.models import Incident
from tests.factories import SourceSystemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_incidents():
    source = SourceSystemFactory()
    return [
        services.incident_create(
            actor=source.user, source=source, start_time=timezone.now(), description=f"n{n}"
        )
        for n in range(3)
    ]


def test_a_bounded_count_is_exact_up_to_the_limit(three_incidents):
    assert queries.bounded_count(Incident.objects.all(), 3) == (3, True)
    assert queries.bounded_count(Incident.objects.all(), 10) == (3, True)


def test_a_bounded_count_above_the_limit_says_so_in_one_query(three_incidents, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert queries.bounded_count(Incident.objects.order_by("-pk"), 2) == (2, False)


def test_the_count_estimate_is_exact_on_a_small_table(three_incidents):
    assert queries.incident_count_estimate() == 3


def test_events_are_prefetched_oldest_first_in_one_query(three_incidents, django_assert_num_queries):
    first = three_incidents[0]
    services.event_create(incident=first, actor=first.source.user, type="OTH", description="later")
    with django_assert_num_queries(2):
        incidents = list(queries.with_events(Incident.objects.order_by("pk")))
        types = [[event.type for event in incident.prefetched_events] for incident in incidents]
    assert types == [["STA", "OTH"], ["STA"], ["STA"]]
