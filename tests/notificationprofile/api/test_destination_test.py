"""``POST /api/v2/notificationprofiles/destinations/<pk>/test/``: one test message, now, for every
medium; refused while sending is off, throttled per destination."""

import datetime

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from argus.notificationprofile.media.base import NotificationMedium
from argus.notificationprofile.models import Delivery, DestinationConfig, Media
from tests.notificationprofile.factories import DestinationConfigFactory, SMSDestinationFactory
from tests.notificationprofile.http_receiver import Answer, Receiver, signature_is_valid

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("http_media")]

DESTINATIONS = "/api/v2/notificationprofiles/destinations/"
SECRET = "test-endpoint-secret-0123"


def test_path(destination) -> str:
    return f"{DESTINATIONS}{destination.pk}/test/"


test_path.__test__ = False  # a URL, not a test


@pytest.fixture
def webhook_to(end_user, settings):
    settings.WEBHOOK_ALLOW_HTTP = True

    def make(receiver, secret=SECRET):
        return DestinationConfig.objects.create(
            user=end_user, media_id="webhook", settings={"url": receiver.url(), "secret": secret}
        )

    return make


def test_a_webhook_that_answers_200_is_delivered(end_user_client, webhook_to):
    with Receiver() as receiver:
        destination = webhook_to(receiver)
        response = end_user_client.post(test_path(destination))
        (received,) = receiver.wait_for(1)
    assert (response.status_code, response.json()) == (200, {"delivered": True, "detail": "HTTP 200"})
    assert received.json()["title"] == "Argus test message"
    assert signature_is_valid(received, SECRET)
    assert SECRET not in response.content.decode()
    assert not Delivery.objects.exists()  # bypasses the queue


def test_a_failing_webhook_is_reported_and_not_retried(end_user_client, webhook_to):
    with Receiver([500]) as receiver:
        response = end_user_client.post(test_path(webhook_to(receiver)))
        assert len(receiver.wait_for(1)) == 1
    assert (response.status_code, response.json()) == (200, {"delivered": False, "detail": "HTTP 500"})
    assert not Delivery.objects.exists()


def test_a_slow_webhook_is_a_timeout(end_user_client, webhook_to, settings):
    settings.WEBHOOK_TIMEOUT = 0.2
    with Receiver([Answer(200, delay=1.0)]) as receiver:
        response = end_user_client.post(test_path(webhook_to(receiver)))
    assert response.json() == {"delivered": False, "detail": "timeout"}


def test_nobody_listening_is_a_connection_error(end_user_client, webhook_to):
    receiver = Receiver()  # never started
    receiver.server.server_close()
    response = end_user_client.post(test_path(webhook_to(receiver)))
    assert response.json() == {"delivered": False, "detail": "connection error (ConnectError)"}


def test_a_slack_destination_gets_the_test_text(end_user, end_user_client, to_loopback):
    destination = DestinationConfig.objects.create(
        user=end_user,
        media_id="slack",
        settings={"destination_url": "https://hooks.slack.com/services/T/B/X"},
    )
    with Receiver() as receiver:
        to_loopback(receiver)
        response = end_user_client.post(test_path(destination))
        (received,) = receiver.wait_for(1)
    assert response.json() == {"delivered": True, "detail": "HTTP 200"}
    assert received.json() == {
        "text": "Argus test message\nIf you can read this, Argus can post notifications here."
    }


def test_an_email_destination_gets_a_test_mail(end_user, end_user_client):
    destination = DestinationConfigFactory(user=end_user, settings={"email_address": "ops@example.org"})
    mail.outbox.clear()
    response = end_user_client.post(test_path(destination))
    assert response.json() == {"delivered": True, "detail": "accepted by the mail server"}
    (message,) = mail.outbox
    assert (message.to, message.subject) == (["ops@example.org"], "[Argus] Argus test message")


def test_an_email_destination_whose_relay_is_down(end_user, end_user_client):
    destination = DestinationConfigFactory(user=end_user, settings={"email_address": "ops@example.org"})
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=9
    ):
        response = end_user_client.post(test_path(destination))
    assert response.json() == {"delivered": False, "detail": "connection error (ConnectionRefusedError)"}


def test_an_sms_destination_goes_to_the_gateway(end_user, end_user_client, settings):
    destination = SMSDestinationFactory(user=end_user, settings={"phone_number": "+4747470001"})
    assert end_user_client.post(test_path(destination)).json() == {
        "delivered": False,
        "detail": "SMS_GATEWAY_ADDRESS is not set on this server.",
    }
    settings.SMS_GATEWAY_ADDRESS = "gw@sms.example"
    DestinationConfig.objects.filter(pk=destination.pk).update(last_tested_at=None)
    mail.outbox.clear()
    assert end_user_client.post(test_path(destination)).json()["delivered"] is True
    (message,) = mail.outbox
    assert (message.to, message.subject, message.body) == (
        ["gw@sms.example"],
        "sms +4747470001",
        "Argus test message",
    )


def test_with_sending_off_the_answer_is_409_and_nothing_is_sent(end_user_client, webhook_to, settings):
    settings.SEND_NOTIFICATIONS = False
    with Receiver() as receiver:
        response = end_user_client.post(test_path(webhook_to(receiver)))
        assert receiver.requests == []
    assert (response.status_code, response.json()) == (
        409,
        {"detail": "Notifications are turned off on this server."},
    )


def test_a_second_test_within_ten_seconds_is_throttled(end_user_client, webhook_to):
    with Receiver() as receiver:
        destination = webhook_to(receiver)
        assert end_user_client.post(test_path(destination)).status_code == 200
        response = end_user_client.post(test_path(destination))
        assert (response.status_code, response.json()) == (
            429,
            {"detail": "Request was throttled. Expected available in 10 seconds."},
        )
        assert response["Retry-After"] == "10"
        assert len(receiver.requests) == 1
        DestinationConfig.objects.filter(pk=destination.pk).update(
            last_tested_at=timezone.now() - datetime.timedelta(seconds=10)
        )
        assert end_user_client.post(test_path(destination)).status_code == 200


def test_the_wait_counts_down(end_user_client, webhook_to):
    with Receiver() as receiver:
        destination = webhook_to(receiver)
        DestinationConfig.objects.filter(pk=destination.pk).update(
            last_tested_at=timezone.now() - datetime.timedelta(seconds=3.5)
        )
        response = end_user_client.post(test_path(destination))
    assert response.json() == {"detail": "Request was throttled. Expected available in 7 seconds."}


def test_each_destination_has_its_own_throttle(end_user_client, webhook_to, end_user):
    with Receiver() as receiver:
        one = webhook_to(receiver)
        two = DestinationConfig.objects.create(
            user=end_user, media_id="webhook", settings={"url": receiver.url("/other")}
        )
        assert end_user_client.post(test_path(one)).status_code == 200
        assert end_user_client.post(test_path(two)).status_code == 200


def test_another_users_or_an_unknown_destination_is_404(other_end_user_client, end_user_client, webhook_to):
    with Receiver() as receiver:
        destination = webhook_to(receiver)
        for client, url in (
            (other_end_user_client, test_path(destination)),
            (end_user_client, f"{DESTINATIONS}999999/test/"),
        ):
            response = client.post(url)
            assert (response.status_code, response.json()) == (
                404,
                {"detail": "No DestinationConfig matches the given query."},
            )
        assert receiver.requests == []


def test_anonymous_is_401_and_get_is_405(api_client, end_user_client, webhook_to):
    with Receiver() as receiver:
        destination = webhook_to(receiver)
        assert api_client.post(test_path(destination)).status_code == 401
        assert end_user_client.get(test_path(destination)).status_code == 405
        assert receiver.requests == []


def test_a_medium_without_a_plugin_cannot_be_tested(end_user, end_user_client, settings):
    destination = DestinationConfig.objects.create(
        user=end_user, media_id="webhook", settings={"url": "https://example.com/x"}
    )
    settings.MEDIA_PLUGINS = settings.MEDIA_PLUGINS[:2]
    response = end_user_client.post(test_path(destination))
    assert (response.status_code, response.json()) == (400, {"detail": 'Medium "webhook" is not installed.'})


class NoTestMedium(NotificationMedium):
    """A third-party medium that does not offer test messages."""

    MEDIA_SLUG = "pager"
    MEDIA_NAME = "Pager"

    @classmethod
    def validate(cls, instance, dict, user):
        return dict["settings"]

    @classmethod
    def has_duplicate(cls, queryset, settings):
        return False

    @staticmethod
    def get_label(destination):
        return "Pager"

    @classmethod
    def send(cls, event, destinations, **kwargs):
        return True


def test_a_medium_that_cannot_send_tests_says_so(end_user, end_user_client, settings):
    settings.MEDIA_PLUGINS = [*settings.MEDIA_PLUGINS, f"{__name__}.NoTestMedium"]
    media = Media.objects.create(slug="pager", name="Pager")
    destination = DestinationConfig.objects.create(user=end_user, media=media, settings={"number": "1"})
    response = end_user_client.post(test_path(destination))
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "Pager destinations cannot be sent a test message."},
    )
