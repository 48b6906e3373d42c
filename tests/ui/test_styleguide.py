"""The public style guide: the UI's widgets from its own templates, with made-up data only."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import SourceSystemFactory

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_see_the_style_guide_without_a_single_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/styleguide/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Style guide · Argus</title>" in html
    assert html.count("<h1") == 1 and 'href="/accounts/login/"' in html
    assert client.head("/styleguide/").status_code == 200
    assert client.post("/styleguide/").status_code == 405


def test_it_shows_buttons_badges_fields_with_errors_toasts_rows_and_a_confirmation(client):
    html = client.get("/styleguide/").content.decode()
    # buttons
    for css in ["primary", "primary danger", "small", "link-button"]:
        assert f'<button type="button" class="{css}">' in html
    # level, status, ack and heartbeat-state badges, as the list and the sources page draw them
    assert '<span class="level level-1">1 - Critical</span>' in html
    assert '<span class="level level-5">5 - Information</span>' in html
    assert (
        '<span class="badge state-open">Open</span>' in html
        and '<span class="badge acked">Acked</span>' in html
    )
    for state, text in [("off", "Off"), ("waiting", "Waiting"), ("alive", "Alive"), ("dead", "Dead")]:
        assert re.search(rf'<span class="badge liveness liveness-{state}"[^>]*>{text}</span>', html)
    # fields with their errors, tied to them and summed up at the top
    assert (
        '<a href="#id_heartbeat_frequency">Heartbeat frequency (seconds): Ensure this value is at least 60'
        in html
    )
    assert '<span class="field-error" id="id_heartbeat_frequency-error">' in html
    assert '<a href="#id_description">Message: Ensure this value has at most 100 characters' in html
    assert html.count('aria-invalid="true"') >= 3
    # toasts of each level, kept on the page
    for level in ["success", "info", "warning", "error"]:
        assert f'<div class="toast toast-{level}">' in html
    assert 'class="styleguide-toasts" data-static>' in html
    # a sample incident row and source rows, from the real row templates
    assert re.search(r'<tr id="incident-1234" data-pk="1234"[^>]*class="incident-row state-open', html)
    assert "Link down on sw-core-1 port 48" in html
    assert '<tr id="source-9004">' in html and "<td>sample-dead</td>" in html
    # the confirmation form
    assert 'class="stacked confirm-form"' in html
    assert "Delete the source &quot;sample-off&quot; and its system user?" in html


def test_it_shows_no_data_from_the_database(client, staff_ui, make_incident):
    """Real incidents, sources and users never appear; a logged-in visitor's page reads only the
    session, the user and the theme."""
    make_incident(description="A real incident nobody should see here")
    SourceSystemFactory(name="real-source-name")
    for browser in (client, staff_ui):
        with CaptureQueriesContext(connection) as queries:
            html = browser.get("/styleguide/").content.decode()
        assert "A real incident" not in html and "real-source-name" not in html and "nav-prod" not in html
        tables = " ".join(query["sql"] for query in queries.captured_queries)
        assert "argus_incident_" not in tables.lower() and "notificationprofile" not in tables.lower()
    assert len(queries.captured_queries) <= 3  # session, user, preferences (for the theme)
    assert "staffer" in html  # the visitor's own user menu, as on every page


def test_it_has_the_layout_of_every_page(client):
    html = client.get("/styleguide/").content.decode()
    assert '<html lang="en"' in html and 'href="#main">Skip to content</a>' in html
    assert "<header" in html and "<main" in html and "<nav" in html


def test_without_the_ui_there_is_no_style_guide(client, ui_off):
    assert client.get("/styleguide/").status_code == 404
