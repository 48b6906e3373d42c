"""Linking, the periodic checks and the still-open notice, mostly through the API and the commands."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from argus.incident.models import Event, Incident
from argus.incident.services import incident_delete
from argus.notificationprofile.errors import FilterInMaintenance
from argus.notificationprofile.services import filter_delete
from argus.plannedmaintenance import services
from argus.plannedmaintenance.errors import (
    EndTimeNotAfterStartTime,
    EndTimeNotInFuture,
    TaskNotDeletable,
)
from argus.plannedmaintenance.models import PlannedMaintenanceLink, PlannedMaintenanceTask
from argus.plannedmaintenance.services import still_open_notice
from tests.factories import IncidentFactory, IncidentTagRelationFactory, SourceSystemFactory, TagFactory
from tests.notificationprofile.factories import FilterFactory
from tests.plannedmaintenance.factories import (
    PlannedMaintenanceLinkFactory,
    PlannedMaintenanceTaskFactory,
    minutes,
)

pytestmark = pytest.mark.django_db

URL = "/api/v2/plannedmaintenance/"


def linked(task) -> set[int]:
    return set(PlannedMaintenanceLink.objects.filter(task=task).values_list("incident_id", flat=True))


def post_incident(client, **fields):
    body = {"start_time": timezone.now().isoformat(), "tags": [], **fields}
    response = client.post("/api/v2/incidents/", body, format="json")
    assert response.status_code == 201, response.content
    return Incident.objects.get(pk=response.json()["pk"])


def source_filter(source_system, **blob):
    return FilterFactory(filter={"sourceSystemIds": [source_system.pk], **blob})


def run(command, *args, verbosity=2) -> str:
    out = io.StringIO()
    call_command(command, *args, verbosity=verbosity, stdout=out)
    return out.getvalue()


# --- linking on change ---------------------------------------------------------------------------


def test_incident_created_during_a_window_is_linked_at_once(source_client, source_system):
    task = PlannedMaintenanceTaskFactory(filters=[source_filter(source_system)])
    incident = post_incident(source_client)
    assert linked(task) == {incident.pk}


def test_only_open_incidents_are_linked(source_client, source_system):
    task = PlannedMaintenanceTaskFactory(filters=[source_filter(source_system)])
    post_incident(source_client, end_time=None)  # stateless
    post_incident(
        source_client,
        end_time=(timezone.now() - minutes(1)).isoformat(),
        start_time=(timezone.now() - minutes(5)).isoformat(),
    )
    assert linked(task) == set()


def test_incident_is_linked_when_a_change_makes_it_covered(end_user_client, source_system):
    task = PlannedMaintenanceTaskFactory(filters=[FilterFactory(filter={"tags": ["location=oslo"]})])
    incident = IncidentFactory(source=source_system)
    assert linked(task) == set()
    response = end_user_client.post(
        f"/api/v2/incidents/{incident.pk}/tags/", {"tag": "location=oslo"}, format="json"
    )
    assert response.status_code == 201
    assert linked(task) == {incident.pk}


def test_acking_links_to_a_task_on_acked_incidents(end_user_client, source_system):
    task = PlannedMaintenanceTaskFactory(filters=[FilterFactory(filter={"acked": True})])
    incident = IncidentFactory(source=source_system)
    response = end_user_client.post(
        f"/api/v2/incidents/{incident.pk}/acks/",
        {"timestamp": timezone.now().isoformat(), "description": "on it"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert linked(task) == {incident.pk}


def test_bulk_changes_link_every_incident(end_user_client, source_system):
    task = PlannedMaintenanceTaskFactory(filters=[FilterFactory(filter={"acked": True})])
    incidents = [IncidentFactory(source=source_system) for _ in range(3)]
    response = end_user_client.post(
        "/api/v2/incidents/acks/bulk/",
        {"ids": [i.pk for i in incidents], "ack": {"timestamp": timezone.now().isoformat()}},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert linked(task) == {i.pk for i in incidents}


def test_no_link_to_future_or_past_tasks(source_client, source_system):
    now = timezone.now()
    blob_filter = source_filter(source_system)
    future = PlannedMaintenanceTaskFactory(start_time=now + minutes(10), filters=[blob_filter])
    past = PlannedMaintenanceTaskFactory(
        start_time=now - minutes(20), end_time=now - minutes(10), filters=[blob_filter]
    )
    post_incident(source_client)
    assert linked(future) == linked(past) == set()


def test_links_are_history_kept_after_the_incident_closes_and_the_task_ends(
    source_client, source_system, superuser_client
):
    task = PlannedMaintenanceTaskFactory(filters=[source_filter(source_system, open=True)])
    incident = post_incident(source_client)
    response = source_client.post(
        f"/api/v2/incidents/{incident.pk}/events/",
        {"type": "END", "timestamp": timezone.now().isoformat()},
        format="json",
    )
    assert response.status_code == 201
    assert superuser_client.post(f"{URL}{task.pk}/end/").status_code == 200
    run("check_started_maintenance")
    run("check_ended_maintenance")
    assert linked(task) == {incident.pk}
    listed = superuser_client.get(f"{URL}{task.pk}/incidents/").json()["results"]
    assert [i["pk"] for i in listed] == [incident.pk]


# --- linking when a task is saved ------------------------------------------------------------------


def test_task_created_while_current_links_at_once(superuser_client, source_system):
    covered = [IncidentFactory(source=source_system) for _ in range(2)]
    IncidentFactory(source=source_system, end_time=timezone.now() - minutes(1))  # closed
    IncidentFactory()  # another source
    response = superuser_client.post(URL, {"filters": [source_filter(source_system).pk]}, format="json")
    assert response.status_code == 201
    task = PlannedMaintenanceTask.objects.get()
    assert linked(task) == {i.pk for i in covered}
    listed = superuser_client.get("/api/v2/incidents/", {"under_maintenance": "true"}).json()["results"]
    assert {i["pk"] for i in listed} == {i.pk for i in covered}


def test_future_task_links_nothing_until_it_starts(superuser_client, source_system):
    IncidentFactory(source=source_system)
    start = timezone.now() + minutes(60)
    body = {"filters": [source_filter(source_system).pk], "start_time": start.isoformat()}
    task_pk = superuser_client.post(URL, body, format="json").json()["pk"]
    assert not PlannedMaintenanceLink.objects.filter(task_id=task_pk).exists()


def test_changing_a_current_tasks_filters_adds_links_and_keeps_the_old_ones(superuser_client, source_system):
    first, other_source = IncidentFactory(source=source_system), SourceSystemFactory()
    second = IncidentFactory(source=other_source)
    task = services.task_create(created_by=None, filters=[source_filter(source_system)])
    assert linked(task) == {first.pk}
    response = superuser_client.patch(
        f"{URL}{task.pk}/", {"filters": [source_filter(other_source).pk]}, format="json"
    )
    assert response.status_code == 200
    assert linked(task) == {first.pk, second.pk}


# --- check_started_maintenance -------------------------------------------------------------------


def test_check_started_links_tasks_that_became_current_and_is_idempotent(source_system):
    incidents = [IncidentFactory(source=source_system) for _ in range(2)]
    task = PlannedMaintenanceTaskFactory(filters=[source_filter(source_system)])  # written without linking
    PlannedMaintenanceTaskFactory(
        filters=[source_filter(source_system)], start_time=timezone.now() + minutes(5)
    )
    assert run("check_started_maintenance") == "Linked 2 incident(s) to 1 current task(s).\n"
    assert linked(task) == {i.pk for i in incidents}
    assert run("check_started_maintenance") == "Linked 0 incident(s) to 1 current task(s).\n"
    assert PlannedMaintenanceLink.objects.count() == 2


def test_check_started_says_nothing_below_verbosity_2_and_ignores_minutes(source_system):
    PlannedMaintenanceTaskFactory(filters=[source_filter(source_system)])
    IncidentFactory(source=source_system)
    assert run("check_started_maintenance", verbosity=1) == ""
    assert run("check_started_maintenance", "-m", "5", verbosity=0) == ""
    assert (
        run("check_started_maintenance", "--minutes", "5") == "Linked 0 incident(s) to 1 current task(s).\n"
    )


# --- check_ended_maintenance: the still-open notice -----------------------------------------------


def ended_task(**kwargs):
    now = timezone.now()
    return PlannedMaintenanceTaskFactory(start_time=now - minutes(60), end_time=now - minutes(1), **kwargs)


def notices(task):
    return list(Event.objects.filter(description=still_open_notice(task.pk)).order_by("incident_id"))


def test_still_open_incidents_get_one_oth_event_by_argus_after_the_end(source_system):
    task = ended_task(filters=[source_filter(source_system)])
    still_open, closed = (
        IncidentFactory(source=source_system),
        IncidentFactory(source=source_system, end_time=timezone.now()),
    )
    for incident in (still_open, closed):
        PlannedMaintenanceLinkFactory(task=task, incident=incident)
    IncidentFactory(source=source_system)  # open but never linked
    assert run("check_ended_maintenance") == "Announced 1 still-open incident(s) of 1 ended task(s).\n"
    (event,) = notices(task)
    assert event.incident_id == still_open.pk
    assert (event.type, event.actor.username) == ("OTH", "argus")
    assert event.description == f"Planned maintenance #{task.pk} has ended; the incident is still open."
    assert event.timestamp > task.end_time
    assert run("check_ended_maintenance") == "Announced 0 still-open incident(s) of 0 ended task(s).\n"
    assert len(notices(task)) == 1


def test_no_notice_when_not_wanted(source_system):
    task = ended_task(filters=[source_filter(source_system)], notify_when_ended=False)
    PlannedMaintenanceLinkFactory(task=task, incident=IncidentFactory(source=source_system))
    run("check_ended_maintenance")
    assert notices(task) == []


def test_no_notice_while_another_current_task_covers_or_links_the_incident(source_system):
    task = ended_task(filters=[source_filter(source_system)])
    covered, linked_elsewhere, free = (IncidentFactory(source=source_system) for _ in range(3))
    for incident in (covered, linked_elsewhere, free):
        PlannedMaintenanceLinkFactory(task=task, incident=incident)
    tag = TagFactory(key="location", value="oslo")
    IncidentTagRelationFactory(incident=covered, tag=tag)
    PlannedMaintenanceTaskFactory(filters=[FilterFactory(filter={"tags": ["location=oslo"]})])
    elsewhere = PlannedMaintenanceTaskFactory(filters=[FilterFactory(filter={"tags": ["location=bergen"]})])
    PlannedMaintenanceLinkFactory(task=elsewhere, incident=linked_elsewhere)
    run("check_ended_maintenance")
    assert [event.incident_id for event in notices(task)] == [free.pk]


def test_no_notice_before_the_end_and_again_after_a_moved_end(source_system, superuser_client):
    now = timezone.now()
    task = PlannedMaintenanceTaskFactory(start_time=now - minutes(60), filters=[source_filter(source_system)])
    PlannedMaintenanceLinkFactory(task=task, incident=IncidentFactory(source=source_system))
    run("check_ended_maintenance")
    assert notices(task) == []
    superuser_client.post(f"{URL}{task.pk}/end/")
    run("check_ended_maintenance")
    assert len(notices(task)) == 1
    # Extended again (it ended less than 12 hours ago), then ended once more: a new notice.
    assert (
        superuser_client.patch(f"{URL}{task.pk}/", {"end_time": "infinity"}, format="json").status_code == 200
    )
    run("check_ended_maintenance")
    assert len(notices(task)) == 1
    superuser_client.post(f"{URL}{task.pk}/end/")
    run("check_ended_maintenance")
    assert len(notices(task)) == 2


def test_check_ended_ignores_minutes_and_is_quiet_by_default():
    assert run("check_ended_maintenance", "-m", "1", verbosity=1) == ""


# --- deleting ------------------------------------------------------------------------------------


def test_deleting_an_incident_deletes_its_links(settings):
    settings.INDELIBLE_INCIDENTS = False
    link = PlannedMaintenanceLinkFactory()
    incident_delete(incident=link.incident)
    assert not PlannedMaintenanceLink.objects.exists()
    assert PlannedMaintenanceTask.objects.filter(pk=link.task_id).exists()


def test_a_filter_used_by_a_current_task_is_kept_by_the_service(db):
    filter_ = FilterFactory()
    task = PlannedMaintenanceTaskFactory(filters=[filter_])
    with pytest.raises(FilterInMaintenance) as error:
        filter_delete(filter=filter_)
    assert error.value.task_ids == [task.pk]


# --- the rules, at the service -------------------------------------------------------------------


def test_create_refuses_a_window_that_is_empty_or_over():
    now = timezone.now()
    filter_ = FilterFactory()
    with pytest.raises(EndTimeNotAfterStartTime):
        services.task_create(
            created_by=None, filters=[filter_], start_time=now + minutes(5), end_time=now + minutes(5)
        )
    with pytest.raises(EndTimeNotInFuture):
        services.task_create(
            created_by=None, filters=[filter_], start_time=now - minutes(5), end_time=now - minutes(1)
        )
    assert not PlannedMaintenanceTask.objects.exists()


def test_tasks_delete_is_all_or_nothing():
    now = timezone.now()
    future = PlannedMaintenanceTaskFactory(start_time=now + minutes(5))
    current = PlannedMaintenanceTaskFactory()
    with pytest.raises(TaskNotDeletable):
        services.tasks_delete(tasks=[future, current])
    assert PlannedMaintenanceTask.objects.count() == 2


def test_tasks_end_ends_current_ones_and_reports_the_others():
    now = timezone.now()
    current = PlannedMaintenanceTaskFactory()
    future = PlannedMaintenanceTaskFactory(start_time=now + minutes(5))
    past = PlannedMaintenanceTaskFactory(start_time=now - minutes(10), end_time=now - minutes(5))
    result = services.tasks_end(tasks=[current, future, past])
    assert [t.pk for t in result.ended] == [current.pk]
    assert [t.pk for t in result.future] == [future.pk] and [t.pk for t in result.past] == [past.pk]
    current.refresh_from_db()
    future.refresh_from_db()
    assert current.end_time <= timezone.now() < future.start_time


def test_end_time_is_always_after_the_start():
    task = PlannedMaintenanceTaskFactory(start_time=timezone.now() - datetime.timedelta(microseconds=0))
    ended = services.task_end(task=task)
    assert ended.end_time > ended.start_time


@pytest.mark.django_db
def test_a_token_expiry_incident_raised_during_maintenance_is_linked_to_it():
    from argus.incident.token_expiry import token_expiry_incident_create
    from argus.notificationprofile.services import filter_create
    from argus.plannedmaintenance.models import PlannedMaintenanceLink
    from tests.factories import SourceSystemFactory, SuperUserFactory
    from tests.plannedmaintenance.factories import PlannedMaintenanceTaskFactory

    owner = SuperUserFactory()
    watched = filter_create(user=owner, name="token expiry", blob={"tags": ["problem_type=token_expiry"]})
    task = PlannedMaintenanceTaskFactory(filters=[watched])
    source = SourceSystemFactory()
    incident = token_expiry_incident_create(source=source, expiry=timezone.now())
    assert PlannedMaintenanceLink.objects.filter(task=task, incident=incident).exists()
