"""The delivery log in the admin: list, filters, search, the incident's link, sending failed ones again."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from argus.notificationprofile.models import Delivery, DestinationConfig
from tests.factories import EndUserFactory, EventFactory, IncidentFactory
from tests.notificationprofile.factories import DeliveryFactory

LIST = reverse("admin:argus_notificationprofile_delivery_changelist")


@pytest.fixture
def admin_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def log(db):
    incident = IncidentFactory()
    event = EventFactory(incident=incident, type="STA")
    other = EventFactory(type="STA")
    return {
        "sent": DeliveryFactory(event=event, address="alice@example.org", recipients="alice", state="sent"),
        "failed": DeliveryFactory(
            event=event,
            address="bob@example.org",
            recipients="bob",
            state="failed",
            last_error="550 no such user",
        ),
        "other": DeliveryFactory(event=other, medium="sms", address="+4747470001", recipients="carol"),
        "incident": incident,
    }


def listed(response):
    return {delivery.pk for delivery in response.context["cl"].result_list}


def test_the_list_shows_who_was_notified_how_and_what_came_of_it(admin_client, log):
    response = admin_client.get(LIST)
    assert response.status_code == 200
    assert listed(response) == {log["sent"].pk, log["failed"].pk, log["other"].pk}
    page = response.content.decode()
    for text in (
        "alice@example.org",
        "bob",
        "550 no such user",
        "Failed for good",
        "Incident start",
        "+4747470001",
    ):
        assert text in page


@pytest.mark.parametrize(
    "query, expected",
    [
        ("state__exact=failed", ["failed"]),
        ("medium__exact=sms", ["other"]),
        ("q=alice", ["sent"]),
        ("q=carol", ["other"]),
        ("q=%2B4747470001", ["other"]),
        ("q=nobody", []),
    ],
)
def test_filters_and_search(admin_client, log, query, expected):
    assert listed(admin_client.get(f"{LIST}?{query}")) == {log[name].pk for name in expected}


def test_search_by_incident_id_and_by_message_id_header(admin_client, log):
    assert listed(admin_client.get(f"{LIST}?q={log['incident'].pk}")) == {log["sent"].pk, log["failed"].pk}
    header = f"<{log['failed'].message_id}@argus.example>"
    assert listed(admin_client.get(LIST, {"q": header})) == {log["failed"].pk}


def test_the_incident_page_counts_and_links_its_deliveries(admin_client, log):
    incident = log["incident"]
    response = admin_client.get(reverse("admin:argus_incident_incident_change", args=[incident.pk]))
    page = response.content.decode()
    assert f"{LIST}?incident={incident.pk}" in page
    assert "2 notification deliveries (1 failed)" in page
    assert listed(admin_client.get(f"{LIST}?incident={incident.pk}")) == {log["sent"].pk, log["failed"].pk}


def test_a_bad_incident_filter_lists_nothing(admin_client, log):
    assert listed(admin_client.get(f"{LIST}?incident=x")) == set()


def test_a_failed_delivery_can_be_sent_again_with_the_same_message_id(admin_client, log):
    failed = log["failed"]
    bob = EndUserFactory(username="bob", email="bob@example.org")
    failed.destination_ids = [DestinationConfig.objects.get(user=bob).pk]
    failed.save()
    ids = [failed.pk, log["sent"].pk]
    response = admin_client.post(LIST, {"action": "send_again", "_selected_action": ids}, follow=True)
    assert "1 failed deliveries will be sent again." in response.content.decode()
    # The tests' immediate backend ran the worker at once.
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == ("sent", 1)
    (message,) = mail.outbox
    assert message.to == ["bob@example.org"]
    assert message.extra_headers["Message-ID"].startswith(f"<{failed.message_id}@")


def test_the_log_is_read_only(admin_client, log):
    delivery = log["sent"]
    assert admin_client.get(reverse("admin:argus_notificationprofile_delivery_add")).status_code == 403
    response = admin_client.get(
        reverse("admin:argus_notificationprofile_delivery_change", args=[delivery.pk])
    )
    assert response.status_code == 200 and "alice@example.org" in response.content.decode()
    admin_client.post(
        reverse("admin:argus_notificationprofile_delivery_change", args=[delivery.pk]), {"state": "failed"}
    )
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.SENT


def test_the_list_costs_a_constant_number_of_queries(admin_client, log, django_assert_max_num_queries):
    for _ in range(20):
        DeliveryFactory()
    with django_assert_max_num_queries(12):
        assert admin_client.get(LIST).status_code == 200
