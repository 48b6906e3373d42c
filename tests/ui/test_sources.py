"""The sources pages for staff."""

import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.authtoken.models import Token

from argus.incident.models import SourceSystem, SourceSystemType
from tests.factories import SourceSystemFactory
from tests.ui.conftest import set_preferences

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages._queued_messages]


def test_only_staff_see_the_sources_pages(ui, staff_ui, client):
    for path in ["/sources/", "/sources/types/", "/sources/create/"]:
        assert ui.get(path).status_code == 403
        assert staff_ui.get(path).status_code == 200
        assert client.get(path).status_code == 302
    assert ui.post("/sources/types/create/", {"name": "x"}).status_code == 403


def row_of(html: str, source) -> str:
    return html[html.index(f'id="source-{source.pk}"') :].split("</tr>")[0]


def cells_of(row: str) -> list[str]:
    return [cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_the_sources_table_shows_type_url_last_seen_heartbeat_token_and_count(
    staff_ui, source, make_incident
):
    make_incident()
    make_incident()
    quiet = SourceSystemFactory(name="quiet", base_url="https://q.example.org/")
    Token.objects.create(user=source.user)
    SourceSystem.objects.filter(pk=source.pk).update(
        last_seen=timezone.now(),
        heartbeat_frequency=timedelta(minutes=5),
        heartbeat_armed_at=timezone.now() - timedelta(hours=1),
    )
    html = staff_ui.get("/sources/").content.decode()
    assert "<title>Sources · Argus</title>" in html
    headers = re.findall(r'<th scope="col">(.*?)</th>', html)
    assert headers == [
        "Name", "Type", "Base URL", "Last seen", "Heartbeat", "Heartbeat state", "Token", "Incidents", "Actions"
    ]  # fmt: skip
    quiet_cells = cells_of(row_of(html, quiet))
    assert quiet_cells[2:5] == ["https://q.example.org/", "Never", "Off"]
    assert ">Off</span>" in quiet_cells[5] and "due" not in quiet_cells[5]
    assert quiet_cells[6] == "Missing"
    nav_cells = cells_of(row_of(html, source))
    assert nav_cells[3].startswith("<time datetime=")
    assert nav_cells[4] == '<span title="300 seconds">every 5 min</span>'
    assert ">Alive</span>" in nav_cells[5] and "Next due <time" in nav_cells[5]
    assert nav_cells[6] == "Valid" and nav_cells[7] == "2"


# --- the heartbeat state, at fixed times --------------------------------------------------------

T = datetime.fromisoformat("2026-11-22T12:00:00+00:00")
MINUTE = timedelta(minutes=1)
GRACE = timedelta(seconds=10)
TICK = timedelta(microseconds=1)


@pytest.fixture
def at_t(monkeypatch):
    """The page is rendered at ``T`` (after the client logged in)."""
    monkeypatch.setattr(timezone, "now", lambda: T)


def monitored(name, *, frequency=MINUTE, armed_at=None, last_seen=None):
    source = SourceSystemFactory(name=name)
    SourceSystem.objects.filter(pk=source.pk).update(
        heartbeat_frequency=frequency, heartbeat_armed_at=armed_at, last_seen=last_seen
    )
    return source


def state_cell(html, source) -> str:
    return cells_of(row_of(html, source))[5]


def badge_of(cell: str) -> str:
    return re.search(r'<span class="badge liveness liveness-(\w+)"[^>]*>(\w+)</span>', cell).groups()


def test_the_heartbeat_state_at_its_boundaries(staff, staff_ui, at_t):
    set_preferences(staff, {"timezone": "Europe/Oslo", "datetime_format_name": "ISO"})
    off = monitored("a-off", frequency=None, last_seen=T - timedelta(days=9))
    # armed, never seen: waiting until due + grace has passed (equality is not dead) ...
    waiting = monitored("b-waiting", armed_at=T - MINUTE - GRACE)
    never_dead = monitored("c-never-dead", armed_at=T - MINUTE - GRACE - TICK)
    # ... seen since arming: alive until due + grace
    alive = monitored("d-alive", armed_at=T - timedelta(hours=1), last_seen=T - MINUTE - GRACE)
    dead = monitored("e-dead", armed_at=T - timedelta(hours=1), last_seen=T - MINUTE - GRACE - TICK)
    # silence before monitoring was armed does not count
    rearmed = monitored("f-rearmed", armed_at=T - timedelta(seconds=30), last_seen=T - timedelta(days=365))
    html = staff_ui.get("/sources/").content.decode()

    assert badge_of(state_cell(html, off)) == ("off", "Off")
    assert "due" not in state_cell(html, off)
    assert badge_of(state_cell(html, waiting)) == ("waiting", "Waiting")
    # due at T - 10 s, shown in the user's time zone (Oslo is UTC+1 in November)
    assert (
        'First heartbeat due <time datetime="2026-11-22T12:59:50+01:00" title="2026-11-22 12:59:50 +0100">'
        "2026-11-22 12:59:50</time>" in state_cell(html, waiting)
    )
    assert badge_of(state_cell(html, never_dead)) == ("dead", "Dead")
    assert "Was due <time" in state_cell(html, never_dead)
    assert badge_of(state_cell(html, alive)) == ("alive", "Alive")
    assert 'Next due <time datetime="2026-11-22T12:59:50+01:00"' in state_cell(html, alive)
    assert badge_of(state_cell(html, dead)) == ("dead", "Dead")
    assert badge_of(state_cell(html, rearmed)) == ("waiting", "Waiting")
    assert 'due <time datetime="2026-11-22T13:00:30+01:00"' in state_cell(html, rearmed)
    # last seen as a <time> in the user's zone
    assert cells_of(row_of(html, alive))[3].startswith('<time datetime="2026-11-22T12:58:50+01:00"')


def test_frequencies_read_as_every_so_long(staff_ui):
    for name, seconds in [("a", 60), ("b", 90), ("c", 3600), ("d", 86400)]:
        monitored(name, frequency=timedelta(seconds=seconds), armed_at=timezone.now())
    html = staff_ui.get("/sources/").content.decode()
    assert re.findall(r'<span title="\d+ seconds">(.*?)</span>', html) == [
        "every 1 min",
        "every 1 min 30 s",
        "every 1 h",
        "every 1 d",
    ]


def test_the_sources_page_costs_a_constant_number_of_queries(
    staff_ui, django_assert_num_queries, make_incident, settings
):
    # session, user, preferences, sources with their facts (liveness is computed from the rows)
    with django_assert_num_queries(4):
        staff_ui.get("/sources/")
    make_incident()
    now = timezone.now()
    for n in range(8):
        source = SourceSystemFactory(name=f"s{n}")
        Token.objects.create(user=source.user)
        monitored(f"m{n}", armed_at=now - timedelta(hours=n % 2), last_seen=now - timedelta(minutes=n))
    with django_assert_num_queries(4):
        html = staff_ui.get("/sources/").content.decode()
    assert "17 sources" in html
    assert {"Off", "Alive", "Dead"} <= set(re.findall(r'class="badge liveness[^"]*"[^>]*>(\w+)<', html))
    settings.ARGUS_UI_READONLY_GROUP = "viewers"
    with django_assert_num_queries(5):  # and whether the user is in the read-only group
        staff_ui.get("/sources/")


def test_staff_create_a_source_with_its_system_user(staff_ui):
    SourceSystemType.objects.create(name="zabbix")
    response = staff_ui.post(
        "/sources/create/", {"name": "zbx-1", "type": "zabbix", "base_url": "https://zbx/", "username": ""}
    )
    assert response.status_code == 303
    assert messages_of(response) == ['Created source "zbx-1".']
    source = SourceSystem.objects.get(name="zbx-1")
    assert source.user.username == "zbx-1" and source.base_url == "https://zbx/"


def test_a_duplicate_source_is_a_form_error(staff_ui, source):
    response = staff_ui.post("/sources/create/", {"name": source.name, "type": source.type_id})
    assert response.status_code == 422
    assert "Source system with this Name and Type already exists." in response.content.decode()


def test_staff_change_a_sources_name_type_and_base_url(staff_ui, source):
    SourceSystemType.objects.create(name="zabbix")
    html = staff_ui.get(f"/sources/{source.pk}/update/").content.decode()
    assert f'value="{source.name}"' in html and '<option value="zabbix">' in html
    response = staff_ui.post(
        f"/sources/{source.pk}/update/", {"name": "nav-renamed", "type": "zabbix", "base_url": "https://z/"}
    )
    assert response.status_code == 303
    source.refresh_from_db()
    assert (source.name, source.type_id, source.base_url) == ("nav-renamed", "zabbix", "https://z/")
    assert staff_ui.get("/sources/999999/update/").status_code == 404


def test_a_source_cannot_take_the_name_and_type_of_another(staff_ui, source):
    other = SourceSystemFactory(name="other", type=source.type)
    response = staff_ui.post(f"/sources/{other.pk}/update/", {"name": source.name, "type": source.type_id})
    assert response.status_code == 422
    assert "Source system with this Name and Type already exists." in response.content.decode()
    response = staff_ui.post(f"/sources/{other.pk}/update/", {"name": "x", "type": "no-such-type"})
    assert response.status_code == 422


def test_a_source_with_incidents_cannot_be_deleted(staff_ui, source, make_incident):
    make_incident()
    html = staff_ui.get("/sources/").content.decode()
    row = html[html.index(f'id="source-{source.pk}"') :].split("</tr>")[0]
    assert "Cannot delete: has 1 incident" in row and "disabled" in row
    response = staff_ui.post(f"/sources/{source.pk}/delete/")
    assert response.status_code == 303
    assert messages_of(response) == [f"Cannot delete the source system {source}: it has incidents."]
    assert SourceSystem.objects.filter(pk=source.pk).exists()


def test_staff_delete_a_source_without_incidents_after_asking(staff_ui, ui, source):
    assert ui.post(f"/sources/{source.pk}/delete/").status_code == 403
    html = staff_ui.get(f"/sources/{source.pk}/delete/").content.decode()
    assert "Delete the source &quot;nav-prod&quot; and its system user?" in html
    response = staff_ui.post(f"/sources/{source.pk}/delete/")
    assert response.status_code == 303
    assert messages_of(response) == ['Deleted source "nav-prod".']
    assert not SourceSystem.objects.filter(pk=source.pk).exists()


def test_a_new_token_is_shown_once_and_never_kept_in_messages_or_the_session(staff_ui, source):
    old = Token.objects.create(user=source.user).key
    response = staff_ui.post(f"/sources/{source.pk}/token/")
    assert response.status_code == 200
    new = Token.objects.get(user=source.user).key
    assert new != old
    html = response.content.decode()
    assert f'<code class="token-once" id="token-{source.pk}">{new}</code>' in html
    assert response["Cache-Control"] == "no-store"
    assert not list(response.wsgi_request._messages)
    assert new not in str(dict(staff_ui.session))
    later = staff_ui.get("/sources/").content.decode()
    assert new not in later and "Valid" in later


def test_staff_create_types_in_lower_case(staff_ui):
    response = staff_ui.post("/sources/types/create/", {"name": "prometheus"})
    assert response.status_code == 303
    assert SourceSystemType.objects.filter(name="prometheus").exists()
    response = staff_ui.post("/sources/types/create/", {"name": "Prometheus"})
    assert response.status_code == 422
    assert "Use lower-case letters only." in response.content.decode()
    response = staff_ui.post("/sources/types/create/", {"name": "prometheus"})
    assert "source system type with this name already exists." in response.content.decode()


# --- heartbeat frequency in the forms ----------------------------------------------------------


@pytest.fixture
def zabbix(db):
    return SourceSystemType.objects.create(name="zabbix")


def create(client, **fields):
    data = {"name": "zbx-1", "type": "zabbix", "base_url": "", "username": "", **fields}
    return client.post("/sources/create/", data)


def test_the_create_form_takes_the_heartbeat_frequency_in_seconds(staff_ui, zabbix):
    html = staff_ui.get("/sources/create/").content.decode()
    assert re.search(
        r'<label for="id_heartbeat_frequency">Heartbeat frequency \(seconds\)</label>\s*'
        r'<input type="number" name="heartbeat_frequency" id="id_heartbeat_frequency" value="" '
        r'min="60" max="86400" step="1"',
        html,
    )
    before = timezone.now()
    response = create(staff_ui, heartbeat_frequency=" 300 ")
    assert response.status_code == 303
    source = SourceSystem.objects.get(name="zbx-1")
    assert source.heartbeat_frequency == timedelta(seconds=300)
    assert before <= source.heartbeat_armed_at <= timezone.now()  # armed by the service
    assert create(staff_ui, name="zbx-2", heartbeat_frequency="").status_code == 303
    quiet = SourceSystem.objects.get(name="zbx-2")
    assert quiet.heartbeat_frequency is None and quiet.heartbeat_armed_at is None


@pytest.mark.parametrize(
    "value, error",
    [
        ("abc", "Enter a whole number of seconds."),
        ("1.5", "Enter a whole number of seconds."),
        ("-60", "Enter a whole number of seconds."),
        ("PT5M", "Enter a whole number of seconds."),
        ("٣٠٠", "Enter a whole number of seconds."),
        ("59", "Ensure this value is at least 60 seconds."),
        ("0", "Ensure this value is at least 60 seconds."),
        ("86401", "Ensure this value is at most 86400 seconds (1 day)."),
        ("9" * 5000, "Ensure this value is at most 86400 seconds (1 day)."),
    ],
)
def test_a_bad_frequency_is_a_form_error_and_creates_nothing(staff_ui, zabbix, value, error):
    response = create(staff_ui, heartbeat_frequency=value)
    assert response.status_code == 422
    html = response.content.decode()
    assert f'<a href="#id_heartbeat_frequency">Heartbeat frequency (seconds): {error}</a>' in html
    assert f'<span class="field-error" id="id_heartbeat_frequency-error">{error}</span>' in html
    assert 'aria-invalid="true"' in html
    assert not SourceSystem.objects.filter(name="zbx-1").exists()


@pytest.mark.parametrize("seconds", [60, 86400])
def test_both_limits_are_allowed(staff_ui, zabbix, seconds):
    assert create(staff_ui, heartbeat_frequency=str(seconds)).status_code == 303
    assert SourceSystem.objects.get(name="zbx-1").heartbeat_frequency == timedelta(seconds=seconds)


def edit(client, source, **fields):
    data = {"name": source.name, "type": source.type_id, "base_url": source.base_url, **fields}
    return client.post(f"/sources/{source.pk}/update/", data)


def test_editing_the_frequency_arms_keeps_and_disarms_monitoring(staff_ui, source):
    html = staff_ui.get(f"/sources/{source.pk}/update/").content.decode()
    assert 'name="heartbeat_frequency" id="id_heartbeat_frequency" value=""' in html
    assert edit(staff_ui, source, heartbeat_frequency="120").status_code == 303
    source.refresh_from_db()
    armed = source.heartbeat_armed_at
    assert source.heartbeat_frequency == timedelta(minutes=2) and armed is not None
    html = staff_ui.get(f"/sources/{source.pk}/update/").content.decode()
    assert 'name="heartbeat_frequency" id="id_heartbeat_frequency" value="120"' in html
    # another frequency: still armed since then
    assert edit(staff_ui, source, heartbeat_frequency="600").status_code == 303
    source.refresh_from_db()
    assert source.heartbeat_frequency == timedelta(minutes=10) and source.heartbeat_armed_at == armed
    # the same value again, with a new name: the frequency is not written again
    assert edit(staff_ui, source, name="renamed", heartbeat_frequency="600").status_code == 303
    source.refresh_from_db()
    assert source.name == "renamed" and source.heartbeat_armed_at == armed
    # empty: off
    assert edit(staff_ui, source, heartbeat_frequency="").status_code == 303
    source.refresh_from_db()
    assert source.heartbeat_frequency is None and source.heartbeat_armed_at is None


def test_a_bad_frequency_on_edit_changes_nothing(staff_ui, source):
    SourceSystem.objects.filter(pk=source.pk).update(
        heartbeat_frequency=timedelta(minutes=5), heartbeat_armed_at=T
    )
    response = edit(staff_ui, source, name="renamed", heartbeat_frequency="30")
    assert response.status_code == 422
    html = response.content.decode()
    assert "Ensure this value is at least 60 seconds." in html
    assert 'value="30"' in html  # what was typed stays, to be corrected
    source.refresh_from_db()
    assert source.name == "nav-prod"
    assert (source.heartbeat_frequency, source.heartbeat_armed_at) == (timedelta(minutes=5), T)


def test_only_staff_outside_the_read_only_group_may_set_a_frequency(
    ui, client, staff, staff_ui, source, zabbix, settings
):
    for anyone in (ui, client):
        assert create(anyone, heartbeat_frequency="300").status_code in (302, 403)
        assert edit(anyone, source, heartbeat_frequency="300").status_code in (302, 403)
    assert create(client).status_code == 302 and create(ui).status_code == 403
    settings.ARGUS_UI_READONLY_GROUP = "viewers"
    staff.groups.add(Group.objects.create(name="viewers"))
    html = staff_ui.get("/sources/").content.decode()
    assert "<td>nav-prod</td>" in html and "Heartbeat state" in html
    for control in ["/sources/create/", "/update/", "/token/", "/delete/", ">Actions<"]:
        assert control not in html  # no write controls
    assert "/sources/types/create/" not in staff_ui.get("/sources/types/").content.decode()
    assert create(staff_ui, heartbeat_frequency="300").status_code == 403
    assert edit(staff_ui, source, heartbeat_frequency="300").status_code == 403
    source.refresh_from_db()
    assert source.heartbeat_frequency is None and source.heartbeat_armed_at is None
    assert not SourceSystem.objects.filter(name="zbx-1").exists()
