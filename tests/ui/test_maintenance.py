"""The planned maintenance pages: lists, one task, the form, ending, deleting, the preview; and
what the incident list and the incident page show of maintenance."""

import datetime
import re
import zoneinfo

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from argus.notificationprofile.models import Filter
from argus.plannedmaintenance import services
from argus.plannedmaintenance.models import PlannedMaintenanceLink, PlannedMaintenanceTask
from argus.util.datetime_utils import INFINITY
from tests.factories import EndUserFactory
from tests.plannedmaintenance.factories import PlannedMaintenanceTaskFactory
from tests.ui.conftest import logged_in, set_preferences

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages._queued_messages]


def local(moment: datetime.datetime, tz: str | None = None) -> str:
    """A time as a datetime-local input sends it, in the user's (default: the server's) zone."""
    return moment.astimezone(zoneinfo.ZoneInfo(tz or settings.TIME_ZONE)).strftime("%Y-%m-%dT%H:%M")


def row_of(html: str, task) -> str:
    start = html.index(f'<tr id="task-{task.pk}">')
    return html[start : html.index("</tr>", start)]


@pytest.fixture
def nav_filter(user):
    return Filter.objects.create(user=user, name="nav", filter={"sourceSystemIds": [], "tags": ["host=h1"]})


@pytest.fixture
def staff_filter(staff):
    return Filter.objects.create(user=staff, name="core", filter={"tags": ["host=h2"]})


@pytest.fixture
def tasks(staff, nav_filter):
    """An ongoing, a scheduled, a recently completed and an old task."""
    now = timezone.now()
    return {
        "ongoing": PlannedMaintenanceTaskFactory(
            created_by=staff,
            start_time=now - HOUR,
            end_time=INFINITY,
            description="Core upgrade",
            filters=[nav_filter],
        ),
        "scheduled": PlannedMaintenanceTaskFactory(
            created_by=staff,
            start_time=now + HOUR,
            end_time=now + 3 * HOUR,
            description="",
        ),
        "recent": PlannedMaintenanceTaskFactory(
            created_by=staff,
            start_time=now - 5 * HOUR,
            end_time=now - 2 * HOUR,
            description="Recent",
        ),
        "old": PlannedMaintenanceTaskFactory(
            created_by=None,
            start_time=now - 50 * HOUR,
            end_time=now - 48 * HOUR,
            description="Old",
        ),
    }


@pytest.fixture
def readonly_staff(staff, settings):
    settings.ARGUS_UI_READONLY_GROUP = "viewers"
    staff.groups.add(Group.objects.create(name="viewers"))
    return logged_in(staff)


# --- who may do what --------------------------------------------------------------------------------


def test_the_nav_bar_and_the_user_menu_lead_to_planned_maintenance(ui):
    html = ui.get("/incidents/").content.decode()
    assert html.count('<a href="/plannedmaintenance/"') == 2
    page = ui.get("/plannedmaintenance/").content.decode()
    assert '<a href="/plannedmaintenance/" aria-current="page">Planned Maintenance</a>' in page


def test_anonymous_visitors_go_to_the_login_page(client, tasks):
    pk = tasks["ongoing"].pk
    paths = [
        "/plannedmaintenance/",
        "/plannedmaintenance/upcoming/",
        "/plannedmaintenance/past/",
        f"/plannedmaintenance/{pk}/",
        "/plannedmaintenance/create/",
        f"/plannedmaintenance/{pk}/update/",
        f"/plannedmaintenance/{pk}/cancel/",
        f"/plannedmaintenance/{pk}/delete/",
        "/plannedmaintenance/filter-preview/",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    for path in paths[-4:-1]:
        assert client.post(path).status_code == 302
    assert PlannedMaintenanceTask.objects.get(pk=pk).end_time == INFINITY


def test_everyone_logged_in_reads_but_only_staff_write(ui, tasks, nav_filter):
    pk, scheduled = tasks["ongoing"].pk, tasks["scheduled"].pk
    for path in ["/plannedmaintenance/", "/plannedmaintenance/past/", f"/plannedmaintenance/{pk}/"]:
        html = ui.get(path).content.decode()
        assert "Create new" not in html and "/update/" not in html and "End now" not in html
    assert ui.get(f"/plannedmaintenance/{pk}/").status_code == 200
    forbidden = [
        ("get", "/plannedmaintenance/create/"),
        ("get", f"/plannedmaintenance/create/?copy_from={pk}"),
        ("post", "/plannedmaintenance/create/"),
        ("get", f"/plannedmaintenance/{pk}/update/"),
        ("post", f"/plannedmaintenance/{pk}/update/"),
        ("post", f"/plannedmaintenance/{pk}/cancel/"),
        ("post", f"/plannedmaintenance/{scheduled}/delete/"),
        ("get", f"/plannedmaintenance/filter-preview/?filters={nav_filter.pk}"),
    ]
    for method, path in forbidden:
        assert getattr(ui, method)(path).status_code == 403, path
    assert PlannedMaintenanceTask.objects.count() == 4
    assert PlannedMaintenanceTask.objects.get(pk=pk).end_time == INFINITY


def test_staff_and_superusers_get_the_write_controls(staff_ui, admin_ui, tasks):
    for client in (staff_ui, admin_ui):
        html = client.get("/plannedmaintenance/").content.decode()
        assert 'href="/plannedmaintenance/create/">Create new</a>' in html
        assert client.get("/plannedmaintenance/create/").status_code == 200
        assert client.get(f"/plannedmaintenance/{tasks['ongoing'].pk}/update/").status_code == 200


def test_the_read_only_group_sees_no_write_controls_and_may_write_nothing(readonly_staff, tasks):
    pk, scheduled = tasks["ongoing"].pk, tasks["scheduled"].pk
    html = readonly_staff.get("/plannedmaintenance/").content.decode()
    assert "Create new" not in html and "End now" not in html and "/update/" not in html
    assert readonly_staff.get("/plannedmaintenance/create/").status_code == 403
    assert readonly_staff.post(f"/plannedmaintenance/{pk}/cancel/").status_code == 403
    assert readonly_staff.post(f"/plannedmaintenance/{scheduled}/delete/").status_code == 403
    assert readonly_staff.post(f"/plannedmaintenance/{pk}/update/", {"end_time": ""}).status_code == 403
    assert PlannedMaintenanceTask.objects.count() == 4


def test_unknown_and_absurd_task_ids_are_404(staff_ui):
    for path in ["/plannedmaintenance/4242/", "/plannedmaintenance/99999999999999999999/"]:
        assert staff_ui.get(path).status_code == 404
    for action in ["update", "cancel", "delete"]:
        assert staff_ui.post(f"/plannedmaintenance/4242/{action}/").status_code == 404
        assert staff_ui.post(f"/plannedmaintenance/99999999999999999999/{action}/").status_code == 404
    for value in ["4242", "abc", "99999999999999999999", ""]:
        assert staff_ui.get(f"/plannedmaintenance/create/?copy_from={value}").status_code == 404


# --- the lists ----------------------------------------------------------------------------------------


def test_upcoming_lists_ongoing_and_scheduled_tasks_by_start(ui, tasks):
    html = ui.get("/plannedmaintenance/").content.decode()
    ids = [int(pk) for pk in re.findall(r'<tr id="task-(\d+)">', html)]
    assert ids == [tasks["ongoing"].pk, tasks["scheduled"].pk]
    upcoming = ui.get("/plannedmaintenance/upcoming/").content.decode()
    assert [int(pk) for pk in re.findall(r'<tr id="task-(\d+)">', upcoming)] == ids
    ongoing = row_of(html, tasks["ongoing"])
    assert "Ongoing" in ongoing and "Core upgrade" in ongoing and "<td>nav</td>" in ongoing
    assert "to now" in ongoing and "<td>staffer</td>" in ongoing and ">View<" in ongoing
    scheduled = row_of(html, tasks["scheduled"])
    assert "Scheduled" in scheduled and "<td>-</td>" in scheduled and "<td>None</td>" in scheduled
    assert scheduled.count("<time") == 2


def test_past_lists_completed_tasks_latest_end_first(ui, tasks):
    html = ui.get("/plannedmaintenance/past/").content.decode()
    ids = [int(pk) for pk in re.findall(r'<tr id="task-(\d+)">', html)]
    assert ids == [tasks["recent"].pk, tasks["old"].pk]
    assert "Completed" in row_of(html, tasks["old"]) and "<td>-</td>" in row_of(html, tasks["old"])
    assert '<a href="/plannedmaintenance/past/" aria-current="page">Past</a>' in html


def test_empty_lists_say_so(ui):
    assert "No upcoming maintenance tasks" in ui.get("/plannedmaintenance/").content.decode()
    assert "No past maintenance tasks" in ui.get("/plannedmaintenance/past/").content.decode()


def test_staff_actions_follow_the_state_and_the_12_hour_rule(staff_ui, tasks):
    upcoming = staff_ui.get("/plannedmaintenance/").content.decode()
    ongoing = row_of(upcoming, tasks["ongoing"])
    assert f'href="/plannedmaintenance/{tasks["ongoing"].pk}/update/">Edit' in ongoing
    assert (
        f'href="/plannedmaintenance/{tasks["ongoing"].pk}/cancel/"' in ongoing and "/delete/" not in ongoing
    )
    assert f'href="/plannedmaintenance/create/?copy_from={tasks["ongoing"].pk}">Create copy' in ongoing
    scheduled = row_of(upcoming, tasks["scheduled"])
    assert "/delete/" in scheduled and "/cancel/" not in scheduled and ">Edit<" in scheduled
    past = staff_ui.get("/plannedmaintenance/past/").content.decode()
    recent, old = row_of(past, tasks["recent"]), row_of(past, tasks["old"])
    assert ">Edit<" in recent and "/cancel/" not in recent and "/delete/" not in recent
    assert ">View<" in old and ">Edit<" not in old and "Create copy" in old


def test_the_lists_cost_a_constant_number_of_queries(
    staff_ui, staff, nav_filter, staff_filter, django_assert_num_queries
):
    now = timezone.now()

    def add(n):
        for i in range(n):
            PlannedMaintenanceTaskFactory(
                created_by=staff,
                start_time=now + (i + 1) * HOUR,
                end_time=now + (i + 2) * HOUR,
                filters=[nav_filter, staff_filter],
            )
            PlannedMaintenanceTaskFactory(
                created_by=staff,
                start_time=now - (i + 3) * HOUR,
                end_time=now - (i + 2) * HOUR,
                filters=[nav_filter],
            )

    add(2)
    # session, user, preferences, count, tasks with their creators, their filters
    counts = {"/plannedmaintenance/": 6, "/plannedmaintenance/past/": 6}
    for path, count in counts.items():
        with django_assert_num_queries(count):
            staff_ui.get(path)
    add(20)
    for path, count in counts.items():
        with django_assert_num_queries(count):
            staff_ui.get(path)


def test_the_task_page_shows_the_task_read_only(ui, tasks, nav_filter, make_incident):
    task = tasks["ongoing"]
    PlannedMaintenanceLink.objects.create(task=task, incident=make_incident())
    html = ui.get(f"/plannedmaintenance/{task.pk}/").content.decode()
    assert f"<h1>Planned maintenance #{task.pk}</h1>" in html
    assert "Ongoing" in html and "Core upgrade" in html and "nav (operator)" in html
    assert "Open-ended" in html and "<dt>Incidents covered</dt><dd>1</dd>" in html
    assert "<form" not in html.split('<main id="main"')[1].split("</main>")[0]


# --- creating and copying -----------------------------------------------------------------------------


def test_staff_create_a_task_without_scripts(staff_ui, staff, nav_filter, staff_filter):
    start = timezone.now() + HOUR
    response = staff_ui.post(
        "/plannedmaintenance/create/",
        {
            "start_time": local(start),
            "end_time": local(start + 2 * HOUR),
            "description": "Router swap",
            "filters": [nav_filter.pk, staff_filter.pk],
            "notify_when_ended": "on",
        },
    )
    assert response.status_code == 303 and response["Location"] == "/plannedmaintenance/"
    task = PlannedMaintenanceTask.objects.get()
    assert messages_of(response) == [f"Created planned maintenance task #{task.pk}."]
    assert task.created_by == staff and task.description == "Router swap" and task.notify_when_ended
    assert set(task.filters.all()) == {nav_filter, staff_filter}
    assert local(task.start_time) == local(start) and local(task.end_time) == local(start + 2 * HOUR)
    html = staff_ui.get("/plannedmaintenance/").content.decode()
    assert "Router swap" in row_of(html, task)


def test_times_are_read_in_the_users_time_zone(staff_ui, staff, nav_filter):
    set_preferences(staff, {"timezone": "America/New_York"})
    start = timezone.now() + HOUR
    response = staff_ui.post(
        "/plannedmaintenance/create/",
        {"start_time": local(start, "America/New_York"), "end_time": "", "filters": [nav_filter.pk]},
    )
    assert response.status_code == 303
    task = PlannedMaintenanceTask.objects.get()
    assert local(task.start_time) == local(start) and task.end_time == INFINITY and not task.notify_when_ended


def test_the_create_form_lists_every_users_filters_own_first(staff_ui, nav_filter, staff_filter):
    other = Filter.objects.create(user=EndUserFactory(username="aaron"), name="alpha", filter={"open": True})
    html = staff_ui.get("/plannedmaintenance/create/").content.decode()
    labels = re.findall(r'name="filters" value="(\d+)"> ([^<]+)</label>', html)
    assert [(int(pk), text) for pk, text in labels] == [
        (staff_filter.pk, "core (staffer)"),
        (other.pk, "alpha (aaron)"),
        (nav_filter.pk, "nav (operator)"),
    ]
    assert 'type="datetime-local" name="start_time"' in html and 'name="end_time"' in html
    assert "Select filters to see which open incidents would be covered." in html


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [
        ({"start_time": "next tuesday"}, "start_time", "Enter a date and time"),
        ({"end_time": "2026-13-45T99:00"}, "end_time", "Enter a date and time"),
        ({"start_time": ""}, "start_time", "This field is required."),
        ({"filters": []}, "filters", "Choose at least one filter."),
        ({"filters": ["424242"]}, "filters", "No such filter: 424242."),
        ({"filters": ["abc"]}, "filters", "No such filter: abc."),
        ({"filters": ["99999999999999999999"]}, "filters", "No such filter"),
        ({"filters": ["9223372036854775807"]}, "filters", "No such filter: 9223372036854775807."),
        ({"description": "x" * 256}, "description", "at most 255 characters"),
    ],
)
def test_bad_input_is_a_form_error_and_creates_nothing(staff_ui, nav_filter, change, field, error):
    start = timezone.now() + HOUR
    data = {"start_time": local(start), "end_time": local(start + HOUR), "filters": [nav_filter.pk]}
    data.update(change)
    response = staff_ui.post("/plannedmaintenance/create/", data)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'class="error-summary"' in html and error in html
    assert f'id="id_{field}-error"' in html or f'href="#id_{field}"' in html
    assert not PlannedMaintenanceTask.objects.exists()


def test_the_end_must_be_after_the_start_and_in_the_future(staff_ui, nav_filter):
    start = timezone.now() + HOUR
    response = staff_ui.post(
        "/plannedmaintenance/create/",
        {"start_time": local(start), "end_time": local(start - HOUR), "filters": [nav_filter.pk]},
    )
    assert response.status_code == 422
    assert "The end time must be after the start time." in response.content.decode()
    past = timezone.now() - 3 * HOUR
    response = staff_ui.post(
        "/plannedmaintenance/create/",
        {"start_time": local(past), "end_time": local(past + HOUR), "filters": [nav_filter.pk]},
    )
    assert response.status_code == 422
    assert "The end time must be in the future." in response.content.decode()
    assert not PlannedMaintenanceTask.objects.exists()


def test_create_copy_copies_description_and_filters_and_starts_now(staff_ui, tasks, nav_filter):
    html = staff_ui.get(f"/plannedmaintenance/create/?copy_from={tasks['ongoing'].pk}").content.decode()
    assert f"Copy of planned maintenance #{tasks['ongoing'].pk}" in html
    assert 'value="Core upgrade"' in html
    assert f'name="filters" value="{nav_filter.pk}" checked' in html
    start = re.search(r'name="start_time" id="id_start_time" value="([^"]+)"', html).group(1)
    assert start in {local(timezone.now() - datetime.timedelta(minutes=1)), local(timezone.now())}
    assert 'name="end_time" id="id_end_time" value=""' in html
    assert 'action="/plannedmaintenance/create/"' in html


# --- editing ----------------------------------------------------------------------------------------


def test_editing_an_ongoing_task_hides_its_start_and_keeps_it(staff_ui, tasks, staff_filter):
    task = tasks["ongoing"]
    html = staff_ui.get(f"/plannedmaintenance/{task.pk}/update/").content.decode()
    assert 'name="start_time"' not in html and "can no longer change" in html
    end = timezone.now() + 2 * HOUR
    response = staff_ui.post(
        f"/plannedmaintenance/{task.pk}/update/",
        {
            "end_time": local(end),
            "description": "Core upgrade, phase 2",
            "filters": [staff_filter.pk],
            "start_time": local(timezone.now() - 10 * HOUR),
        },
    )
    assert response.status_code == 303
    assert messages_of(response) == [f"Saved planned maintenance task #{task.pk}."]
    fresh = PlannedMaintenanceTask.objects.get(pk=task.pk)
    assert fresh.start_time == task.start_time and local(fresh.end_time) == local(end)
    assert fresh.description == "Core upgrade, phase 2" and list(fresh.filters.all()) == [staff_filter]


def test_an_untouched_time_keeps_its_seconds(staff_ui, tasks):
    task = tasks["scheduled"]
    html = staff_ui.get(f"/plannedmaintenance/{task.pk}/update/").content.decode()
    assert f'value="{local(task.start_time)}"' in html and f'value="{local(task.end_time)}"' in html
    response = staff_ui.post(
        f"/plannedmaintenance/{task.pk}/update/",
        {
            "start_time": local(task.start_time),
            "end_time": local(task.end_time),
            "description": "Named",
            "filters": [Filter.objects.create(user=task.created_by, name="f", filter={"open": True}).pk],
        },
    )
    assert response.status_code == 303
    fresh = PlannedMaintenanceTask.objects.get(pk=task.pk)
    assert (fresh.start_time, fresh.end_time, fresh.description) == (task.start_time, task.end_time, "Named")


def test_a_scheduled_task_can_move_and_become_open_ended(staff_ui, tasks, nav_filter):
    task = tasks["scheduled"]
    start = timezone.now() + 5 * HOUR
    response = staff_ui.post(
        f"/plannedmaintenance/{task.pk}/update/",
        {"start_time": local(start), "end_time": "", "filters": [nav_filter.pk]},
    )
    assert response.status_code == 303
    fresh = PlannedMaintenanceTask.objects.get(pk=task.pk)
    assert local(fresh.start_time) == local(start) and fresh.end_time == INFINITY


def test_an_end_before_the_start_is_a_form_error_on_edit(staff_ui, tasks, nav_filter):
    task = tasks["ongoing"]
    response = staff_ui.post(
        f"/plannedmaintenance/{task.pk}/update/",
        {"end_time": local(task.start_time - HOUR), "filters": [nav_filter.pk]},
    )
    assert response.status_code == 422
    assert "The end time must be after the start time." in response.content.decode()
    assert PlannedMaintenanceTask.objects.get(pk=task.pk).end_time == INFINITY


def test_tasks_ended_more_than_12_hours_ago_are_history(staff_ui, tasks, nav_filter):
    old = tasks["old"]
    assert staff_ui.get(f"/plannedmaintenance/{old.pk}/update/").status_code == 403
    assert (
        staff_ui.post(
            f"/plannedmaintenance/{old.pk}/update/", {"end_time": "", "filters": [nav_filter.pk]}
        ).status_code
        == 403
    )
    assert staff_ui.post(f"/plannedmaintenance/{old.pk}/cancel/").status_code == 403
    assert staff_ui.post(f"/plannedmaintenance/{old.pk}/delete/").status_code == 403
    assert PlannedMaintenanceTask.objects.get(pk=old.pk).end_time == old.end_time
    assert staff_ui.get(f"/plannedmaintenance/{old.pk}/").status_code == 200


# --- ending and deleting ----------------------------------------------------------------------------


def test_end_now_asks_then_ends_an_ongoing_task(staff_ui, tasks):
    task = tasks["ongoing"]
    confirm = staff_ui.get(f"/plannedmaintenance/{task.pk}/cancel/").content.decode()
    assert f"End planned maintenance task #{task.pk} now?" in confirm
    assert f'action="/plannedmaintenance/{task.pk}/cancel/"' in confirm
    before = timezone.now()
    response = staff_ui.post(f"/plannedmaintenance/{task.pk}/cancel/")
    assert response.status_code == 303 and response["Location"] == "/plannedmaintenance/"
    assert messages_of(response) == [f"Ended planned maintenance task #{task.pk}."]
    assert before <= PlannedMaintenanceTask.objects.get(pk=task.pk).end_time <= timezone.now()


def test_ending_a_scheduled_or_ended_task_is_a_message(staff_ui, tasks):
    response = staff_ui.post(f"/plannedmaintenance/{tasks['scheduled'].pk}/cancel/")
    assert response.status_code == 303
    assert messages_of(response) == ["The task has not started yet; delete it instead."]
    response = staff_ui.post(f"/plannedmaintenance/{tasks['recent'].pk}/cancel/")
    assert messages_of(response) == ["The task has already ended."]


def test_delete_asks_then_deletes_a_scheduled_task(staff_ui, tasks, htmx):
    task = tasks["scheduled"]
    confirm = staff_ui.get(f"/plannedmaintenance/{task.pk}/delete/").content.decode()
    assert f"Delete planned maintenance task #{task.pk}?" in confirm
    response = staff_ui.post(f"/plannedmaintenance/{task.pk}/delete/")
    assert response.status_code == 303
    assert messages_of(response) == [f"Deleted planned maintenance task #{task.pk}."]
    assert not PlannedMaintenanceTask.objects.filter(pk=task.pk).exists()


def test_started_tasks_cannot_be_deleted(staff_ui, tasks):
    for name in ("ongoing", "recent"):
        response = staff_ui.post(f"/plannedmaintenance/{tasks[name].pk}/delete/")
        assert response.status_code == 303
        assert messages_of(response) == [
            "It is not possible to delete past or ongoing planned maintenance tasks."
        ]
        assert PlannedMaintenanceTask.objects.filter(pk=tasks[name].pk).exists()


def test_with_scripts_a_confirmation_is_a_fragment_and_the_answer_a_redirect(staff_ui, tasks):
    task = tasks["scheduled"]
    fragment = staff_ui.get(f"/plannedmaintenance/{task.pk}/delete/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith("<form") and "<html" not in fragment
    response = staff_ui.post(f"/plannedmaintenance/{task.pk}/delete/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == "/plannedmaintenance/"


def test_the_next_target_must_be_on_this_site(staff_ui, tasks):
    response = staff_ui.post(
        f"/plannedmaintenance/{tasks['ongoing'].pk}/cancel/", {"next": "https://evil.example.org/"}
    )
    assert response["Location"] == "/plannedmaintenance/"


# --- the preview ------------------------------------------------------------------------------------


@pytest.fixture
def hosts(make_incident):
    """Open incidents on h1 (two) and h2 (one), and a closed one on h1."""
    made = [make_incident(tags=[f"host=h{n}"], description=f"on h{n} #{i}") for i, n in enumerate([1, 1, 2])]
    closed = make_incident(tags=["host=h1"], description="closed on h1")
    closed.end_time = timezone.now() - HOUR
    closed.save(update_fields=["end_time"])
    return made


def preview(client, *pks):
    query = "&".join(f"filters={pk}" for pk in pks)
    return client.get(f"/plannedmaintenance/filter-preview/?{query}", HTTP_HX_REQUEST="true")


def test_the_preview_without_filters_asks_for_some(staff_ui):
    html = preview(staff_ui).content.decode()
    assert "Select filters to see which open incidents would be covered." in html
    assert "Select filters" in preview(staff_ui, "abc", "99999999999999999999", 4242).content.decode()
    assert "Select filters" in preview(staff_ui, "9223372036854775807", "-1", "").content.decode()


def test_the_preview_without_open_incidents_says_so(staff_ui, nav_filter):
    assert "There are currently no open incidents." in preview(staff_ui, nav_filter.pk).content.decode()


def test_the_preview_counts_and_shows_the_newest_matches(staff_ui, hosts, nav_filter, staff_filter):
    html = preview(staff_ui, nav_filter.pk).content.decode()
    assert "Covers 2 open incident(s) (67%)" in html
    assert "on h1 #0" in html and "on h1 #1" in html and "on h2" not in html and "closed on h1" not in html
    assert html.index("on h1 #0") < html.index("on h1 #1")  # newest first
    assert ">Maintenance<" in html and ">Source Type<" in html  # the "on maintenance" layout
    assert (
        "No open incidents match the selected filters."
        in preview(staff_ui, nav_filter.pk, staff_filter.pk).content.decode()
    )
    # unknown or malformed ids are left out
    assert "Covers 2 open incident(s)" in preview(staff_ui, nav_filter.pk, "x", 4242).content.decode()


def test_the_preview_shows_at_most_five(staff_ui, make_incident, nav_filter):
    for n in range(7):
        make_incident(tags=["host=h1"], description=f"many {n}")
    html = preview(staff_ui, nav_filter.pk).content.decode()
    assert "Covers 7 open incident(s) (100%)" in html and html.count('class="incident-row') == 5


def test_the_form_page_previews_its_filters_without_scripts(staff_ui, hosts, tasks, nav_filter):
    html = staff_ui.get(f"/plannedmaintenance/{tasks['ongoing'].pk}/update/").content.decode()
    assert "Covers 2 open incident(s) (67%)" in html


# --- the incident list and page -----------------------------------------------------------------------


@pytest.fixture
def linked(make_incident, staff, nav_filter):
    """An incident linked to an ongoing and a completed task, and one linked to none."""
    now = timezone.now()
    incident = make_incident(description="under maintenance")
    free = make_incident(description="free")
    ongoing = PlannedMaintenanceTaskFactory(created_by=staff, description="Swap", start_time=now - HOUR)
    done = PlannedMaintenanceTaskFactory(
        created_by=staff, description="Earlier", start_time=now - 5 * HOUR, end_time=now - 4 * HOUR
    )
    for task in (ongoing, done):
        PlannedMaintenanceLink.objects.create(task=task, incident=incident)
    return incident, free, ongoing, done


def test_the_on_maintenance_layout_lists_linked_tasks(ui, user, linked):
    incident, free, ongoing, done = linked
    set_preferences(user, {"incidents_table_column_name": "on maintenance"})
    html = ui.get("/incidents/").content.decode()
    assert ">Maintenance<" in html
    row = html[html.index(f'id="incident-{incident.pk}"') :].split("</tr>")[0]
    assert "<summary>2 tasks" in row
    assert f'<a href="/plannedmaintenance/{ongoing.pk}/">#{ongoing.pk}: Swap</a>' in row and "Ongoing" in row
    assert f'<a href="/plannedmaintenance/{done.pk}/">#{done.pk}: Earlier</a>' in row and "Completed" in row
    assert "to now" in row
    free_row = html[html.index(f'id="incident-{free.pk}"') :].split("</tr>")[0]
    assert 'data-col="under_maintenance">-</td>' in free_row


def test_the_under_maintenance_filter(ui, linked, make_incident):
    incident, free, ongoing, done = linked
    only_done = make_incident(description="linked to the completed task only")
    PlannedMaintenanceLink.objects.create(task=done, incident=only_done)

    def shown(query):
        html = ui.get(f"/incidents/?{query}").content.decode()
        return {int(pk) for pk in re.findall(r'id="incident-(\d+)"', html)}

    assert shown("is_under_maintenance=yes") == {incident.pk}
    assert shown("is_under_maintenance=no") == {free.pk, only_done.pk}
    assert shown("is_under_maintenance=maybe") == {incident.pk, free.pk, only_done.pk}
    html = ui.get("/incidents/?is_under_maintenance=yes").content.decode()
    assert '<option value="yes" selected>Yes</option>' in html


def test_the_maintenance_column_adds_one_query_whatever_the_page_size(
    ui, user, make_incident, staff, django_assert_num_queries
):
    task = PlannedMaintenanceTaskFactory(created_by=staff)
    for n in range(30):
        PlannedMaintenanceLink.objects.create(task=task, incident=make_incident(tags=[f"host=h{n}"]))
    set_preferences(user, {"incidents_table_column_name": "on maintenance", "page_size": 10})
    ui.get("/incidents/?box=1")
    # session, user, preferences, page, tags, linked tasks, count, saved filters, source types
    with django_assert_num_queries(9):
        ui.get("/incidents/?box=1")
    ui.get("/incidents/?box=1&page_size=100")
    with django_assert_num_queries(9):
        ui.get("/incidents/?box=1&page_size=100")
    ui.get("/incidents/?box=1&page_size=100&is_under_maintenance=yes")  # the box is remembered
    with django_assert_num_queries(9):
        ui.get("/incidents/?box=1&page_size=100&is_under_maintenance=yes")


def test_the_incident_page_lists_its_maintenance_tasks(ui, linked):
    incident, free, ongoing, done = linked
    html = ui.get(f"/incidents/{incident.pk}/").content.decode()
    section = html[html.index('id="h-maintenance"') :]
    assert f'<a href="/plannedmaintenance/{ongoing.pk}/">#{ongoing.pk}: Swap</a>' in section
    assert "Ongoing" in section and "Completed" in section
    assert "Not covered by any planned maintenance task." in ui.get(f"/incidents/{free.pk}/").content.decode()


def test_a_task_created_in_the_ui_links_what_it_covers(staff_ui, hosts, nav_filter):
    response = staff_ui.post(
        "/plannedmaintenance/create/",
        {"start_time": local(timezone.now()), "end_time": "", "filters": [nav_filter.pk]},
    )
    assert response.status_code == 303
    task = PlannedMaintenanceTask.objects.get()
    assert set(task.incidents.values_list("pk", flat=True)) == {hosts[0].pk, hosts[1].pk}
    assert services.task_end(task=task).end_time <= timezone.now()


def test_the_preferences_offer_the_on_maintenance_layout_with_its_preview(ui, linked):
    assert '<option value="on maintenance"' in ui.get("/user/").content.decode()
    html = ui.get("/user/incident-table-preview/?incidents_table_column_name=on+maintenance").content.decode()
    assert ">Maintenance<" in html


def test_the_preview_is_a_fragment(staff_ui, hosts, nav_filter):
    html = preview(staff_ui, nav_filter.pk).content.decode()
    assert "<html" not in html and html.lstrip().startswith('<p class="preview-text">')
