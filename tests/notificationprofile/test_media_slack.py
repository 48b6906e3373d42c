"""The Slack medium: validation (with and without the optional apprise package), the message text,
and sending: an incoming-webhook URL posts to a receiver on loopback (requests are routed there
through the HTTP client's transport), an Apprise URL goes through apprise."""

import json

import pytest
from django.core.management import call_command
from django.test import override_settings

from argus.notificationprofile.media import slack
from argus.notificationprofile.media.slack import SlackNotification
from argus.notificationprofile.models import Delivery, DestinationConfig
from argus.notificationprofile.rendering import chat_text
from tests.factories import IncidentFactory, IncidentTagRelationFactory, TagFactory
from tests.notificationprofile.delivery import DB_TASKS, post_incident, run_worker
from tests.notificationprofile.http_receiver import Answer, Receiver, subscribe

pytestmark = pytest.mark.usefixtures("http_media")

DESTINATIONS = "/api/v2/notificationprofiles/destinations/"
HOOK = "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX"
APPRISE_URL = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general"
INVALID = (
    "Not a valid Slack destination URL. Use a Slack incoming webhook (https://hooks.slack.com/...) "
    "or an Apprise Slack URL (slack://...)."
)


def create(client, given):
    return client.post(DESTINATIONS, {"media": "slack", "settings": given}, format="json")


@pytest.fixture
def without_apprise(monkeypatch):
    """As if the optional package were not installed (the module imports it as ``None`` then)."""
    monkeypatch.setattr(slack, "apprise", None)


# --- validation ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("given", "errors"),
    [
        ({}, {"destination_url": ["This field is required."]}),
        ({"destination_url": 7}, {"destination_url": ["Not a valid string."]}),
        ({"destination_url": "https://example.com/services/x"}, {"destination_url": [INVALID]}),
        ({"destination_url": "http://hooks.slack.com/services/x"}, {"destination_url": [INVALID]}),
        ({"destination_url": "https://hooks.slack.com/"}, {"destination_url": [INVALID]}),
        ({"destination_url": "https://hooks.slack.com/services/a b"}, {"destination_url": [INVALID]}),
        ({"destination_url": "hooks.slack.com/services/x"}, {"destination_url": [INVALID]}),
        ({"destination_url": "slack://"}, {"destination_url": [INVALID]}),
        ({"destination_url": "slack://not-enough"}, {"destination_url": [INVALID]}),
        (
            {"destination_url": HOOK + "x" * 2000},
            {"destination_url": ["Ensure this field has no more than 2000 characters."]},
        ),
        (["x"], {"non_field_errors": ["Settings has to be a dictionary."]}),
    ],
)
def test_invalid_settings_are_refused(end_user_client, given, errors):
    response = create(end_user_client, given)
    assert (response.status_code, response.json()) == (400, errors)
    assert not DestinationConfig.objects.filter(media_id="slack").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", [HOOK, APPRISE_URL])
def test_valid_urls_are_stored_and_labelled_with_the_url(end_user_client, url):
    response = create(end_user_client, {"destination_url": url, "extra": "dropped"})
    assert response.status_code == 201, response.content
    assert response.json()["settings"] == {"destination_url": url}
    assert response.json()["suggested_label"] == f"Slack: {url}"
    assert response.json()["media"] == {"slug": "slack", "name": "Slack", "installed": True}


@pytest.mark.django_db
def test_apprise_urls_are_refused_without_apprise_and_webhooks_still_work(end_user_client, without_apprise):
    response = create(end_user_client, {"destination_url": APPRISE_URL})
    assert (response.status_code, response.json()) == (
        400,
        {"destination_url": ["Apprise Slack URLs need the apprise package, which is not installed."]},
    )
    assert create(end_user_client, {"destination_url": HOOK}).status_code == 201


@pytest.mark.django_db
def test_the_same_url_twice_for_one_user_is_refused(end_user_client, other_end_user_client):
    assert create(end_user_client, {"destination_url": HOOK}).status_code == 201
    response = create(end_user_client, {"destination_url": HOOK})
    assert (response.status_code, response.json()) == (400, {"destination_url": ["Webhook already exists"]})
    assert create(other_end_user_client, {"destination_url": HOOK}).status_code == 201


@pytest.mark.django_db
def test_json_schema(end_user_client):
    response = end_user_client.get("/api/v2/notificationprofiles/media/slack/json_schema/")
    assert response.json() == {
        "json_schema": {
            "title": "Slack Settings",
            "description": "Settings for a DestinationConfig using Slack.",
            "type": "object",
            "required": ["destination_url"],
            "properties": {"destination_url": {"type": "string", "title": "Slack Webhook"}},
            "$id": "http://testserver/json-schema/slack",
        }
    }


@pytest.mark.django_db
def test_media_list_shows_the_new_media_only_when_enabled(end_user_client, settings):
    slugs = [medium["slug"] for medium in end_user_client.get("/api/v2/notificationprofiles/media/").json()]
    assert slugs == ["email", "slack", "sms", "webhook"]
    settings.MEDIA_PLUGINS = settings.MEDIA_PLUGINS[:2]
    response = end_user_client.get("/api/v2/notificationprofiles/media/slack/json_schema/")
    assert (response.status_code, response.json()) == (400, ['Medium "slack" is not installed.'])


def test_the_server_starts_without_apprise(without_apprise):
    """Nothing needs apprise at import or start-up: the system checks pass, webhooks validate."""
    call_command("check", fail_level="ERROR")
    assert slack.url_errors(HOOK) == []
    assert slack.url_errors(APPRISE_URL) == [slack.APPRISE_MISSING]


# --- sending ---------------------------------------------------------------------------------------


def expected_text(source_system) -> str:
    actor = source_system.user.username
    return (
        f"[Argus] 'Incident start': core switch down, {actor} @ 2026-11-22 12:30:00+01:00\n"
        "Status: STA\n"
        f"Actor: {actor}\n"
        "start_time       : 2026-11-22 12:30:00+01:00\n"
        "end_time         : Still open\n"
        f"source           : {source_system.name} ({source_system.type_id})\n"
        "source_incident_id: e2e-1\n"
        "level            : 2\n"
        "description      : core switch down\n"
        "details_url      : \n"
        "ticket_url       : \n"
        "tags             : host=switch1.example"
    )


@pytest.mark.usefixtures("transactional_db")
def test_an_incident_reaches_the_slack_webhook_with_the_message_text(
    source_system, source_client, to_loopback
):
    with Receiver() as receiver, DB_TASKS:
        to_loopback(receiver)
        subscribe(source_system, "alice", "slack", {"destination_url": HOOK})
        post_incident(source_client)
        run_worker()
        (received,) = receiver.wait_for(1)
    assert received.path == "/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX"
    assert received.headers["Content-Type"] == "application/json"
    assert json.loads(received.body) == {"text": expected_text(source_system)}
    assert Delivery.objects.get().state == "sent"


@pytest.mark.usefixtures("transactional_db")
def test_slack_errors_are_retried_like_webhook_errors(source_system, source_client, to_loopback):
    with (
        Receiver([Answer(500), Answer(404)]) as receiver,
        DB_TASKS,
        override_settings(NOTIFICATION_RETRY_DELAY=0.01),
    ):
        to_loopback(receiver)
        subscribe(source_system, "alice", "slack", {"destination_url": HOOK})
        post_incident(source_client)
        # The 500 is retried (the 404 after it is final): two attempts in the end, however many
        # worker runs a busy machine needs to get there.
        for _ in range(20):
            run_worker()
            if Delivery.objects.get().state != "pending":
                break
        assert len(receiver.wait_for(2)) == 2
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("failed", 2, "HTTP 404")
    assert "XXXXXXXX" not in delivery.address


def test_markup_in_the_text_is_escaped():
    assert slack.slack_escape("<!channel> & <https://x|y>") == "&lt;!channel&gt; &amp; &lt;https://x|y&gt;"


@pytest.mark.django_db
def test_the_text_lists_tags_and_a_closed_end_and_nothing_internal(source_system):
    incident = IncidentFactory(source=source_system, description="disk full", level=3, metadata={"k": 1})
    for key, value in (("host", "a"), ("site", "oslo")):
        IncidentTagRelationFactory(incident=incident, tag=TagFactory(key=key, value=value))
    event = incident.events.create(type="STA", actor=source_system.user, timestamp=incident.start_time)
    lines = chat_text(event).splitlines()
    assert "tags             : host=a, site=oslo" in lines
    assert "level            : 3" in lines
    assert not any(line.startswith(("search_text", "metadata")) for line in lines)


@pytest.mark.django_db
def test_apprise_urls_are_sent_through_apprise(monkeypatch, end_user):
    sent = []

    class FakeApprise:
        def add(self, url):
            sent.append(url)
            return True

        def notify(self, body, title):
            sent.append((title, body))
            return True

    monkeypatch.setattr(slack.apprise, "Apprise", FakeApprise)
    destination = DestinationConfig.objects.create(
        user=end_user, media_id="slack", settings={"destination_url": APPRISE_URL}
    )
    result = SlackNotification.send_test(destination)
    assert (result.delivered, sent) == (
        True,
        [APPRISE_URL, ("Argus test message", "If you can read this, Argus can post notifications here.")],
    )


@pytest.mark.django_db
def test_an_apprise_url_without_apprise_fails_for_good(end_user, without_apprise):
    destination = DestinationConfig.objects.create(
        user=end_user, media_id="slack", settings={"destination_url": APPRISE_URL}
    )
    result = SlackNotification.send_test(destination)
    assert (result.delivered, result.detail) == (False, slack.APPRISE_MISSING)
