import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from argus.incident.api.pagination import ArgusCursorPagination
from argus.incident.models import Incident
from tests.factories import IncidentFactory, SourceSystemFactory

pytestmark = pytest.mark.django_db
BASE = datetime(2024, 5, 3, 8, 0, tzinfo=UTC)


@pytest.fixture
def incidents():
    source = SourceSystemFactory()
    return [
        IncidentFactory(source=source, start_time=BASE + timedelta(minutes=i, microseconds=123456 * (i % 2)))
        for i in range(7)
    ]


def page(query: str):
    request = Request(APIRequestFactory().get("/api/v2/incidents/" + query))
    paginator = ArgusCursorPagination()
    items = paginator.paginate_queryset(Incident.objects.all(), request)
    return items, paginator.get_next_link(), paginator.get_previous_link()


def cursor_of(link: str) -> str:
    return base64.b64decode(unquote(parse_qs(urlsplit(link).query)["cursor"][0])).decode()


def test_walk_forward_and_back_with_sorted_links(incidents):
    items, next_link, previous_link = page("?page_size=3&open=false")
    assert [i.pk for i in items] == [i.pk for i in reversed(incidents)][:3]
    assert previous_link is None
    assert next_link.startswith("http://testserver/api/v2/incidents/?cursor=")
    assert next_link.endswith("&open=false&page_size=3")  # parameters re-encoded sorted by name
    assert cursor_of(next_link) == "p=2024-05-03+08%3A04%3A00%2B00%3A00"

    items2, next2, previous2 = page("?" + urlsplit(next_link).query)
    assert [i.pk for i in items2] == [i.pk for i in reversed(incidents)][3:6]
    assert cursor_of(previous2).startswith("r=1&p=")
    back, _, previous_back = page("?" + urlsplit(previous2).query)
    assert [i.pk for i in back] == [i.pk for i in items]
    assert previous_back is None
    last, next_last, _ = page("?" + urlsplit(next2).query)
    assert len(last) == 1 and next_last is None


@pytest.mark.parametrize("size, expected", [("0", 7), ("-1", 7), ("abc", 7), ("2", 2), ("100000", 7)])
def test_page_size_fallbacks(incidents, size, expected):
    assert len(page(f"?page_size={size}")[0]) == expected


@pytest.mark.parametrize("raw", ["p=2020", "p=garbage", "o=-1", "r=x"])
def test_invalid_cursor_is_404(incidents, raw):
    cursor = base64.b64encode(raw.encode()).decode()
    with pytest.raises(NotFound, match="Invalid cursor"):
        page(f"?cursor={cursor}")


def test_not_base64_cursor_is_404(incidents):
    with pytest.raises(NotFound, match="Invalid cursor"):
        page("?cursor=%%%")


def test_empty_cursor_is_first_page(incidents):
    assert len(page("?cursor=")[0]) == 7
