"""operations.md §3: /api/ metadata, home page, favicon, no health endpoint."""

import pytest

import argus


def test_api_metadata_is_public_and_lists_plugins(api_client, db):
    response = api_client.get("/api/", HTTP_AUTHORIZATION="Token bogus")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == [
        "server-version",
        "api-version",
        "jsonapi-schema",
        "ticket_plugin",
        "destination_plugins",
    ]
    assert body["api-version"] == {"deprecated": "v1", "stable": "v2"}
    assert body["ticket_plugin"] is None
    assert "argus.notificationprofile.media.email.EmailNotification" in body["destination_plugins"]


def test_api_metadata_refuses_post(api_client, db):
    response = api_client.post("/api/", {})
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.'}


def test_home_page_is_html(client, ui_off, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b"<title>Argus Server: Home</title>" in response.content


def test_api_metadata_exact_body(api_client, settings, db):
    settings.MEDIA_PLUGINS = [
        "argus.notificationprofile.media.email.EmailNotification",
        "argus.notificationprofile.media.sms_as_email.SMSNotification",
    ]
    response = api_client.get("/api/")
    assert response.json() == {
        "server-version": argus.__version__,
        "api-version": {"deprecated": "v1", "stable": "v2"},
        "jsonapi-schema": {"stable": "/api/schema/", "v1": "/api/v1/schema/", "v2": "/api/v2/schema/"},
        "ticket_plugin": None,
        "destination_plugins": settings.MEDIA_PLUGINS,
    }
    assert response["Allow"] == "GET, HEAD, OPTIONS"


def test_api_metadata_mirrors_the_ticket_plugin(api_client, settings, db):
    settings.TICKET_PLUGIN = "argus.incident.ticket.dummy.DummyPlugin"
    assert api_client.get("/api/").json()["ticket_plugin"] == "argus.incident.ticket.dummy.DummyPlugin"


def test_api_metadata_options(api_client, db):
    response = api_client.options("/api/")
    assert response.status_code == 200
    assert response.json() == {
        "name": "Metadata",
        "description": "",
        "renders": ["application/json", "text/html"],
        "parses": ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"],
    }


def test_api_metadata_makes_no_database_query(api_client, django_assert_num_queries, db):
    with django_assert_num_queries(0):
        assert api_client.get("/api/").status_code == 200


def test_home_page_links(client, settings, ui_off, db):
    settings.FRONTEND_URL = "https://argus.example.org/"
    html = client.get("/").content.decode()
    for href in [
        "https://argus.example.org/",
        "/admin/",
        "/api/v1/schema/",
        "/api/v1/schema/swagger-ui/",
        "/api/v2/schema/",
        "/api/v2/schema/swagger-ui/",
    ]:
        assert f'href="{href}"' in html


def test_favicon_redirects_to_the_static_svg(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.svg"


def test_json_schema_page_of_a_medium(client, db):
    response = client.get("/json-schema/email")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response.content.decode() == (
        "{&#x27;title&#x27;: &#x27;Email Settings&#x27;, &#x27;description&#x27;: &#x27;Settings for a "
        "DestinationConfig using email.&#x27;, &#x27;type&#x27;: &#x27;object&#x27;, &#x27;required&#x27;: "
        "[&#x27;email_address&#x27;], &#x27;properties&#x27;: {&#x27;email_address&#x27;: {&#x27;type&#x27;: "
        "&#x27;string&#x27;, &#x27;title&#x27;: &#x27;Email address&#x27;}}, &#x27;$id&#x27;: "
        "&#x27;http://testserver/json-schema/email&#x27;}"
    )
    assert "Phone number" in client.get("/json-schema/sms").content.decode()


def test_json_schema_page_of_an_unknown_medium_is_404(client, db):
    assert client.get("/json-schema/pigeon").status_code == 404
    assert client.get("/json-schema/email/").status_code == 404
    assert client.post("/json-schema/email").status_code == 405


@pytest.mark.parametrize("url", ["/health/", "/healthz", "/api/health/", "/api/v2/health/"])
def test_there_is_no_health_endpoint(client, db, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
