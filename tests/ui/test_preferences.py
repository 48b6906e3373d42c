"""User preferences at /user/."""

import json

import pytest

from argus.auth.models import Preferences
from argus.ui.preferences import stored_preferences
from tests.ui.conftest import set_preferences

pytestmark = pytest.mark.django_db


def test_the_page_shows_every_preference_with_its_current_value(ui, user):
    set_preferences(user, {"theme": "dark", "page_size": 50})
    html = ui.get("/user/").content.decode()
    assert "<title>User preferences · Argus</title>" in html
    for label in [
        "Theme",
        "Date format",
        "Time zone",
        "Page size",
        "Update interval",
        "Incidents table layout",
        "Table column preset",
        "Keyboard shortcuts",
    ]:
        assert f">{label}</label>" in html
    assert '<option value="dark" selected>dark</option>' in html
    assert '<option value="50" selected>50</option>' in html
    assert '<option value="live" selected>Live (pushed at once)</option>' in html
    assert "ISO</strong>: 20" in html


def test_saving_a_choice_redirects_back_with_a_message(ui, user):
    response = ui.post("/user/update/argus_htmx/", {"theme": "light", "page_size": "20"})
    assert response.status_code == 303
    assert response["Location"] == "/user/"
    assert [str(m) for m in response.wsgi_request._messages._queued_messages] == ["Saved theme, page size."]
    assert stored_preferences(user) == {"theme": "light", "page_size": 20}


def test_a_post_may_go_back_to_where_it_came_from(ui, user):
    response = ui.post("/user/update/argus_htmx/", {"update_interval": "30", "next": "/incidents/?open=1"})
    assert response["Location"] == "/incidents/?open=1"
    assert stored_preferences(user)["update_interval"] == "30"


def test_keyboard_shortcuts_can_be_turned_off(ui, user):
    ui.post("/user/update/argus_htmx/", {"keyboard_shortcuts": "off"})
    assert stored_preferences(user)["keyboard_shortcuts"] is False
    assert 'data-shortcuts="off"' in ui.get("/incidents/").content.decode()


def test_an_invalid_choice_is_refused_with_the_form_and_its_errors(ui, user):
    response = ui.post("/user/update/argus_htmx/", {"theme": "neon", "timezone": "Mars/Olympus"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Select a valid choice. neon is not one of the available choices." in html
    assert 'role="alert"' in html and 'aria-invalid="true"' in html
    assert stored_preferences(user) == {}


def test_an_unknown_namespace_is_a_404(ui):
    assert ui.post("/user/update/other/", {"theme": "dark"}).status_code == 404


def test_with_htmx_a_saved_choice_answers_a_toast_and_the_theme(htmx, user):
    response = htmx.post("/user/update/argus_htmx/", {"theme": "dark"})
    assert json.loads(response["HX-Trigger"]) == {
        "argus:done": {"ids": [], "notes": [{"level": "success", "text": "Saved theme."}]},
        "argus:prefs": {"theme": "dark"},
    }


def test_stored_values_that_are_no_longer_choices_read_as_the_defaults(ui, user, settings):
    Preferences.objects.create(
        user=user,
        namespace="argus_htmx",
        preferences={"page_size": 7, "theme": "sikt-dark", "timezone": "Nowhere/Land"},
    )
    html = ui.get("/user/").content.decode()
    assert '<option value="10" selected>10</option>' in html
    assert '<option value="dark" selected>dark</option>' in html  # the old name of the dark theme
    assert '<option value="Europe/Oslo" selected>Europe/Oslo</option>' in html


def test_the_table_preview_renders_one_incident_with_a_preset(ui, make_incident):
    make_incident(description="Preview me", tags=["a=b"])
    html = ui.get("/user/incident-table-preview/?incidents_table_column_name=notifications").content.decode()
    assert ">Tags</th>" in html and "a=b" in html


def test_preferences_are_per_user(ui, user, admin_ui):
    admin_ui.post("/user/update/argus_htmx/", {"theme": "dark"})
    assert stored_preferences(user) == {}
