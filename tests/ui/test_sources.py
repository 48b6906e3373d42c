"""The sources pages for staff."""

import pytest
from rest_framework.authtoken.models import Token

from argus.incident.models import SourceSystem, SourceSystemType
from tests.factories import SourceSystemFactory

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages._queued_messages]


def test_only_staff_see_the_sources_pages(ui, staff_ui, client):
    for path in ["/sources/", "/sources/types/", "/sources/create/"]:
        assert ui.get(path).status_code == 403
        assert staff_ui.get(path).status_code == 200
        assert client.get(path).status_code == 302
    assert ui.post("/sources/types/create/", {"name": "x"}).status_code == 403


def test_the_sources_table_shows_type_url_newest_incident_token_and_count(staff_ui, source, make_incident):
    make_incident()
    make_incident()
    SourceSystemFactory(name="quiet", base_url="https://q.example.org/")
    Token.objects.create(user=source.user)
    html = staff_ui.get("/sources/").content.decode()
    assert "<title>Sources · Argus</title>" in html
    quiet_row = html[html.index("<td>quiet</td>") :].split("</tr>")[0]
    assert "https://q.example.org/" in quiet_row and "Never" in quiet_row and "Missing" in quiet_row
    nav_row = html[html.index("<td>nav-prod</td>") :].split("</tr>")[0]
    assert "<time" in nav_row and "Valid" in nav_row and "<td>2</td>" in nav_row


def test_the_sources_page_costs_a_constant_number_of_queries(staff_ui, django_assert_num_queries):
    for n in range(5):
        SourceSystemFactory(name=f"s{n}")
    # session, user, preferences, sources with their facts
    with django_assert_num_queries(4):
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
