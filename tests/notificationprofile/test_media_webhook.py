"""The webhook medium: its settings through the destinations API (validation, the write-only
secret), its schema and label, and the message it posts (a receiver on loopback)."""

import json

import pytest
from django.test import override_settings

from argus.notificationprofile.media.webhook import WebhookNotification, signature
from argus.notificationprofile.models import DestinationConfig
from tests.factories import EndUserFactory
from tests.notificationprofile.factories import NotificationProfileFactory
from tests.notificationprofile.http_receiver import Receiver, signature_is_valid

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("http_media")]

DESTINATIONS = "/api/v2/notificationprofiles/destinations/"
URL = "https://hooks.example.com/argus/T0K3N-path"
SECRET = "0123456789abcdef-secret"


def create(client, given, label=None):
    return client.post(DESTINATIONS, {"media": "webhook", "label": label, "settings": given}, format="json")


@pytest.mark.parametrize(
    ("given", "errors"),
    [
        ({}, {"url": ["This field is required."]}),
        ({"url": ""}, {"url": ["This field is required."]}),
        ({"url": None}, {"url": ["This field is required."]}),
        ({"url": 42}, {"url": ["Not a valid string."]}),
        ({"url": "not a url"}, {"url": ["Enter a valid URL."]}),
        ({"url": "https://"}, {"url": ["Enter a valid URL."]}),
        ({"url": "/relative/path"}, {"url": ["Enter a valid URL."]}),
        ({"url": "http://hooks.example.com/x"}, {"url": ["Only https:// URLs are allowed."]}),
        ({"url": "ftp://hooks.example.com/x"}, {"url": ["Only https:// URLs are allowed."]}),
        (
            {"url": "https://hooks.example.com/" + "a" * 2000},
            {"url": ["Ensure this field has no more than 2000 characters."]},
        ),
        ({"url": URL, "secret": "too short"}, {"secret": ["Ensure this field has at least 16 characters."]}),
        ({"url": URL, "secret": "********"}, {"secret": ["Ensure this field has at least 16 characters."]}),
        ({"url": URL, "secret": 1234567890123456}, {"secret": ["Not a valid string."]}),
        (
            {"url": "nope", "secret": "short"},
            {"url": ["Enter a valid URL."], "secret": ["Ensure this field has at least 16 characters."]},
        ),
        ("https://hooks.example.com/x", {"non_field_errors": ["Settings has to be a dictionary."]}),
    ],
)
def test_invalid_settings_are_refused_and_nothing_is_saved(end_user_client, given, errors):
    response = create(end_user_client, given)
    assert (response.status_code, response.json()) == (400, errors)
    assert not DestinationConfig.objects.filter(media_id="webhook").exists()


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ({"url": URL}, {"url": URL}),
        ({"url": URL, "secret": SECRET}, {"url": URL, "secret": SECRET}),
        ({"url": URL, "secret": None}, {"url": URL}),
        ({"url": URL, "secret": ""}, {"url": URL}),
        ({"url": URL, "other": "dropped"}, {"url": URL}),
        ({"url": "https://[2001:db8::1]:8443/hook"}, {"url": "https://[2001:db8::1]:8443/hook"}),
    ],
)
def test_valid_settings_are_stored_cleaned(end_user_client, given, stored):
    response = create(end_user_client, given)
    assert response.status_code == 201, response.content
    assert DestinationConfig.objects.get(pk=response.json()["pk"]).settings == stored


def test_http_urls_only_when_allowed(end_user_client):
    with override_settings(WEBHOOK_ALLOW_HTTP=True):
        assert create(end_user_client, {"url": "http://127.0.0.1:8080/hook"}).status_code == 201
        response = create(end_user_client, {"url": "ftp://example.com/hook"})
        assert response.json() == {"url": ["Only http:// and https:// URLs are allowed."]}


def test_the_same_url_twice_for_one_user_is_refused(end_user_client, other_end_user_client):
    assert create(end_user_client, {"url": URL}).status_code == 201
    response = create(end_user_client, {"url": URL, "secret": SECRET})
    assert (response.status_code, response.json()) == (400, {"url": ["Webhook already exists"]})
    assert create(other_end_user_client, {"url": URL}).status_code == 201  # another user may


def test_the_representation_masks_the_secret_and_labels_by_host(end_user_client):
    response = create(end_user_client, {"url": URL, "secret": SECRET})
    assert response.json() == {
        "pk": response.json()["pk"],
        "media": {"slug": "webhook", "name": "Webhook", "installed": True},
        "label": None,
        "suggested_label": "Webhook: https://hooks.example.com/…",
        "settings": {"url": URL, "secret": "********"},
    }
    without = create(end_user_client, {"url": URL + "2"}).json()
    assert without["settings"] == {"url": URL + "2"}


def test_the_secret_never_comes_back_in_any_response(end_user, end_user_client):
    pk = create(end_user_client, {"url": URL, "secret": SECRET}).json()["pk"]
    profile = NotificationProfileFactory(user=end_user, destinations=[DestinationConfig.objects.get(pk=pk)])
    responses = [
        end_user_client.get(DESTINATIONS),
        end_user_client.get(f"{DESTINATIONS}{pk}/"),
        end_user_client.get(f"{DESTINATIONS}{pk}/duplicate/"),
        end_user_client.patch(f"{DESTINATIONS}{pk}/", {"label": "ops"}, format="json"),
        end_user_client.get("/api/v2/notificationprofiles/"),
        end_user_client.get(f"/api/v2/notificationprofiles/{profile.pk}/"),
        end_user_client.get("/api/v1/notificationprofiles/"),
        end_user_client.delete(f"{DESTINATIONS}{pk}/"),  # refused: in use, the refusal names the profile
    ]
    for response in responses:
        assert response.status_code in (200, 400), response.content
        assert SECRET not in response.content.decode()
    assert "********" in responses[1].content.decode()


def test_patching_with_the_mask_keeps_the_secret_and_other_values_replace_it(end_user_client):
    pk = create(end_user_client, {"url": URL, "secret": SECRET}).json()["pk"]

    def patch(settings):
        response = end_user_client.patch(f"{DESTINATIONS}{pk}/", {"settings": settings}, format="json")
        return response.status_code, DestinationConfig.objects.get(pk=pk).settings

    assert patch({"url": URL + "/v2", "secret": "********"}) == (200, {"url": URL + "/v2", "secret": SECRET})
    assert patch({"url": URL, "secret": "another-secret-of-length"}) == (
        200,
        {"url": URL, "secret": "another-secret-of-length"},
    )
    assert patch({"url": URL}) == (200, {"url": URL})  # settings are replaced whole: no secret now
    status, stored = patch({"url": URL, "secret": "********"})  # nothing stored to keep
    assert (status, stored) == (400, {"url": URL})


def test_patching_the_same_url_is_not_a_duplicate_of_itself(end_user_client):
    pk = create(end_user_client, {"url": URL}).json()["pk"]
    response = end_user_client.patch(f"{DESTINATIONS}{pk}/", {"settings": {"url": URL}}, format="json")
    assert response.status_code == 200


def test_duplicate_endpoint_compares_urls_across_users(end_user_client, other_end_user):
    pk = create(end_user_client, {"url": URL, "secret": SECRET}).json()["pk"]
    assert end_user_client.get(f"{DESTINATIONS}{pk}/duplicate/").json() == {"is_duplicate": False}
    DestinationConfig.objects.create(user=other_end_user, media_id="webhook", settings={"url": URL})
    assert end_user_client.get(f"{DESTINATIONS}{pk}/duplicate/").json() == {"is_duplicate": True}


def test_json_schema(end_user_client):
    schema = end_user_client.get("/api/v2/notificationprofiles/media/webhook/json_schema/").json()
    assert schema == {
        "json_schema": {
            **WebhookNotification.MEDIA_JSON_SCHEMA,
            "$id": "http://testserver/json-schema/webhook",
        }
    }
    assert schema["json_schema"]["title"] == "Webhook Settings"
    assert schema["json_schema"]["required"] == ["url"]
    assert schema["json_schema"]["properties"]["secret"]["writeOnly"] is True


def test_str_of_a_destination_masks_the_secret():
    user = EndUserFactory()
    destination = DestinationConfig.objects.create(
        user=user, media_id="webhook", settings={"url": URL, "secret": SECRET}
    )
    assert SECRET not in str(destination)
    assert "********" in str(destination)


def test_the_address_hides_url_and_secret_but_tells_secrets_apart():
    user = EndUserFactory()
    one = DestinationConfig(user=user, media_id="webhook", settings={"url": URL, "secret": SECRET})
    two = DestinationConfig(user=user, media_id="webhook", settings={"url": URL, "secret": SECRET + "2"})
    address = WebhookNotification.get_address(one)
    assert address.startswith("https://hooks.example.com/…path #")
    assert "T0K3N" not in address and SECRET not in address
    assert address != WebhookNotification.get_address(two)
    assert address == WebhookNotification.get_address(
        DestinationConfig(user=user, media_id="webhook", settings={"url": URL, "secret": SECRET})
    )


def test_signature_is_hmac_sha256_over_timestamp_dot_body():
    # Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac key
    assert signature("key", "1700000000", b'{"a":1}') == (
        "sha256=a438e398bfafc57e4396bb7fc2304422f0f768e965d073ca313cb52e22e6ad03"
    )


def test_send_test_posts_a_signed_test_message(end_user):
    with Receiver() as receiver, override_settings(WEBHOOK_ALLOW_HTTP=True):
        destination = DestinationConfig.objects.create(
            user=end_user, media_id="webhook", settings={"url": receiver.url(), "secret": SECRET}
        )
        result = WebhookNotification.send_test(destination)
        (received,) = receiver.wait_for(1)
    assert (result.delivered, result.detail) == (True, "HTTP 200")
    assert received.headers["X-Argus-Event-Type"] == "TEST"
    assert signature_is_valid(received, SECRET)
    body = json.loads(received.body)
    assert body == {
        "delivery": received.headers["X-Argus-Delivery"],
        "attempt": 1,
        "test": True,
        "title": "Argus test message",
        "event": None,
        "incident": None,
    }


def test_a_url_no_longer_accepted_fails_for_good_without_a_request(end_user):
    destination = DestinationConfig.objects.create(
        user=end_user, media_id="webhook", settings={"url": "http://127.0.0.1:9/hook"}
    )
    result = WebhookNotification.send_test(destination)  # http:// is not allowed (any more)
    assert (result.delivered, result.detail) == (
        False,
        "The URL is not accepted any more: http://127.0.0.1:9/…hook",
    )
