"""Dead-source incidents: what sync_heartbeat_incidents opens, closes and leaves alone."""

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from argus.incident import heartbeats, services
from argus.incident.choices import EventType
from argus.incident.heartbeats import sync_heartbeat_incidents
from argus.incident.models import Event, Incident, IncidentTagRelation, SourceSystem
from argus.util.datetime_utils import INFINITY, datetime_to_api
from tests.factories import SourceSystemFactory
from tests.integration.conftest import is_postgres

MINUTE = timedelta(minutes=1)


def monitored_source(silent_for=timedelta(minutes=5), frequency=MINUTE, name=None, **kwargs):
    """A source seen ``silent_for`` ago, monitored since long before."""
    now = timezone.now()
    if name is not None:
        kwargs["name"] = name
    return SourceSystemFactory(
        heartbeat_frequency=frequency,
        heartbeat_armed_at=now - timedelta(days=1),
        last_seen=now - silent_for,
        **kwargs,
    )


def heartbeat_incidents():
    return Incident.objects.filter(heartbeats.heartbeat_incidents_q()).order_by("pk")


def tags_of(incident):
    relations = IncidentTagRelation.objects.filter(incident_id=incident.pk).select_related("tag")
    return sorted(relation.tag.representation for relation in relations)


@pytest.mark.django_db
class TestOpening:
    def test_a_dead_source_gets_an_incident_dated_when_its_heartbeat_was_due(self):
        source = monitored_source(name="nav-oslo")
        due = source.last_seen + MINUTE
        result = sync_heartbeat_incidents()
        (incident,) = result.created
        incident = Incident.objects.get(pk=incident.pk)
        assert incident.source.name == incident.source.type_id == "argus"
        assert incident.open and incident.level == 4
        assert incident.start_time == due
        assert incident.description == "Missing heartbeat from source nav-oslo (nav), dead?"
        assert incident.source_incident_id == f"missing_heartbeat-{source.pk}-{int(due.timestamp())}"
        assert incident.metadata == {
            "last_seen": datetime_to_api(source.last_seen),
            "heartbeat_frequency": 60,
        }
        assert tags_of(incident) == ["problem_type=missing_heartbeat", f"source_system_id={source.pk}"]
        (event,) = incident.events.all()
        assert event.type == EventType.INCIDENT_START and event.actor == incident.source.user

    def test_a_source_never_seen_is_dated_from_when_monitoring_was_armed(self):
        armed = timezone.now() - timedelta(minutes=3)
        source = SourceSystemFactory(heartbeat_frequency=MINUTE, heartbeat_armed_at=armed)
        (incident,) = sync_heartbeat_incidents().created
        assert incident.start_time == armed + MINUTE
        assert incident.metadata["last_seen"] is None
        assert f"source_system_id={source.pk}" in tags_of(incident)

    def test_a_run_again_creates_nothing_more(self):
        monitored_source()
        assert len(sync_heartbeat_incidents().created) == 1
        result = sync_heartbeat_incidents()
        assert result.created == [] and len(result.remaining) == 1
        assert heartbeat_incidents().count() == 1

    @pytest.mark.parametrize(
        "source_kwargs",
        [
            {"silent_for": timedelta(seconds=30)},  # alive
            {"silent_for": MINUTE + timedelta(seconds=9)},  # within the grace
            {"frequency": None},  # off
        ],
    )
    def test_sources_that_are_not_dead_get_nothing(self, source_kwargs):
        monitored_source(**source_kwargs)
        SourceSystemFactory(heartbeat_frequency=MINUTE, heartbeat_armed_at=timezone.now())  # waiting
        assert not sync_heartbeat_incidents()
        assert not heartbeat_incidents().exists()

    def test_an_incident_closed_by_hand_is_not_opened_again_for_the_same_silence(self):
        monitored_source()
        (incident,) = sync_heartbeat_incidents().created
        services.incident_end(incident=incident, actor=incident.source.user)
        assert sync_heartbeat_incidents().created == []


@pytest.mark.django_db
class TestClosing:
    def dead_with_incident(self, **kwargs):
        source = monitored_source(**kwargs)
        (incident,) = sync_heartbeat_incidents().created
        return source, Incident.objects.get(pk=incident.pk)

    def test_a_source_alive_again_closes_its_incident_when_it_was_seen(self):
        source, incident = self.dead_with_incident(name="nav-oslo")
        back = timezone.now() - timedelta(seconds=2)
        SourceSystem.objects.filter(pk=source.pk).update(last_seen=back)
        result = sync_heartbeat_incidents()
        assert [closed.pk for closed, _ in result.closed] == [incident.pk]
        incident.refresh_from_db()
        assert incident.end_time == back
        end = incident.events.get(type=EventType.INCIDENT_END)
        assert end.description == 'Source "nav-oslo (nav)" is again alive and well'
        assert end.actor == incident.source.user and end.timestamp == back

    def test_monitoring_turned_off_closes_the_incident_now(self):
        source, incident = self.dead_with_incident(name="nav-oslo")
        services.source_system_update(source=source, data={"heartbeat_frequency": None})
        before = timezone.now()
        sync_heartbeat_incidents()
        incident.refresh_from_db()
        assert before <= incident.end_time <= timezone.now()
        end = incident.events.get(type=EventType.INCIDENT_END)
        assert end.description == 'Heartbeat monitoring turned off for source "nav-oslo (nav)"'

    def test_a_frequency_raised_by_hand_closes_it_at_run_time_not_before_it_started(self):
        source, incident = self.dead_with_incident()
        services.source_system_update(source=source, data={"heartbeat_frequency": timedelta(days=1)})
        sync_heartbeat_incidents()
        incident.refresh_from_db()
        assert incident.end_time >= incident.start_time
        assert not incident.open

    def test_a_deleted_source_closes_its_incident(self):
        source, incident = self.dead_with_incident()
        services.source_systems_delete(sources=[source])
        sync_heartbeat_incidents()
        incident.refresh_from_db()
        assert not incident.open
        assert incident.events.get(type=EventType.INCIDENT_END).description == (
            f"The source of incident {incident.pk} is gone, closing"
        )

    def test_an_incident_without_its_source_tag_is_closed(self):
        source, incident = self.dead_with_incident()
        tag = incident.incident_tag_relations.get(tag__key="source_system_id").tag
        services.incident_tag_remove(incident=incident, tag=tag)
        sync_heartbeat_incidents()
        incident.refresh_from_db()
        assert not incident.open
        assert incident.events.get(type=EventType.INCIDENT_END).description == (
            f"The source tag of incident {incident.pk} is missing, closing"
        )

    def test_an_incident_with_several_source_tags_is_left_open_and_logged(self, caplog):
        source, incident = self.dead_with_incident()
        services.incident_tag_add(incident=incident, actor=incident.source.user, tag="source_system_id=999")
        result = sync_heartbeat_incidents()
        assert incident in result.remaining
        incident.refresh_from_db()
        assert incident.open
        assert "several source_system_id tags" in caplog.text

    def test_of_two_open_incidents_for_one_source_the_oldest_is_kept_the_other_reported(self, caplog):
        source, first = self.dead_with_incident()
        argus = services.argus_source_ensure()
        second = services.incident_create(
            actor=argus.user,
            source=argus,
            start_time=timezone.now(),
            end_time=INFINITY,
            tags=["problem_type=missing_heartbeat", f"source_system_id={source.pk}"],
        )
        result = sync_heartbeat_incidents()
        assert {incident.pk for incident in result.remaining} == {first.pk, second.pk}
        assert result.created == []
        assert f"{first.pk} is kept, {second.pk} left alone" in caplog.text
        SourceSystem.objects.filter(pk=source.pk).update(last_seen=timezone.now())
        result = sync_heartbeat_incidents()
        assert [incident.pk for incident, _ in result.closed] == [first.pk]
        second.refresh_from_db()
        assert second.open


@pytest.mark.django_db
class TestCommand:
    def run(self, *args):
        out = StringIO()
        call_command("sync_heartbeat_incidents", *args, stdout=out)
        return out.getvalue()

    def test_it_prints_nothing_when_nothing_happened_or_remains(self):
        monitored_source(silent_for=timedelta(seconds=1))
        assert self.run() == ""

    def test_it_counts_what_it_did(self):
        monitored_source()
        assert self.run() == "Heartbeat incidents: Created: 1, Closed: 0, Remaining: 0\n"
        assert self.run() == "Heartbeat incidents: Created: 0, Closed: 0, Remaining: 1\n"
        assert self.run("-v", "0") == ""

    def test_verbosity_2_lists_the_incidents(self):
        source = monitored_source(name="nav-oslo")
        text = self.run("-v", "2")
        (incident,) = heartbeat_incidents()
        assert f"Created incident {incident.pk}: Missing heartbeat from source nav-oslo (nav), dead?" in text
        SourceSystem.objects.filter(pk=source.pk).update(last_seen=timezone.now())
        text = self.run("-v", "2")
        assert f'Closed incident {incident.pk}: Source "nav-oslo (nav)" is again alive and well' in text

    def test_it_is_a_periodic_job_every_minute(self, settings):
        assert (60, ["sync_heartbeat_incidents"]) in settings.PERIODIC_JOBS


@pytest.mark.skipif(not is_postgres(), reason="a real race needs PostgreSQL (SQLite serialises writers)")
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_create_one_incident(monkeypatch):
    monitored_source()
    services.argus_source_ensure()
    both_decided = threading.Barrier(2, timeout=30)
    create = heartbeats.dead_source_incident_create

    def create_after_both_decided(**kwargs):
        both_decided.wait()  # both runs have seen "dead, no open incident"
        return create(**kwargs)

    monkeypatch.setattr(heartbeats, "dead_source_incident_create", create_after_both_decided)
    results, errors = [], []

    def run():
        try:
            results.append(sync_heartbeat_incidents())
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(len(result.created) for result in results) == [0, 1]
    assert heartbeat_incidents().count() == 1
    assert (
        Event.objects.filter(incident__in=heartbeat_incidents(), type=EventType.INCIDENT_START).count() == 1
    )
