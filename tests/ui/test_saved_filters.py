"""Saved filters from the incident list without scripts: create one from the filter box, save the
box into it, delete it; only one's own; through the notification services."""

import html as html_lib
from urllib.parse import parse_qs, urlsplit

import pytest

from argus.notificationprofile.models import Filter
from tests.factories import EndUserFactory
from tests.notificationprofile.factories import FilterFactory, NotificationProfileFactory

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages._queued_messages]


def query_of(location: str) -> dict:
    parts = urlsplit(location)
    assert parts.path == "/incidents/"
    return parse_qs(parts.query)


@pytest.fixture
def saved(user):
    return FilterFactory(user=user, name="Prod", filter={"tags": ["env=prod"], "open": True})


def test_the_list_offers_create_and_for_a_selected_filter_save_and_delete(ui, saved):
    html = ui.get("/incidents/?box=1&open=1").content.decode()
    assert 'href="/incidents/filter-create/?view=open%3D1"' in html
    assert "/incidents/filter/update/" not in html
    html = ui.get(f"/incidents/?filter={saved.pk}").content.decode()
    assert f'action="/incidents/filter/update/{saved.pk}/"' in html
    assert f'href="/incidents/filter/delete/{saved.pk}/?view=filter%3D{saved.pk}%26box%3D1' in html


def test_the_create_page_asks_a_name_and_says_what_a_filter_cannot_hold(ui):
    html = html_lib.unescape(
        ui.get("/incidents/filter-create/?view=open%3D1%26timeframe%3D60").content.decode()
    )
    assert 'name="filter_name"' in html and 'name="view" value="open=1&timeframe=60"' in html
    assert "A filter cannot hold: Timeframe" in html


def test_a_filter_is_created_from_the_box_and_then_selected(ui, user):
    view = "open=1&acked=3&tags=env%3Dprod&maxlevel=3&event_types=ACK&sort=level&sort_order=asc"
    response = ui.post("/incidents/filter-create/", {"filter_name": "Mine", "view": view})
    assert response.status_code == 303
    created = Filter.objects.get(user=user, name="Mine")
    assert created.filter == {
        "tags": ["env=prod"],
        "open": True,
        "acked": False,
        "stateful": None,
        "maxlevel": 3,
        "event_types": ["ACK"],
    }
    query = query_of(response["Location"])
    assert query["filter"] == [str(created.pk)] and query["sort"] == ["level"]
    assert messages_of(response) == ['Created filter "Mine".']
    assert ui.get(response["Location"]).status_code == 200


def test_fields_a_filter_cannot_hold_stay_in_the_view_with_a_warning(ui, user):
    response = ui.post(
        "/incidents/filter-create/", {"filter_name": "Recent", "view": "open=1&timeframe=60&level=1"}
    )
    assert response.status_code == 303
    assert Filter.objects.get(name="Recent").filter["open"] is True
    assert query_of(response["Location"])["timeframe"] == ["60"]
    assert messages_of(response)[1] == (
        "A saved filter cannot hold these, so they narrow this view only: Severity levels, Timeframe."
    )


def test_a_taken_name_or_no_name_is_a_form_error(ui, saved):
    response = ui.post("/incidents/filter-create/", {"filter_name": "Prod", "view": "open=1"})
    assert response.status_code == 422
    assert 'operator already has a filter named "Prod".' in html_lib.unescape(response.content.decode())
    response = ui.post("/incidents/filter-create/", {"filter_name": "", "view": ""})
    assert response.status_code == 422
    assert Filter.objects.count() == 1


def test_htmx_gets_the_form_for_a_dialog_and_a_redirect(htmx):
    response = htmx.get("/incidents/filter-create/?view=open%3D1")
    assert response.content.decode().startswith("<form")
    response = htmx.post("/incidents/filter-create/", {"filter_name": "Open", "view": "open=1"})
    assert response.status_code == 204 and response["HX-Redirect"].startswith("/incidents/?filter=")


def test_save_overwrites_the_selected_filter_with_the_box(ui, saved):
    response = ui.post(f"/incidents/filter/update/{saved.pk}/", {"view": f"filter={saved.pk}&box=1&acked=1"})
    assert response.status_code == 303
    saved.refresh_from_db()
    assert saved.filter == {"open": None, "acked": True, "stateful": None, "maxlevel": None}
    assert messages_of(response) == ['Saved filter "Prod".']
    assert query_of(response["Location"])["filter"] == [str(saved.pk)]


def test_delete_asks_then_deletes_and_keeps_the_box(ui, saved):
    html = ui.get(f"/incidents/filter/delete/{saved.pk}/?view=filter%3D{saved.pk}").content.decode()
    assert "Delete the filter &quot;Prod&quot;?" in html
    response = ui.post(f"/incidents/filter/delete/{saved.pk}/", {"view": f"filter={saved.pk}"})
    assert response.status_code == 303
    assert not Filter.objects.filter(pk=saved.pk).exists()
    query = query_of(response["Location"])
    assert "filter" not in query and query["open"] == ["1"] and query["tags"] == ["env=prod"]


def test_a_filter_in_use_is_not_deleted_and_says_why(ui, user, saved):
    NotificationProfileFactory(user=user, name="Pager", filters=[saved])
    response = ui.post(f"/incidents/filter/delete/{saved.pk}/", {"view": ""})
    assert response.status_code == 303
    assert messages_of(response) == [
        "Cannot delete this filter since it is in use in the notification profile(s): Pager."
    ]
    assert Filter.objects.filter(pk=saved.pk).exists()


def test_only_the_owner_may_save_or_delete_a_filter(ui):
    theirs = FilterFactory(user=EndUserFactory(), name="Theirs", filter={"open": True})
    assert ui.post(f"/incidents/filter/update/{theirs.pk}/", {"view": "acked=1"}).status_code == 403
    assert ui.post(f"/incidents/filter/delete/{theirs.pk}/", {"view": ""}).status_code == 403
    assert ui.post("/incidents/filter/update/999999/", {"view": ""}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.filter == {"open": True}
