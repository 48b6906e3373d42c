"""Writes through the UI: every one calls the incident services, answers 303 with a message (or,
for htmx, toasts and the ids to re-render), and reports the outcome per incident."""

import json

import pytest
from django.contrib.auth.models import Group

from argus.incident import services
from argus.incident.models import Acknowledgement, Event, Incident, IncidentTagRelation
from argus.ui.views import actions
from tests.ui.conftest import set_preferences

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    """The messages this response added (earlier unread ones stay in the client's cookie)."""
    return [str(message) for message in response.wsgi_request._messages._queued_messages]


@pytest.fixture
def three(make_incident):
    return [make_incident() for _ in range(3)]


@pytest.fixture
def frames(monkeypatch):
    """What the services broadcast (the websocket frames of realtime.md)."""
    sent = []
    monkeypatch.setattr(
        "argus.incident.services.broadcast_after_commit",
        lambda change, ids, payloads=None: sent.append((change, list(ids))),
    )
    return sent


@pytest.mark.parametrize("action", ["ack", "close", "reopen", "update-ticket", "add-ticket"])
def test_each_action_has_a_form_page_for_browsers_without_scripts(ui, three, action):
    ids = "&".join(f"incident_ids={incident.pk}" for incident in three)
    response = ui.get(f"/incidents/update/{action}/?{ids}&next=/incidents/%3Fopen%3D1")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'action="/incidents/update/{action}/"' in html
    for incident in three:
        assert f'name="incident_ids" value="{incident.pk}"' in html
    assert 'name="next" value="/incidents/?open=1"' in html


def test_acknowledging_from_the_bulk_form_redirects_back_with_the_outcome(ui, user, three, frames):
    data = {
        "incident_ids": [three[0].pk, three[1].pk, 777777],
        "description": "On it",
        "next": "/incidents/?open=1",
    }
    response = ui.post("/incidents/update/ack/", data)
    assert response.status_code == 303
    assert response["Location"] == "/incidents/?open=1"
    assert messages_of(response) == ["Acknowledged 2; 1 not found."]
    assert (
        Acknowledgement.objects.filter(
            event__incident__in=three[:2], event__actor=user, event__description="On it"
        ).count()
        == 2
    )
    assert frames == [("modified", [three[0].pk, three[1].pk])]


def test_an_ack_needs_a_message_and_a_future_expiration(ui, three):
    response = ui.post("/incidents/update/ack/", {"incident_ids": three[0].pk, "description": ""})
    assert response.status_code == 422
    assert "Message: This field is required." in response.content.decode()
    response = ui.post(
        "/incidents/update/ack/",
        {"incident_ids": three[0].pk, "description": "x", "expiration": "2001-01-01T10:00"},
    )
    assert response.status_code == 422
    assert "The expiration must be in the future." in response.content.decode()
    assert not Acknowledgement.objects.exists()


def test_an_ack_expiration_is_read_in_the_users_time_zone(ui, user, three):
    set_preferences(user, {"timezone": "UTC"})
    response = ui.post(
        "/incidents/update/ack/",
        {"incident_ids": three[0].pk, "description": "x", "expiration": "2099-01-01T10:00"},
    )
    assert response.status_code == 303
    assert Acknowledgement.objects.get().expiration.isoformat() == "2099-01-01T10:00:00+00:00"


def test_closing_reports_what_was_already_closed_and_stateless(ui, user, make_incident, frames):
    open_one, closed, stateless = make_incident(), make_incident(), make_incident(end_time=None)
    services.event_create(incident=closed, actor=user, type="CLO")
    frames.clear()
    response = ui.post(
        "/incidents/update/close/",
        {"incident_ids": [open_one.pk, closed.pk, stateless.pk, 999], "description": "done"},
    )
    assert messages_of(response) == ["Closed 1; 1 was already closed; 1 is stateless; 1 not found."]
    assert not Incident.objects.get(pk=open_one.pk).open
    assert Event.objects.filter(type="CLO", description="done").count() == 1
    assert frames == [("modified", [open_one.pk])]


def test_reopening_only_touches_closed_incidents(ui, user, three):
    services.event_create(incident=three[0], actor=user, type="CLO")
    response = ui.post("/incidents/update/reopen/", {"incident_ids": [three[0].pk, three[1].pk]})
    assert messages_of(response) == ["Reopened 1; 1 was already open."]
    assert Incident.objects.get(pk=three[0].pk).open
    assert Event.objects.filter(type="REO").count() == 1


def test_changing_and_removing_the_ticket(ui, three):
    response = ui.post(
        "/incidents/update/update-ticket/",
        {"incident_ids": [three[0].pk, three[1].pk], "ticket_url": "https://t.example.org/1"},
    )
    assert messages_of(response) == ["Ticket set on 2."]
    response = ui.post(
        "/incidents/update/update-ticket/",
        {"incident_ids": [three[0].pk, three[2].pk], "ticket_url": "https://t.example.org/1"},
    )
    assert messages_of(response) == ["Ticket set on 1; 1 was unchanged."]
    response = ui.post("/incidents/update/update-ticket/", {"incident_ids": [three[0].pk], "ticket_url": ""})
    assert messages_of(response) == ["Ticket removed from 1."]
    assert Incident.objects.get(pk=three[0].pk).ticket_url == ""
    assert Event.objects.filter(type="CHI").count() == 4


def test_adding_a_ticket_needs_a_url(ui, three):
    response = ui.post(
        "/incidents/update/add-ticket/", {"incident_ids": three[0].pk, "ticket_url": "not a url"}
    )
    assert response.status_code == 422
    assert "Enter a valid URL." in response.content.decode()


def test_a_ticket_plugin_creates_a_ticket(ui, three, settings):
    settings.TICKET_PLUGIN = "argus.incident.ticket.dummy.DummyTicketPlugin"
    response = ui.post(
        "/incidents/update/autocreate-ticket/",
        {"incident_ids": three[0].pk, "next": f"/incidents/{three[0].pk}/"},
    )
    assert response.status_code == 303
    assert messages_of(response) == [f"Created a ticket for incident {three[0].pk}."]
    assert Incident.objects.get(pk=three[0].pk).ticket_url


def test_without_a_ticket_plugin_autocreate_is_an_invalid_action(ui, three):
    assert ui.post("/incidents/update/autocreate-ticket/", {"incident_ids": three[0].pk}).status_code == 400


def test_an_unknown_action_is_a_400(ui, three):
    response = ui.post("/incidents/update/explode/", {"incident_ids": three[0].pk})
    assert response.status_code == 400
    assert response.content == b"Invalid update action"


def test_no_selection_goes_back_with_a_warning(ui):
    response = ui.post("/incidents/update/close/", {"next": "/incidents/?open=1"})
    assert response.status_code == 303
    assert response["Location"] == "/incidents/?open=1"
    assert messages_of(response) == ["No incidents were selected."]


def test_next_must_stay_on_this_site(ui, three):
    response = ui.post(
        "/incidents/update/close/", {"incident_ids": three[0].pk, "next": "https://evil.example.org/"}
    )
    assert response["Location"] == "/incidents/"


def test_with_htmx_an_action_answers_toasts_and_the_ids_to_refresh(htmx, three):
    response = htmx.post("/incidents/update/close/", {"incident_ids": [three[0].pk, three[1].pk]})
    assert response.status_code == 200
    assert response["HX-Reswap"] == "none"
    assert json.loads(response["HX-Trigger"]) == {
        "argus:done": {
            "ids": [three[0].pk, three[1].pk],
            "notes": [{"level": "success", "text": "Closed 2."}],
        }
    }


def test_with_htmx_an_invalid_form_comes_back_as_the_form_with_its_errors(htmx, three):
    response = htmx.post("/incidents/update/ack/", {"incident_ids": three[0].pk, "description": ""})
    assert response.status_code == 422
    html = response.content.decode()
    assert html.startswith('<form method="post" action="/incidents/update/ack/"')
    assert 'aria-invalid="true"' in html and 'role="alert"' in html


def test_with_htmx_the_form_of_a_dialog_is_a_fragment(htmx, three):
    response = htmx.get(f"/incidents/update/ack/?incident_ids={three[0].pk}")
    assert response.content.decode().startswith('<form method="post"')


def test_anonymous_writes_go_to_the_login_page(client, three):
    response = client.post("/incidents/update/close/", {"incident_ids": three[0].pk})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert Incident.objects.get(pk=three[0].pk).open


def test_members_of_the_read_only_group_see_no_write_controls_and_may_write_nothing(
    ui, user, three, settings
):
    settings.ARGUS_UI_READONLY_GROUP = "viewers"
    user.groups.add(Group.objects.create(name="viewers"))
    html = ui.get("/incidents/").content.decode()
    assert 'id="bulk-form"' not in html and 'class="row-select"' not in html
    detail = ui.get(f"/incidents/{three[0].pk}/").content.decode()
    assert "Close incident" not in detail and "Add tag" not in detail
    assert ui.post("/incidents/update/close/", {"incident_ids": three[0].pk}).status_code == 403
    assert ui.get(f"/incidents/update/close/?incident_ids={three[0].pk}").status_code == 403
    assert ui.post(f"/incidents/{three[0].pk}/tags/add/", {"tag": "a=b"}).status_code == 403
    assert Incident.objects.get(pk=three[0].pk).open


def test_any_user_may_act_on_any_incident(ui, make_incident, source):
    incident = make_incident()
    assert ui.post("/incidents/update/close/", {"incident_ids": incident.pk}).status_code == 303


def test_adding_and_removing_tags_on_the_detail_page(ui, user, three, frames):
    incident = three[0]
    response = ui.post(
        f"/incidents/{incident.pk}/tags/add/", {"tag": "team=noc", "next": f"/incidents/{incident.pk}/"}
    )
    assert response.status_code == 303
    assert messages_of(response) == ["Added tag team=noc."]
    assert IncidentTagRelation.objects.filter(
        incident=incident, tag__key="team", tag__value="noc", added_by=user
    ).exists()
    response = ui.post(f"/incidents/{incident.pk}/tags/remove/", {"tag": "team=noc"})
    assert messages_of(response) == ["Removed tag team=noc."]
    assert not IncidentTagRelation.objects.filter(incident=incident).exists()
    assert frames == [("modified", [incident.pk]), ("modified", [incident.pk])]


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("Bad Key=x", "Enter a valid key consisting of lowercase letters, numbers and underscores."),
        ("nodelimiter", "The tag does not have its delimiter: =."),
        ("k=" + "v" * 601, "The value of the tag cannot be longer than 600 characters."),
    ],
)
def test_a_malformed_tag_is_refused_with_the_tag_rules_message(ui, three, tag, message):
    response = ui.post(f"/incidents/{three[0].pk}/tags/add/", {"tag": tag})
    assert messages_of(response) == [message]
    assert not IncidentTagRelation.objects.filter(incident=three[0]).exists()


def test_writes_refuse_get_where_they_have_no_form(ui, three):
    assert ui.get(f"/incidents/{three[0].pk}/tags/add/").status_code == 405


def test_the_list_of_actions_is_the_spec_list():
    assert set(actions.ACTIONS) == {
        "ack",
        "close",
        "reopen",
        "update-ticket",
        "add-ticket",
        "autocreate-ticket",
    }
