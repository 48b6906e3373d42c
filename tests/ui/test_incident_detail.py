"""The incident detail page without scripts."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from argus.incident import services
from argus.incident.models import Event
from tests.ui.conftest import set_preferences

pytestmark = pytest.mark.django_db


def test_the_detail_page_shows_status_tags_details_acks_and_events(ui, user, make_incident, source):
    source.base_url = "https://nav.example.org/"
    source.save()
    incident = make_incident(
        description="Link down",
        level=2,
        tags=["host=sw1", "doc=https://wiki.example.org/sw1"],
        details_url="ipdevinfo/sw1",
    )
    services.acknowledgement_create(
        incident=incident, actor=user, description="On it", expiration=timezone.now() + timedelta(hours=2)
    )
    services.event_create(incident=incident, actor=user, type="OTH", description="Called the vendor")
    response = ui.get(f"/incidents/{incident.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"<title>{incident.pk}: Link down · Argus</title>" in html
    assert f"<h1>Incident {incident.pk}: Link down</h1>" in html
    assert (
        "2 - High" in html
        and ">Open</span>" in html
        and ">Acknowledged</span>" in html
        and "No ticket" in html
    )
    assert '<span class="badge tag">host=sw1</span>' in html
    assert 'doc=<a href="https://wiki.example.org/sw1"' in html
    assert 'href="https://nav.example.org/ipdevinfo/sw1"' in html
    assert "On it" in html and "Expires:" in html
    assert "<strong>Other</strong>: Called the vendor" in html
    assert "<strong>Incident start</strong>" in html
    assert "<strong>Acknowledge</strong>" not in html  # acks are listed as acks, not as events
    assert "Close incident" in html and "Reopen incident" not in html
    assert re.search(r'<time datetime="[^"]+\+0[12]:00" title="[^"]+">', html)


def test_a_closed_incident_offers_reopen_and_a_stateless_one_neither(ui, user, make_incident):
    closed = make_incident()
    services.event_create(incident=closed, actor=user, type="CLO")
    stateless = make_incident(end_time=None)
    closed_html = ui.get(f"/incidents/{closed.pk}/").content.decode()
    assert "Reopen incident" in closed_html and "Total duration" in closed_html
    stateless_html = ui.get(f"/incidents/{stateless.pk}/").content.decode()
    assert "Reopen incident" not in stateless_html and "Close incident" not in stateless_html
    assert "<dt>Timestamp</dt>" in stateless_html


def test_times_follow_the_date_format_and_time_zone_preferences(ui, user, make_incident):
    moment = datetime(2026, 11, 22, 10, 39, 27, tzinfo=UTC)
    incident = make_incident(start_time=moment)
    set_preferences(user, {"datetime_format_name": "ISO", "timezone": "America/New_York"})
    html = ui.get(f"/incidents/{incident.pk}/").content.decode()
    assert (
        '<time datetime="2026-11-22T05:39:27-05:00" title="2026-11-22 05:39:27 -0500">2026-11-22 05:39:27</time>'
        in html
    )
    set_preferences(user, {"datetime_format_name": "EPOCH"})
    assert ">1795343967</time>" in ui.get(f"/incidents/{incident.pk}/").content.decode()


def test_an_unknown_incident_is_a_404(ui):
    assert ui.get("/incidents/424242/").status_code == 404
    assert ui.get("/incidents/99999999999999999999/").status_code == 404


def test_events_show_the_newest_100_first_with_show_more(ui, user, make_incident, django_assert_num_queries):
    incident = make_incident()
    now = timezone.now()
    Event.objects.bulk_create(
        [
            Event(
                incident=incident,
                actor=user,
                timestamp=now + timedelta(seconds=n),
                type="OTH",
                description=f"note {n}",
            )
            for n in range(150)
        ]
    )
    html = ui.get(f"/incidents/{incident.pk}/").content.decode()
    assert html.count('<article class="entry">') == 100
    assert "note 149" in html and "note 50" in html and "note 49" not in html
    assert 'href="?events=200">Show more</a>' in html
    more = ui.get(f"/incidents/{incident.pk}/?events=200").content.decode()
    assert more.count('<article class="entry">') == 151 and "Show more" not in more
    # session, user, preferences, incident, tags, maintenance tasks, events, acks
    with django_assert_num_queries(8):
        ui.get(f"/incidents/{incident.pk}/?events=200")
