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


def test_staff_rename_a_source(staff_ui, source):
    response = staff_ui.post(f"/sources/{source.pk}/update/", {"name": "nav-renamed"})
    assert response.status_code == 303
    assert SourceSystem.objects.get(pk=source.pk).name == "nav-renamed"
    assert staff_ui.get("/sources/999999/update/").status_code == 404


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
