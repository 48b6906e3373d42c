"""End to end: a source posts an incident, a real worker (``db_worker``) posts it to a real HTTP
receiver on loopback, which checks the signature and the body; failures are retried or not as the
receiver's answer says, always with the same delivery id."""

import json
import logging
import time

import pytest
from django.test import override_settings

from argus.notificationprofile.models import Delivery
from tests.notificationprofile.delivery import DB_TASKS, post_incident, run_worker
from tests.notificationprofile.http_receiver import (
    Answer,
    Receiver,
    signature_is_valid,
    subscribe,
)

SECRET = "a-long-shared-secret-0123456789"

pytestmark = pytest.mark.usefixtures("transactional_db")


@pytest.fixture
def webhook_settings(http_media):
    with (
        DB_TASKS,
        override_settings(
            SEND_NOTIFICATIONS=True,
            WEBHOOK_ALLOW_HTTP=True,
            NOTIFICATION_RETRY_DELAY=0.05,
            NOTIFICATION_MAX_ATTEMPTS=5,
        ),
    ):
        yield


def work_off(rounds: int = 60, pause: float = 0.05) -> None:
    """Run the worker until no delivery is pending any more (at most ``rounds`` runs)."""
    for _ in range(rounds):
        run_worker()
        if not Delivery.objects.filter(state="pending").exists():
            return
        time.sleep(pause)


def test_an_incident_is_posted_signed_with_the_v2_incident(source_system, source_client, webhook_settings):
    with Receiver() as receiver:
        subscribe(source_system, "alice", "webhook", {"url": receiver.url(), "secret": SECRET})
        incident_pk = post_incident(source_client)
        run_worker()
        (received,) = receiver.wait_for(1)
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("sent", 1)
    assert received.path == "/hooks/argus"
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["User-Agent"] == "argus-server/1.37.0"
    assert received.headers["X-Argus-Delivery"] == str(delivery.message_id)
    assert received.headers["X-Argus-Event-Type"] == "STA"
    assert received.headers["X-Argus-Timestamp"].isdigit()
    assert signature_is_valid(received, SECRET)
    body = received.json()
    assert list(body) == ["delivery", "attempt", "event", "incident"]
    assert (body["delivery"], body["attempt"]) == (str(delivery.message_id), 1)
    assert body["event"]["type"] == {"value": "STA", "display": "Incident start"}
    assert body["event"]["incident"] == incident_pk
    assert body["event"]["actor"] == {"pk": source_system.user.pk, "username": source_system.user.username}
    assert body["incident"] == source_client.get(f"/api/v2/incidents/{incident_pk}/").json()
    assert received.body == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def test_a_tampered_body_fails_the_signature(source_system, source_client, webhook_settings):
    with Receiver() as receiver:
        subscribe(source_system, "alice", "webhook", {"url": receiver.url(), "secret": SECRET})
        post_incident(source_client)
        run_worker()
        (received,) = receiver.wait_for(1)
    assert signature_is_valid(received, SECRET)
    assert not signature_is_valid(received, SECRET + "x")
    received.body = received.body.replace(b'"STA"', b'"END"')
    assert not signature_is_valid(received, SECRET)


def test_without_a_secret_there_is_no_signature(source_system, source_client, webhook_settings):
    with Receiver() as receiver:
        subscribe(source_system, "alice", "webhook", {"url": receiver.url()})
        post_incident(source_client)
        run_worker()
        (received,) = receiver.wait_for(1)
    assert "X-Argus-Signature" not in received.headers
    assert received.json()["event"]["type"]["value"] == "STA"


def test_two_errors_then_success_give_the_same_delivery_id_three_times_and_one_delivery(
    source_system, source_client, webhook_settings
):
    with Receiver([500, 503]) as receiver:
        subscribe(source_system, "alice", "webhook", {"url": receiver.url(), "secret": SECRET})
        post_incident(source_client)
        work_off()
        run_worker()  # nothing left: no fourth request
        requests = receiver.wait_for(3)
        time.sleep(0.1)
        assert len(receiver.requests) == 3
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("sent", 3)
    assert {request.headers["X-Argus-Delivery"] for request in requests} == {str(delivery.message_id)}
    assert [request.json()["attempt"] for request in requests] == [1, 2, 3]
    assert all(signature_is_valid(request, SECRET) for request in requests)


def test_a_404_is_not_retried(source_system, source_client, webhook_settings, caplog):
    with Receiver([404]) as receiver:
        subscribe(source_system, "alice", "webhook", {"url": receiver.url()})
        post_incident(source_client)
        run_worker()
        time.sleep(0.2)  # several backoffs
        run_worker()
        assert len(receiver.wait_for(1)) == 1
        time.sleep(0.1)
        assert len(receiver.requests) == 1
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("failed", 1, "HTTP 404")
    assert "failed for good at attempt 1, not retried: HTTP 404" in caplog.text


def test_a_redirect_is_not_followed_and_not_retried(source_system, source_client, webhook_settings):
    with Receiver([Answer(302, {"Location": "http://127.0.0.1:1/elsewhere"})]) as receiver:
        subscribe(source_system, "alice", "webhook", {"url": receiver.url()})
        post_incident(source_client)
        work_off()
        assert len(receiver.requests) == 1
    assert Delivery.objects.get().state == "failed"


def test_a_slow_receiver_times_out_and_is_retried(source_system, source_client, webhook_settings):
    with Receiver([Answer(200, delay=1.5)]) as receiver:
        subscribe(source_system, "alice", "webhook", {"url": receiver.url()})
        with override_settings(WEBHOOK_TIMEOUT=0.3):
            post_incident(source_client)
            run_worker()
        first = Delivery.objects.get()
        assert (first.state, first.attempts, first.last_error) == ("pending", 1, "timeout")
        work_off()  # with the usual timeout: a busy machine does not make the retry time out too
        requests = receiver.wait_for(2)
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("sent", 2)
    assert [request.headers["X-Argus-Delivery"] for request in requests] == [str(delivery.message_id)] * 2


def test_retry_after_is_the_least_wait(source_system, source_client, webhook_settings):
    with Receiver([Answer(429, {"Retry-After": "120"})]) as receiver:
        subscribe(source_system, "alice", "webhook", {"url": receiver.url()})
        post_incident(source_client)
        run_worker()
        assert len(receiver.wait_for(1)) == 1
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.last_error) == ("pending", "HTTP 429")
    assert (delivery.due_at - delivery.last_attempt_at).total_seconds() == pytest.approx(120, abs=1)


def test_retry_after_is_capped_by_the_longest_backoff(source_system, source_client, webhook_settings):
    with (
        Receiver([Answer(503, {"Retry-After": "86400"})]) as receiver,
        override_settings(NOTIFICATION_MAX_RETRY_DELAY=60),
    ):
        subscribe(source_system, "alice", "webhook", {"url": receiver.url()})
        post_incident(source_client)
        run_worker()
        assert len(receiver.wait_for(1)) == 1
    delivery = Delivery.objects.get()
    assert (delivery.due_at - delivery.last_attempt_at).total_seconds() == pytest.approx(60, abs=1)


def test_one_post_per_distinct_url_and_secret_across_users(source_system, source_client, webhook_settings):
    with Receiver() as receiver:
        subscribe(source_system, "alice", "webhook", {"url": receiver.url(), "secret": SECRET})
        subscribe(source_system, "bob", "webhook", {"url": receiver.url(), "secret": SECRET})
        subscribe(source_system, "carol", "webhook", {"url": receiver.url(), "secret": SECRET + "-carol"})
        post_incident(source_client)
        run_worker()
        requests = receiver.wait_for(2)
        time.sleep(0.1)
        assert len(receiver.requests) == 2
    assert sorted(
        (signature_is_valid(request, SECRET), signature_is_valid(request, SECRET + "-carol"))
        for request in requests
    ) == [(False, True), (True, False)]
    recipients = sorted(Delivery.objects.values_list("recipients", flat=True))
    assert recipients == ["alice, bob", "carol"]


def test_neither_url_nor_secret_reaches_the_logs_or_the_delivery_log(
    source_system, source_client, webhook_settings, caplog
):
    with Receiver([500, 404]) as receiver:
        url = receiver.url("/hooks/very-secret-path-token")
        subscribe(source_system, "alice", "webhook", {"url": url, "secret": SECRET})
        caplog.set_level(logging.DEBUG)  # everything from here on: the request, the worker, httpx
        post_incident(source_client)
        work_off()
    delivery = Delivery.objects.get()
    assert delivery.state == "failed"
    assert "HTTP 500" in caplog.text and "HTTP 404" in caplog.text
    assert f"http://127.0.0.1:{receiver.port}/…oken" in caplog.text
    assert str(delivery.message_id) in caplog.text
    for secret in ("very-secret-path-token", SECRET):
        assert secret not in caplog.text
        assert secret not in delivery.address + delivery.last_error
