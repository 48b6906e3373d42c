"""GET /metrics: the text exposition, the token, the counters recorded where things happen and the
gauges read from the database."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from argus.incident import services
from argus.incident.errors import DuplicateSourceIncidentId
from argus.notificationprofile.dispatch import forget_wake_up
from argus.site.metrics import DATABASE_GAUGES
from tests.factories import SourceSystemFactory
from tests.incident.api.related_helpers import make_incident
from tests.notificationprofile.delivery import add_subscriber
from tests.notificationprofile.factories import FilterFactory
from tests.plannedmaintenance.factories import PlannedMaintenanceTaskFactory

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
ALL_GAUGES = {
    "argus_build_info",
    "argus_incidents_open",
    "argus_incidents_under_maintenance",
    "argus_maintenance_tasks_current",
    "argus_notification_queue_tasks",
    "argus_notification_queue_oldest_ready_seconds",
    "argus_source_last_seen_timestamp_seconds",
    "argus_sources_dead",
}


@pytest.fixture(autouse=True)
def fresh_gauges(settings):
    settings.METRICS_CACHE_SECONDS = 0
    DATABASE_GAUGES.clear()
    yield
    DATABASE_GAUGES.clear()


def scrape(client, **headers) -> dict:
    """{(sample name, frozenset of labels): value} of one scrape."""
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def names(samples) -> set[str]:
    return {name for name, _labels in samples}


def test_metrics_parse_and_carry_the_build_and_the_gauges(client):
    samples = scrape(client)
    assert value(samples, "argus_build_info", version="1.37.0", api="v1,v2") == 1
    assert ALL_GAUGES - {"argus_source_last_seen_timestamp_seconds", "argus_incidents_open"} <= names(samples)


def test_metrics_also_answer_with_a_slash_and_to_head(client):
    assert client.get("/metrics/").status_code == 200
    assert client.head("/metrics").status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_metrics_refuse_other_methods(client, method):
    assert getattr(client, method)("/metrics").status_code == 405


def test_metrics_switched_off_are_not_found(client, settings):
    settings.METRICS_ENABLED = False
    assert client.get("/metrics").status_code == 404


def test_metrics_answer_under_any_host(client, settings):
    settings.ALLOWED_HOSTS = ["argus.example.org"]
    assert client.get("/metrics", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/api/", HTTP_HOST="10.1.2.3:8000").status_code == 400


def test_a_metrics_token_is_required_when_set(client, settings):
    settings.METRICS_TOKEN = "s3cret-token-123"
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == "Bearer"
    assert refused.content == b""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Token s3cret-token-123").status_code == 401
    assert scrape(client, HTTP_AUTHORIZATION="Bearer s3cret-token-123")


def test_posting_an_incident_moves_the_ingest_counters(
    client, source_client, source_system, django_capture_on_commit_callbacks
):
    before = scrape(client)
    body = {"start_time": timezone.now().isoformat(), "description": "x", "tags": []}
    with django_capture_on_commit_callbacks(execute=True):  # counted when the transaction commits
        assert source_client.post("/api/v2/incidents/", body, format="json").status_code == 201
    after = scrape(client)
    labels = {"source_type": source_system.type_id, "source": source_system.name}

    def delta(name, **more):
        return value(after, name, **more) - value(before, name, **more)

    assert delta("argus_incidents_created_total", **labels, stateful="true") == 1
    assert delta("argus_events_created_total", type="STA") == 1
    assert delta("argus_ingest_requests_total", operation="incident_create", code="201") == 1
    assert delta("argus_ingest_request_duration_seconds_count", operation="incident_create") == 1
    assert delta("argus_api_requests_total", version="v2", method="POST", code_class="2xx") == 1
    assert value(after, "argus_source_last_seen_timestamp_seconds", **labels) > 0


def test_refused_writes_and_reads_are_counted_as_such(client, source_client, end_user_client):
    before = scrape(client)
    source_client.post("/api/v1/incidents/", {"description": "no start"}, format="json")
    end_user_client.get("/api/v1/incidents/")
    after = scrape(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("argus_ingest_requests_total", operation="incident_create", code="400") == 1
    assert delta("argus_api_requests_total", version="v1", method="POST", code_class="4xx") == 1
    assert delta("argus_api_requests_total", version="v1", method="GET", code_class="2xx") == 1


def test_a_rolled_back_incident_is_not_counted(client, source_system, django_capture_on_commit_callbacks):
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        make_incident(source_system, source_incident_id="once")
        with pytest.raises(DuplicateSourceIncidentId):
            make_incident(source_system, source_incident_id="once")
    after = scrape(client)
    labels = {"source_type": source_system.type_id, "source": source_system.name, "stateful": "true"}
    assert (
        value(after, "argus_incidents_created_total", **labels)
        - value(before, "argus_incidents_created_total", **labels)
        == 1
    )


def test_open_incidents_are_counted_by_source_level_and_ack(client, source_system, end_user):
    make_incident(source_system, level=2)
    acked = make_incident(source_system, level=2)
    services.acknowledgement_create(incident=acked, actor=end_user)
    make_incident(source_system, level=2, stateless=True)
    make_incident(source_system, level=2, end_time=timezone.now() - timedelta(minutes=1))
    samples = scrape(client)
    labels = {"source_type": source_system.type_id, "source": source_system.name, "level": "2"}
    assert value(samples, "argus_incidents_open", **labels, acked="false") == 1
    assert value(samples, "argus_incidents_open", **labels, acked="true") == 1


def test_dead_sources_are_counted(client):
    now = timezone.now()
    SourceSystemFactory(heartbeat_frequency=timedelta(minutes=1), heartbeat_armed_at=now - timedelta(hours=1))
    SourceSystemFactory(heartbeat_frequency=timedelta(minutes=1), heartbeat_armed_at=now)
    assert value(scrape(client), "argus_sources_dead") == 1


def test_undelivered_notification_runs_are_ready_tasks(
    client, settings, source_system, django_capture_on_commit_callbacks
):
    """No worker runs: one wake-up task per committed change waits in the queue."""
    settings.TASKS = DATABASE_TASKS
    settings.SEND_NOTIFICATIONS = True
    settings.NOTIFICATION_BATCH_WINDOW = 0
    forget_wake_up()
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            make_incident(source_system)
    samples = scrape(client)
    assert value(samples, "argus_notification_queue_tasks", state="ready") == 3
    assert value(samples, "argus_notification_queue_tasks", state="running") == 0
    assert value(samples, "argus_notification_queue_oldest_ready_seconds") >= 0


def test_gauges_are_cached_between_scrapes(client, settings, source_system):
    settings.METRICS_CACHE_SECONDS = 3600
    scrape(client)
    make_incident(source_system, level=1)
    labels = {
        "source_type": source_system.type_id,
        "source": source_system.name,
        "level": "1",
        "acked": "false",
    }
    assert value(scrape(client), "argus_incidents_open", **labels) == 0
    DATABASE_GAUGES.clear()
    assert value(scrape(client), "argus_incidents_open", **labels) == 1


def test_a_scrape_never_counts_a_whole_table(client, source_system):
    make_incident(source_system)
    with CaptureQueriesContext(connection) as queries:
        scrape(client)
    for query in queries.captured_queries:
        sql = query["sql"]
        if "COUNT(" in sql.upper():
            assert "WHERE" in sql.upper(), sql


def test_planned_maintenance_is_counted_and_silenced_events_too(
    client, source_system, django_capture_on_commit_callbacks
):
    add_subscriber(source_system, "alice")
    task = PlannedMaintenanceTaskFactory(
        filters=[FilterFactory(filter={"sourceSystemIds": [source_system.pk]})]
    )
    PlannedMaintenanceTaskFactory(start_time=timezone.now() + timedelta(hours=1))  # future: not counted
    before = value(scrape(client), "argus_notifications_suppressed_total", reason="maintenance")
    with django_capture_on_commit_callbacks(execute=True):  # the immediate backend runs the worker
        incident = make_incident(source_system, start_time=timezone.now())  # inside the window
    DATABASE_GAUGES.clear()
    samples = scrape(client)
    assert task.links.filter(incident=incident).exists()
    assert value(samples, "argus_incidents_under_maintenance") == 1
    assert value(samples, "argus_maintenance_tasks_current") == 1
    assert value(samples, "argus_notifications_suppressed_total", reason="maintenance") == before + 1
