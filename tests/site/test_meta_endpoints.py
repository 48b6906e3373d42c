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


def test_home_page_is_html(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b"<title>Argus Server: Home</title>" in response.content
