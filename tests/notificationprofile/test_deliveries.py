"""The delivery records' rules: the state machine of a delivery and the lease rule of a claim."""

import datetime

import pytest
from django.utils import timezone

from argus.notificationprofile import deliveries
from argus.notificationprofile.deliveries import after_failure, retry_delay
from argus.notificationprofile.models import Delivery, PendingEvent
from tests.notificationprofile.factories import DeliveryFactory, PendingEventFactory

SECOND = datetime.timedelta(seconds=1)


@pytest.fixture
def timings(settings):
    settings.NOTIFICATION_LEASE = 30
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    settings.NOTIFICATION_RETRY_DELAY = 10
    settings.NOTIFICATION_MAX_RETRY_DELAY = 25


# --- the state machine -----------------------------------------------------------------------------


def test_backoff_doubles_up_to_its_cap(settings):
    settings.NOTIFICATION_RETRY_DELAY = 10
    settings.NOTIFICATION_MAX_RETRY_DELAY = 60
    assert [retry_delay(attempt).total_seconds() for attempt in (1, 2, 3, 4, 5, 200)] == [
        10,
        20,
        40,
        60,
        60,
        60,
    ]


def test_a_failed_attempt_with_attempts_left_is_pending_again_after_the_backoff(timings):
    now = timezone.now()
    assert after_failure(1, now) == deliveries.AfterFailure("pending", now + 10 * SECOND)
    assert after_failure(2, now) == deliveries.AfterFailure("pending", now + 20 * SECOND)


def test_a_receivers_retry_after_is_the_least_wait_capped_by_the_longest_backoff(timings):
    now = timezone.now()
    assert after_failure(1, now, retry_after=15) == deliveries.AfterFailure("pending", now + 15 * SECOND)
    assert after_failure(1, now, retry_after=3) == deliveries.AfterFailure("pending", now + 10 * SECOND)
    assert after_failure(1, now, retry_after=3600) == deliveries.AfterFailure("pending", now + 25 * SECOND)
    assert after_failure(3, now, retry_after=15) == deliveries.AfterFailure("failed", None)


def test_a_permanent_failure_is_failed_for_good_at_once(timings):
    assert after_failure(1, timezone.now(), permanent=True) == deliveries.AfterFailure("failed", None)


def test_the_last_allowed_attempt_failing_is_failed_for_good(timings):
    assert after_failure(3, timezone.now()) == deliveries.AfterFailure("failed", None)


def claimed(now=None, limit=10):
    claim, taken = deliveries.claim_due_deliveries(limit, now=now or timezone.now())
    return claim, taken


def test_a_delivery_goes_from_pending_to_sent_and_stays_sent(db, timings):
    delivery = DeliveryFactory()
    claim, (taken,) = claimed()
    deliveries.mark_sent([taken.pk])
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.due_at) == ("sent", 1, None)
    assert delivery.sent_at is not None
    assert claimed(now=timezone.now() + 365 * 24 * 3600 * SECOND)[1] == []  # never taken again
    deliveries.mark_attempt_failed(claim, taken, "late news of a failure")
    delivery.refresh_from_db()
    assert delivery.state == "sent"  # a sent delivery stays sent


def test_a_failing_delivery_retries_then_fails_for_good(db, timings):
    delivery = DeliveryFactory()
    now = timezone.now()
    history = []
    for _ in range(3):
        claim, (taken,) = claimed(now=now)
        outcome = deliveries.mark_attempt_failed(
            claim, taken, ConnectionRefusedError(111, "Connection refused"), now=now
        )
        delivery.refresh_from_db()
        history.append(
            (delivery.state, delivery.attempts, delivery.due_at and (delivery.due_at - now).total_seconds())
        )
        assert claimed(now=now)[1] == []  # not before the backoff
        now = outcome.due_at or now
    assert history == [("pending", 1, 10.0), ("pending", 2, 20.0), ("failed", 3, None)]
    assert delivery.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"
    assert claimed(now=now + 3600 * SECOND)[1] == []


def test_a_failed_delivery_can_be_sent_again_with_the_same_message_id(db, timings):
    delivery = DeliveryFactory(state="failed", attempts=3, due_at=None, last_error="refused")
    assert deliveries.deliveries_retry(ids=[delivery.pk]) == 1
    _claim, (taken,) = claimed()
    assert (taken.pk, taken.attempts, taken.message_id) == (delivery.pk, 1, delivery.message_id)


def test_only_failed_deliveries_are_sent_again(db, timings):
    sent = DeliveryFactory(state="sent", due_at=None)
    assert deliveries.deliveries_retry(ids=[sent.pk]) == 0


# --- the lease rule --------------------------------------------------------------------------------


def test_a_claimed_delivery_is_held_until_its_lease_ends(db, timings):
    delivery = DeliveryFactory()
    now = timezone.now()
    claim, (taken,) = claimed(now=now)
    assert taken.pk == delivery.pk and taken.claim == claim
    assert taken.due_at == now + 30 * SECOND and taken.attempts == 1
    assert claimed(now=now + 29 * SECOND)[1] == []  # held: nobody else takes it
    other_claim, (again,) = claimed(now=now + 30 * SECOND)  # the holder died: taken again
    assert again.pk == delivery.pk and again.attempts == 2 and other_claim != claim


def test_a_worker_past_its_lease_cannot_overwrite_the_new_holder(db, timings):
    DeliveryFactory()
    now = timezone.now()
    slow_claim, (slow,) = claimed(now=now)
    _claim, (taken,) = claimed(now=now + 31 * SECOND)
    deliveries.mark_attempt_failed(slow_claim, slow, "too late")
    assert deliveries.renew_lease(slow_claim, [slow.pk]) == set()
    taken.refresh_from_db()
    assert taken.last_error == "" and taken.due_at == now + 61 * SECOND


def test_renewing_a_lease_keeps_what_is_still_held(db, timings):
    first, second = DeliveryFactory(), DeliveryFactory()
    claim, _taken = claimed()
    assert deliveries.renew_lease(claim, [first.pk, second.pk]) == {first.pk, second.pk}


def test_a_delivery_whose_last_attempt_never_reported_fails_for_good_when_taken(db, timings, caplog):
    delivery = DeliveryFactory(attempts=3)  # the worker died during attempt 3 of 3
    assert claimed()[1] == []
    delivery.refresh_from_db()
    assert delivery.state == "failed" and "No outcome was recorded for attempt 3" in delivery.last_error


def test_claims_take_the_oldest_due_first_and_at_most_the_limit(db, timings):
    now = timezone.now()
    old, new = DeliveryFactory(due_at=now - 5 * SECOND), DeliveryFactory(due_at=now - SECOND)
    DeliveryFactory(due_at=now + SECOND)  # backing off
    DeliveryFactory(state="sent", due_at=None)
    assert [d.pk for d in claimed(now=now, limit=1)[1]] == [old.pk]
    assert [d.pk for d in claimed(now=now)[1]] == [new.pk]


def test_pending_events_follow_the_same_lease(db, timings):
    row = PendingEventFactory()
    now = timezone.now()
    claim, (taken,) = deliveries.claim_pending_events(10, now=now)
    assert (taken.pk, taken.attempts, taken.claim) == (row.pk, 1, claim)
    assert deliveries.claim_pending_events(10, now=now + 29 * SECOND)[1] == []
    assert [r.pk for r in deliveries.claim_pending_events(10, now=now + 30 * SECOND)[1]] == [row.pk]


def test_matched_events_become_deliveries_held_by_the_same_claim(db, timings):
    from tests.notificationprofile.factories import DestinationConfigFactory

    row = PendingEventFactory()
    destination = DestinationConfigFactory(settings={"email_address": "a@example.org", "synced": False})
    claim, rows = deliveries.claim_pending_events(10)
    plans = {row.event_id: [deliveries.PlannedDelivery("email", "a@example.org", [destination])]}
    ((delivery, _plan),) = deliveries.record_deliveries(claim, rows, plans)
    assert not PendingEvent.objects.exists()
    stored = Delivery.objects.get()
    assert (stored.pk, stored.claim, stored.state, stored.attempts) == (delivery.pk, claim, "pending", 1)
    assert stored.destination_ids == [destination.pk]
    assert stored.recipients == destination.user.username


def test_a_matcher_that_lost_its_lease_records_nothing(db, timings):
    PendingEventFactory()
    now = timezone.now()
    slow_claim, rows = deliveries.claim_pending_events(10, now=now)
    deliveries.claim_pending_events(10, now=now + 31 * SECOND)  # another worker took it
    assert deliveries.record_deliveries(slow_claim, rows, {rows[0].event_id: []}) == []
    assert PendingEvent.objects.count() == 1 and not Delivery.objects.exists()


def test_a_failed_match_is_due_again_after_the_backoff_then_given_up(db, timings, caplog):
    PendingEventFactory()
    now = timezone.now()
    for attempt in (1, 2, 3):
        claim, rows = deliveries.claim_pending_events(10, now=now)
        assert rows[0].attempts == attempt
        due = deliveries.release_pending_events(claim, rows, ConnectionError("gone"), now=now)
        now = due or now
    assert not PendingEvent.objects.exists()
    assert "giving up" in caplog.text


# --- pruning ---------------------------------------------------------------------------------------


def test_pruning_deletes_old_finished_deliveries_only(db):
    now = timezone.now()
    old = now - datetime.timedelta(days=31)
    DeliveryFactory(state="sent", created_at=old, due_at=None)
    DeliveryFactory(state="failed", created_at=old, due_at=None)
    kept = {
        DeliveryFactory(state="pending", created_at=old).pk,
        DeliveryFactory(state="sent", created_at=now, due_at=None).pk,
    }
    assert deliveries.prune_deliveries(older_than=now - datetime.timedelta(days=30), chunk=1) == 2
    assert set(Delivery.objects.values_list("pk", flat=True)) == kept
