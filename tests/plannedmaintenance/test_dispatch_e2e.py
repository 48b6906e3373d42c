"""End to end: sources post over REST, ``db_worker`` sends through a real SMTP server on loopback,
and planned maintenance keeps quiet what it covers (and only that)."""

import datetime
import logging

import pytest
from django.core.management import call_command
from django.utils import timezone

from argus.incident.models import Event
from argus.notificationprofile.models import Delivery
from tests.factories import EndUserFactory
from tests.notificationprofile.delivery import DB_TASKS, SMTPSink, free_port, run_worker, smtp_settings
from tests.notificationprofile.factories import FilterFactory
from tests.plannedmaintenance.factories import PlannedMaintenanceTaskFactory

URL = "/api/v2/plannedmaintenance/"
QUIET = 0.3  # seconds a sink is watched for mail that must not come


@pytest.fixture
def relay():
    port = free_port()
    with SMTPSink(port) as sink, smtp_settings(port), DB_TASKS:
        yield sink


@pytest.fixture
def staff_client(superuser_client):
    return superuser_client


def iso(moment) -> str:
    return moment.isoformat()


def ago(minutes: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=minutes)


def post_incident(client, start_time=None):
    body = {
        "start_time": iso(start_time or timezone.now()),
        "end_time": "infinity",
        "tags": [],
        "description": "down",
    }
    response = client.post("/api/v2/incidents/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["pk"]


def post_event(client, incident_pk, type, timestamp=None, description=""):
    body = {"type": type, "timestamp": iso(timestamp or timezone.now()), "description": description}
    response = client.post(f"/api/v2/incidents/{incident_pk}/events/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["pk"]


def ack(client, incident_pk):
    body = {"timestamp": iso(timezone.now()), "description": "on it"}
    response = client.post(f"/api/v2/incidents/{incident_pk}/acks/", body, format="json")
    assert response.status_code == 201, response.content


def subjects(sink) -> list[str]:
    return [str(message["Subject"]) for _recipients, message in sink.messages]


def maintenance_of(source_system, **kwargs):
    """A task covering every incident of ``source_system`` (current unless told otherwise)."""
    return PlannedMaintenanceTaskFactory(
        filters=[FilterFactory(filter={"sourceSystemIds": [source_system.pk]})], **kwargs
    )


def test_covered_incident_sends_nothing_during_the_window_and_again_after_it(
    subscriber, source_system, source_client, staff_client, relay, caplog
):
    task = maintenance_of(source_system)
    with caplog.at_level(logging.INFO, logger="argus.notificationprofile.tasks"):
        incident = post_incident(source_client)
        ack(staff_client, incident)
        post_event(source_client, incident, "OTH", description="still down")
        run_worker()
    assert relay.wait_for(1, timeout=QUIET) == []
    assert not Delivery.objects.exists()
    assert f"under planned maintenance #{task.pk}" in caplog.text
    # Stored, listed and shown as usual.
    types = [e["type"]["value"] for e in staff_client.get(f"/api/v2/incidents/{incident}/events/").json()]
    assert sorted(types) == ["ACK", "OTH", "STA"]
    assert (
        staff_client.get("/api/v2/incidents/", {"under_maintenance": "true"}).json()["results"][0]["pk"]
        == incident
    )

    assert staff_client.post(f"{URL}{task.pk}/end/").status_code == 200
    post_event(source_client, incident, "END", description="resolved")
    run_worker()
    ((recipients, message),) = relay.wait_for(1)
    assert recipients == ["alice@example.org"]
    assert str(message["Subject"]).startswith("[Argus] 'Incident end': down, ")


def test_end_of_a_linked_incident_stays_silent_even_when_the_filter_wants_open_incidents(
    subscriber, source_system, source_client, relay
):
    maintenance_of(source_system).filters.update(filter={"sourceSystemIds": [source_system.pk], "open": True})
    incident = post_incident(source_client)
    post_event(source_client, incident, "END")
    run_worker()
    assert relay.wait_for(1, timeout=QUIET) == []


def test_back_dated_event_inside_a_past_window_is_silenced(subscriber, source_system, source_client, relay):
    maintenance_of(source_system, start_time=ago(180), end_time=ago(120))
    post_incident(source_client, start_time=ago(150))
    run_worker()
    assert relay.wait_for(1, timeout=QUIET) == []
    post_incident(source_client, start_time=ago(100))  # after the window
    run_worker()
    assert len(relay.wait_for(1)) == 1


def test_event_posted_during_a_window_but_stamped_before_it_is_sent(
    subscriber, source_system, source_client, relay
):
    maintenance_of(source_system, start_time=ago(10))
    post_incident(source_client, start_time=ago(20))
    run_worker()
    assert len(relay.wait_for(1)) == 1


def test_task_whose_only_filter_was_deleted_silences_nothing(subscriber, source_system, source_client, relay):
    owner = EndUserFactory()
    task = PlannedMaintenanceTaskFactory(
        start_time=ago(180),
        end_time=ago(120),
        filters=[FilterFactory(user=owner, filter={"sourceSystemIds": [source_system.pk]})],
    )
    owner.delete()  # takes the filter with it
    assert not task.filters.exists()
    post_incident(source_client, start_time=ago(150))
    run_worker()
    assert len(relay.wait_for(1)) == 1


def test_the_still_open_notice_arrives_once(subscriber, source_system, source_client, staff_client, relay):
    task = maintenance_of(source_system)
    incident = post_incident(source_client)
    run_worker()
    assert staff_client.post(f"{URL}{task.pk}/end/").status_code == 200
    call_command("check_started_maintenance", verbosity=0)
    call_command("check_ended_maintenance", verbosity=0)
    call_command("check_ended_maintenance", verbosity=0)
    run_worker()
    (subject,) = subjects(relay)  # the STA was silenced; the notice comes once
    assert subject.startswith("[Argus] 'Other': down, argus @ ")
    (notice,) = Event.objects.filter(incident_id=incident, type="OTH")
    assert notice.description == f"Planned maintenance #{task.pk} has ended; the incident is still open."
