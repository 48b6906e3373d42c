"""The JSON the list page's live updates fetch after websocket frames, and the type-ahead endpoints."""

import pytest

from argus.incident import services
from tests.ui.conftest import set_preferences

pytestmark = pytest.mark.django_db


def test_rows_come_rendered_with_whether_they_still_match_the_page(ui, user, make_incident):
    kept, closed = make_incident(description="kept"), make_incident(description="closed now")
    services.event_create(incident=closed, actor=user, type="CLO")
    data = ui.get(f"/incidents/rows/?ids={kept.pk},{closed.pk},424242&open=1").json()
    rows = {row["pk"]: row for row in data["rows"]}
    assert rows[kept.pk]["matches"] is True and rows[closed.pk]["matches"] is False
    assert rows[closed.pk]["html"].startswith(f'<tr id="incident-{closed.pk}"')
    assert "stale" in rows[closed.pk]["html"] and ">Closed<" in rows[closed.pk]["html"]
    assert data["missing"] == [424242]
    assert data["count"] == "1"
    assert "<time" in data["refreshed"]


def test_rows_match_a_tag_key_given_several_values_by_any_of_them(ui, user, make_incident):
    a, both, c = (
        make_incident(tags=["host=a"]),
        make_incident(tags=["host=a", "host=b"]),
        make_incident(tags=["host=c"]),
    )
    data = ui.get(f"/incidents/rows/?ids={a.pk},{both.pk},{c.pk}&tags=host=a,host=b").json()
    assert {row["pk"]: row["matches"] for row in data["rows"]} == {a.pk: True, both.pk: True, c.pk: False}
    assert data["count"] == "2"


def test_rows_use_the_users_column_layout(ui, user, make_incident):
    incident = make_incident(tags=["x=y"])
    set_preferences(user, {"incidents_table_column_name": "notifications"})
    html = ui.get(f"/incidents/rows/?ids={incident.pk}").json()["rows"][0]["html"]
    assert "x=y" in html and "row-select" not in html


def test_rows_cost_a_constant_number_of_queries(ui, make_incident, django_assert_num_queries):
    ids = ",".join(str(make_incident().pk) for _ in range(30))
    # session, user, preferences, rows, tags, matching ids, count
    with django_assert_num_queries(7):
        assert len(ui.get(f"/incidents/rows/?ids={ids}&acked=3").json()["rows"]) == 30


def test_rows_ignore_ids_that_are_not_ids(ui):
    assert ui.get("/incidents/rows/?ids=a,-1,,99999999999999999999999").json()["rows"] == []


def test_tag_search_finds_at_most_20_by_key_or_by_value(ui, make_incident):
    make_incident(tags=[f"host=h{n}" for n in range(25)] + ["location=oslo"])
    assert len(ui.get("/incidents/search-tags/?q=hos").json()["results"]) == 20
    assert ui.get("/incidents/search-tags/?q=host=h2").json()["results"][:2] == [
        {"id": "host=h2", "text": "host=h2"},
        {"id": "host=h20", "text": "host=h20"},
    ]
    assert ui.get("/incidents/search-tags/?q=").json() == {"results": []}


def test_source_search_finds_sources_by_name(ui, source):
    assert ui.get("/incidents/search-sources/?q=PROD").json() == {
        "results": [{"id": source.pk, "text": "nav-prod (nav)"}]
    }


def test_the_live_endpoints_need_a_login(client):
    assert client.get("/incidents/rows/?ids=1").status_code == 302
    assert client.get("/incidents/search-tags/?q=a").status_code == 302
