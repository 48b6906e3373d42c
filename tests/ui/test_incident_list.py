"""The incident list without scripts: columns, filter box, saved filters, sorting, keyset paging,
page size, kiosk, counts and the cost in queries."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from argus.incident import services
from argus.incident.models import Incident
from argus.ui.preferences import stored_preferences
from tests.factories import EndUserFactory, SourceSystemFactory, SourceSystemTypeFactory
from tests.notificationprofile.factories import FilterFactory
from tests.ui.conftest import set_preferences

pytestmark = pytest.mark.django_db


def shown_ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:2000]
    return [int(pk) for pk in re.findall(r'<tr id="incident-(\d+)"', response.content.decode())]


def link(response, name: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)"[^>]*data-page="{name}"', response.content.decode())
    return found.group(1).replace("&amp;", "&") if found else None


def walk_forward(ui, url: str) -> list[int]:
    """The ids shown on every page from ``url`` on, following the Next links."""
    shown, response = [], ui.get(url)
    while True:
        shown += shown_ids(response)
        nxt = link(response, "next")
        if not nxt:
            return shown
        response = ui.get("/incidents/" + nxt)


@pytest.fixture
def incidents(make_incident, user):
    """Twelve incidents, newest first: 0..11; odd ones closed, every third acked, 4 and 8 stateless."""
    made = []
    for n in range(12):
        incident = make_incident(
            level=n % 5 + 1,
            tags=[f"host=h{n % 3}", "env=prod" if n < 6 else "env=test"],
            end_time=None if n in (4, 8) else services.INFINITY,
            description=f"Incident {n} on h{n % 3}",
        )
        if n % 2 and n not in (4, 8):
            services.event_create(incident=incident, actor=user, type="CLO")
        if n % 3 == 0:
            services.acknowledgement_create(incident=incident, actor=user, description="seen")
        made.append(incident)
    return made


def test_the_list_shows_the_newest_incidents_first_with_the_built_in_columns(ui, incidents):
    response = ui.get("/incidents/?page_size=20")
    assert shown_ids(response) == [incident.pk for incident in incidents]
    html = response.content.decode()
    for header in ["Start time", "Status", "Severity level", "Source", "Description", "Ticket"]:
        assert f">{header}" in html
    assert "Incident 0 on h0" in html
    assert f'aria-label="Select incident {incidents[0].pk}: Incident 0 on h0"' in html
    assert f'href="/incidents/{incidents[0].pk}/"' in html


def test_each_row_links_once_and_says_state_ack_and_level_in_words(ui, incidents):
    html = ui.get("/incidents/").content.decode()
    row = re.search(rf'<tr id="incident-{incidents[1].pk}".*?</tr>', html, re.S).group(0)
    assert row.count("<a ") == 1
    assert ">Closed<" in row and ">Unacked<" in row and "2 - High" in row


def test_the_caption_has_the_counts_and_the_sorted_header_has_aria_sort(ui, incidents):
    html = ui.get("/incidents/").content.decode()
    assert re.search(
        r'<caption id="incidents-caption">Incidents: <span data-count>12</span> after filtering, 10 shown',
        html,
    )
    assert re.search(
        r'<th scope="col" class="" aria-sort="descending"><a href="\?sort=start_time&amp;sort_order=asc"',
        html,
    )


@pytest.mark.parametrize(
    "query, expected",
    [
        ("open=1", [0, 2, 6, 10]),
        ("open=3", [1, 3, 5, 7, 9, 11]),
        ("acked=1", [0, 3, 6, 9]),
        ("acked=3", [1, 2, 4, 5, 7, 8, 10, 11]),
        ("stateful=3", [4, 8]),
        ("tags=host=h1", [1, 4, 7, 10]),
        ("tags=host=h1,host=h2", [1, 2, 4, 5, 7, 8, 10, 11]),
        ("tags=host=h1&tags=env=prod", [1, 4]),
        ("maxlevel=1", [0, 5, 10]),
        ("level=2&level=3", [1, 2, 6, 7, 11]),
        ("description=on+h2", [2, 5, 8, 11]),
        ("special_filters=hide_closed_acked", [0, 1, 2, 4, 5, 6, 7, 8, 10, 11]),
        ("event_types=CLO", [1, 3, 5, 7, 9, 11]),
        ("open=1&acked=3", [2, 10]),
    ],
)
def test_the_filter_box_narrows_the_list(ui, incidents, query, expected):
    assert shown_ids(ui.get(f"/incidents/?page_size=20&{query}")) == [incidents[n].pk for n in expected]


def test_filtering_by_id_source_type_and_ticket(ui, incidents, user):
    other_type = SourceSystemTypeFactory(name="zabbix")
    other_source = SourceSystemFactory(name="zbx", type=other_type)
    mine = services.incident_create(
        actor=other_source.user, source=other_source, start_time=timezone.now(), description="zbx one"
    )
    services.incident_set_ticket_url(
        incident=incidents[3], actor=user, ticket_url="https://tickets.example.org/77"
    )
    assert shown_ids(ui.get(f"/incidents/?id={incidents[5].pk}")) == [incidents[5].pk]
    assert shown_ids(ui.get("/incidents/?source_types=zabbix")) == [mine.pk]
    assert shown_ids(ui.get(f"/incidents/?sourceSystemIds={other_source.pk}")) == [mine.pk]
    assert shown_ids(ui.get("/incidents/?has_ticket=yes")) == [incidents[3].pk]
    assert shown_ids(ui.get("/incidents/?ticket_url=tickets.example")) == [incidents[3].pk]


def test_the_timeframe_keeps_recent_incidents(ui, make_incident):
    old = make_incident(start_time=timezone.now() - timedelta(hours=5))
    recent = make_incident(start_time=timezone.now() - timedelta(minutes=30))
    assert shown_ids(ui.get("/incidents/?timeframe=60")) == [recent.pk]
    assert shown_ids(ui.get("/incidents/?timeframe=720")) == [recent.pk, old.pk]


def test_bad_filter_values_are_reported_and_not_applied(ui, incidents):
    response = ui.get("/incidents/?page_size=20&tags=nokey&source_types=nosuchtype")
    assert len(shown_ids(response)) == 12
    html = response.content.decode()
    assert "Tags need to have the format key=value, key2=value2" in html
    assert "Source Types: Select a valid choice." in html
    assert 'role="alert"' in html


def test_a_source_named_in_the_box_becomes_its_id_in_the_url(ui, source, incidents):
    response = ui.get("/incidents/?open=1&source_name=NAV-PROD")
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query) == {
        "open": ["1"],
        "sourceSystemIds": [str(source.pk)],
    }
    html = ui.get(response["Location"]).content.decode()
    assert f'name="sourceSystemIds" value="{source.pk}" checked' in html


def test_an_unknown_source_name_is_a_message(ui, incidents):
    response = ui.get("/incidents/?source_name=nope", follow=True)
    assert "No source is named &quot;nope&quot;." in response.content.decode()


def test_a_saved_filter_fills_the_box_and_url_values_override_it(ui, user, incidents):
    saved = FilterFactory(user=user, name="Open prod", filter={"open": True, "tags": ["env=prod"]})
    assert shown_ids(ui.get(f"/incidents/?filter={saved.pk}")) == [incidents[0].pk, incidents[2].pk]
    assert shown_ids(ui.get(f"/incidents/?filter={saved.pk}&open=3")) == [incidents[n].pk for n in (1, 3, 5)]
    html = ui.get(f"/incidents/?filter={saved.pk}").content.decode()
    assert f'<option value="{saved.pk}" selected>Open prod</option>' in html
    assert 'name="tags" id="f-tags" value="env=prod"' in html


def test_with_box_1_the_url_holds_the_whole_box(ui, user, incidents):
    saved = FilterFactory(user=user, filter={"open": True, "tags": ["env=prod"]})
    assert len(shown_ids(ui.get(f"/incidents/?filter={saved.pk}&box=1&page_size=20"))) == 12


def test_someone_elses_saved_filter_cannot_be_selected(ui, incidents):
    theirs = FilterFactory(user=EndUserFactory(), filter={"open": True})
    assert ui.get(f"/incidents/?filter={theirs.pk}").status_code == 404
    assert ui.get("/incidents/?filter=abc").status_code == 404
    assert ui.get("/incidents/?filter=99999999999999999999999").status_code == 404


def test_only_own_saved_filters_are_offered(ui, user, incidents):
    FilterFactory(user=user, name="Mine")
    FilterFactory(user=EndUserFactory(), name="Theirs")
    html = ui.get("/incidents/").content.decode()
    assert ">Mine</option>" in html and "Theirs" not in html


@pytest.mark.parametrize(
    "sort",
    [
        "pk",
        "start_time",
        "end_time",
        "level",
        "source__name",
        "source__type__name",
        "description",
        "ticket_url",
    ],
)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_every_sort_pages_through_every_incident_exactly_once_both_ways(ui, incidents, sort, order):
    everything = shown_ids(ui.get(f"/incidents/?sort={sort}&sort_order={order}&page_size=100"))
    assert sorted(everything) == sorted(incident.pk for incident in incidents)
    assert walk_forward(ui, f"/incidents/?sort={sort}&sort_order={order}&page_size=10") == everything
    last = ui.get(
        "/incidents/" + link(ui.get(f"/incidents/?sort={sort}&sort_order={order}&page_size=10"), "last")
    )
    assert shown_ids(last) == everything[-10:]
    previous = ui.get("/incidents/" + link(last, "previous"))
    assert shown_ids(previous) == everything[:10]


def test_the_sort_order_follows_the_column(ui, incidents):
    by_level = shown_ids(ui.get("/incidents/?sort=level&sort_order=asc&page_size=20"))
    levels = [Incident.objects.get(pk=pk).level for pk in by_level]
    assert levels == sorted(levels)
    # ties broken by the newest start
    ones = [pk for pk in by_level if Incident.objects.get(pk=pk).level == 1]
    assert ones == [incidents[0].pk, incidents[5].pk, incidents[10].pk]


def test_unknown_sort_values_fall_back_to_the_start_time(ui, incidents):
    assert shown_ids(ui.get("/incidents/?sort=password&sort_order=sideways&page_size=20")) == [
        i.pk for i in incidents
    ]


def test_paging_is_stable_while_incidents_arrive(ui, incidents, make_incident):
    first = ui.get("/incidents/?page_size=10")
    for _ in range(3):
        make_incident(start_time=timezone.now())
    second = ui.get("/incidents/" + link(first, "next"))
    assert shown_ids(second) == [incidents[10].pk, incidents[11].pk]


def test_a_mangled_cursor_shows_the_first_page(ui, incidents):
    assert shown_ids(ui.get("/incidents/?cursor=garbage!!&page_size=10")) == [
        incidents[n].pk for n in range(10)
    ]
    assert shown_ids(ui.get("/incidents/?cursor=WyJhIiwgWzFdXQ&page_size=10")) == [
        incidents[n].pk for n in range(10)
    ]


def test_the_first_page_has_no_first_or_previous_link(ui, incidents):
    response = ui.get("/incidents/?page_size=10")
    assert link(response, "first") is None and link(response, "previous") is None
    assert link(response, "next") and link(response, "last")


def test_a_page_size_in_the_url_is_kept_as_the_preference(ui, user, incidents):
    assert len(shown_ids(ui.get("/incidents/?page_size=20"))) == 12
    assert stored_preferences(user)["page_size"] == 20
    assert len(shown_ids(ui.get("/incidents/?box=1"))) == 12
    assert len(shown_ids(ui.get("/incidents/?page_size=7&box=1"))) == 12  # not a choice: the preference


def test_the_box_is_remembered_and_restored_on_a_bare_visit(ui, user, incidents):
    ui.get("/incidents/?open=1&tags=env=prod")
    assert stored_preferences(user)["incident_filter"] == {"open": ["1"], "tags": ["env=prod"]}
    response = ui.get("/incidents/")
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query) == {"open": ["1"], "tags": ["env=prod"]}
    ui.get("/incidents/?box=1")
    assert ui.get("/incidents/").status_code == 200


def test_the_url_reproduces_the_view(ui, incidents):
    url = "/incidents/?open=3&sort=level&sort_order=asc&page_size=10"
    assert shown_ids(ui.get(url)) == shown_ids(ui.get(url))
    other_browser_same_user = ui.get(url)
    assert shown_ids(other_browser_same_user) == [incidents[n].pk for n in (5, 1, 11, 7, 3, 9)]


def test_htmx_gets_the_canonical_url_to_show(htmx, incidents):
    response = htmx.get("/incidents/?box=1&open=1&acked=2&tags=&description=&maxlevel=5")
    assert response["HX-Push-Url"] == "/incidents/?open=1"


def test_counts_after_filtering_stop_at_the_limit(ui, incidents, monkeypatch):
    monkeypatch.setattr("argus.ui.conf.COUNT_LIMIT", 5)
    html = ui.get("/incidents/").content.decode()
    assert "<dd data-count>5+</dd>" in html
    assert "<dt>Total, all time</dt><dd>12</dd>" in html


def test_the_total_is_cached(ui, incidents, make_incident):
    ui.get("/incidents/")
    make_incident()
    assert "<dt>Total, all time</dt><dd>12</dd>" in ui.get("/incidents/").content.decode()


def test_the_kiosk_shows_a_strip_and_no_selection_filters_or_paginator(ui, user, incidents):
    saved = FilterFactory(user=user, name="Prod", filter={"tags": ["env=prod"]})
    html = ui.get(f"/incidents/kiosk/?filter={saved.pk}&open=1").content.decode()
    assert "<dt>Filter:</dt><dd>Prod (Unsaved)</dd>" in html
    assert (
        'class="row-select"' not in html
        and 'id="filter-form"' not in html
        and 'aria-label="Pages"' not in html
    )
    assert (
        f'href="/incidents/?filter={saved.pk}&amp;box=1&amp;open=1&amp;tags=env%3Dprod">Exit kiosk</a>'
        in html
    )
    assert "Unset" in ui.get("/incidents/kiosk/").content.decode()


def test_the_kiosk_shows_up_to_100_rows_of_page_1(ui, incidents):
    assert len(shown_ids(ui.get("/incidents/kiosk/?page_size=10&cursor=bA"))) == 12


def test_the_kiosk_button_carries_the_filters(ui, incidents):
    html = ui.get("/incidents/?open=1&sort=level&sort_order=asc&page_size=20").content.decode()
    assert 'href="/incidents/kiosk/?open=1&amp;sort=level&amp;sort_order=asc">Kiosk</a>' in html


def test_the_notifications_layout_shows_tags_and_events(ui, user, incidents):
    set_preferences(user, {"incidents_table_column_name": "notifications"})
    html = ui.get("/incidents/").content.decode()
    assert ">Tags<" in html and ">Events<" in html
    assert 'class="badge tag">host=h0</span>' in html
    assert 'title="Incident start: Incident 0 on h0">STA</span>' in html
    assert 'class="row-select"' not in html


def test_a_site_layout_setting_adds_a_layout(ui, user, incidents, settings):
    settings.INCIDENT_TABLE_COLUMN_LAYOUTS = {"tiny": ["id", "description"]}
    set_preferences(user, {"incidents_table_column_name": "tiny"})
    html = ui.get("/incidents/").content.decode()
    assert re.findall(r'<th scope="col"', html) and ">ID<" in html and ">Start time<" not in html


# --- cost --------------------------------------------------------------------------------------------


@pytest.fixture
def many(make_incident, user):
    for n in range(60):
        incident = make_incident(tags=[f"host=h{n}", f"rack=r{n % 4}", "env=prod"])
        if n % 2:
            services.acknowledgement_create(incident=incident, actor=user, description="x")
        services.event_create(incident=incident, actor=user, type="OTH", description="note")


@pytest.mark.parametrize(
    ("query", "queries"),
    [
        ("", 8),
        # a tag key with several values looks up the tags' ids first (the list filter's rule)
        ("&open=1&acked=3&tags=rack=r1,rack=r2", 9),
        ("&sort=source__name&sort_order=asc", 8),
        ("&sort=end_time", 8),
    ],
)
def test_a_list_page_costs_the_same_number_of_queries_whatever_its_size(
    ui, user, many, query, queries, django_assert_num_queries
):
    ui.get(
        f"/incidents/?box=1&page_size=10{query}"
    )  # the total is counted once a minute; the box is remembered
    # session, user, preferences, page, tags, count, saved filters, source types
    with django_assert_num_queries(queries):
        assert len(shown_ids(ui.get(f"/incidents/?box=1&page_size=10{query}"))) <= 10
    ui.get(f"/incidents/?box=1&page_size=100{query}")
    with django_assert_num_queries(queries):
        ui.get(f"/incidents/?box=1&page_size=100{query}")


def test_the_events_column_adds_one_query_whatever_the_page_size(ui, user, many, django_assert_num_queries):
    set_preferences(user, {"incidents_table_column_name": "notifications", "page_size": 10})
    ui.get("/incidents/?box=1")
    with django_assert_num_queries(9):
        ui.get("/incidents/?box=1")
    ui.get("/incidents/?box=1&page_size=100")
    with django_assert_num_queries(9):
        ui.get("/incidents/?box=1&page_size=100")


@pytest.fixture
def tied(make_incident):
    """30 incidents with host=a, host=b, both or neither; pairs start at the same moment."""
    moment = timezone.now()
    hosts = [["host=a"], ["host=b"], ["host=a", "host=b"], ["host=c"]]
    return [
        make_incident(start_time=moment - timedelta(minutes=n // 2), tags=hosts[n % 4] + ["env=x"])
        for n in range(30)
    ]


@pytest.mark.parametrize("sort", ["start_time", "pk", "level", "description"])
@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("extra", ["", "&open=1", "&tags=env=x"])
def test_several_values_of_a_tag_key_page_through_each_incident_once_both_ways(ui, tied, sort, order, extra):
    query = f"/incidents/?tags=host=a,host=b{extra}&sort={sort}&sort_order={order}"
    everything = shown_ids(ui.get(f"{query}&page_size=100"))
    assert sorted(everything) == sorted(incident.pk for n, incident in enumerate(tied) if n % 4 != 3)
    first = ui.get(f"{query}&page_size=10").content.decode()
    assert f"<span data-count>{len(everything)}</span> after filtering" in first
    assert walk_forward(ui, f"{query}&page_size=10") == everything
    last = ui.get("/incidents/" + link(ui.get(f"{query}&page_size=10"), "last"))
    assert shown_ids(last) == everything[-10:]
    before_last = ui.get("/incidents/" + link(last, "previous"))
    assert shown_ids(before_last) == everything[-20:-10]
