"""Mounting, login and logout, the layout, error pages and the static assets of the web UI."""

import gzip
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from argus.ui.views.errors import server_error
from tests.factories import EndUserFactory
from tests.ui.conftest import set_preferences

pytestmark = pytest.mark.django_db

UI_PAGES = ["/incidents/", "/incidents/kiosk/", "/user/"]


def test_the_root_redirects_to_the_incident_list(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/incidents/"


def test_without_the_ui_the_root_is_the_1_37_home_page(client, ui_off):
    response = client.get("/")
    assert response.status_code == 200
    assert b"<title>Argus Server: Home</title>" in response.content


@pytest.mark.parametrize("path", UI_PAGES + ["/accounts/login/"])
def test_without_the_ui_no_ui_path_exists(client, ui_off, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", UI_PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page_and_back(client, path):
    response = client.get(path + "?open=1")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}%3Fopen%3D1"


def test_anonymous_htmx_requests_get_a_client_side_redirect(client):
    response = client.get("/incidents/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/?next=/incidents/"


def test_the_login_page_offers_a_password_form_and_the_oauth2_methods(client):
    response = client.get("/accounts/login/?next=/incidents/5/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Log in · Argus</title>" in html
    assert 'name="username"' in html and 'name="password"' in html
    assert 'href="/oidc/login/dataporten_feide/?next=/incidents/5/"' in html
    assert ">dataporten_feide</a>" in html


def test_an_oidc_backend_is_labelled_by_its_setting(client, settings):
    settings.AUTHENTICATION_BACKENDS = [
        "social_core.backends.open_id_connect.OpenIdConnectAuth",
        "django.contrib.auth.backends.ModelBackend",
    ]
    settings.ARGUS_OIDC_METHOD_NAME = "Company login"
    html = client.get("/accounts/login/").content.decode()
    assert 'href="/oidc/login/oidc/' in html
    assert ">Company login</a>" in html


def test_logging_in_goes_to_the_next_page(client):
    EndUserFactory(username="kari", password="kari-secret-pw")
    response = client.post(
        "/accounts/login/", {"username": "kari", "password": "kari-secret-pw", "next": "/user/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/user/"
    assert client.get("/user/").status_code == 200


def test_logging_in_without_next_goes_to_the_incident_list(client):
    EndUserFactory(username="kari", password="kari-secret-pw")
    response = client.post("/accounts/login/", {"username": "kari", "password": "kari-secret-pw"})
    assert response["Location"] == "/incidents/"


def test_wrong_credentials_are_refused_with_djangos_message(client):
    EndUserFactory(username="kari", password="kari-secret-pw")
    response = client.post("/accounts/login/", {"username": "kari", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert 'role="alert"' in response.content.decode()


def test_inactive_users_cannot_log_in(client):
    EndUserFactory(username="kari", password="kari-secret-pw", is_active=False)
    response = client.post("/accounts/login/", {"username": "kari", "password": "kari-secret-pw"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_and_lands_on_the_incident_list(ui):
    assert ui.get("/accounts/logout/").status_code == 405
    response = ui.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/incidents/"
    assert ui.get("/incidents/").status_code == 302


def test_every_page_has_a_title_one_h1_landmarks_a_skip_link_and_a_language(ui):
    for path in UI_PAGES:
        html = ui.get(path).content.decode()
        assert '<html lang="en"' in html
        assert re.search(r"<title>[^<]+ · Argus</title>", html)
        assert html.count("<h1") == 1
        assert "<header" in html and "<main" in html and "<nav" in html
        assert 'href="#main">Skip to content</a>' in html


def test_the_user_menu_lists_the_pages_and_staff_get_sources_and_admin(ui, staff_ui):
    html = ui.get("/incidents/").content.decode()
    assert "Logged in as: <strong>operator</strong>" in html
    assert 'href="/user/"' in html
    assert 'href="/admin/"' not in html and 'href="/sources/"' not in html
    staff_html = staff_ui.get("/incidents/").content.decode()
    assert 'href="/admin/"' in staff_html and 'href="/sources/"' in staff_html


def test_the_banner_shows_the_configured_message(ui, settings):
    settings.ARGUS_BANNER_MESSAGE = "Maintenance tonight 22:00"
    assert "Maintenance tonight 22:00" in ui.get("/incidents/").content.decode()


def test_a_missing_ui_page_is_a_404_in_the_layout(ui):
    response = ui.get("/incidents/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<title>Not found · Argus</title>" in html
    assert "Skip to content" in html


def test_other_paths_keep_djangos_plain_404(ui):
    response = ui.get("/health/")
    assert response.status_code == 404
    assert b"<title>Not Found</title>" in response.content


def test_a_server_error_on_a_ui_path_has_a_page_without_the_database(rf):
    response = server_error(rf.get("/incidents/"))
    assert response.status_code == 500
    assert b"500: Server error" in response.content


def test_assets_come_from_our_static_files_and_stay_under_150_kb_compressed(ui):
    html = ui.get("/incidents/").content.decode()
    scripts = re.findall(r'<script src="/static/([^"]+)"', html)
    styles = re.findall(r'<link rel="stylesheet" href="/static/([^"]+)"', html)
    assert "django_htmx/htmx-2.min.js" in scripts  # htmx from the django-htmx package, not a CDN
    assert "http" not in " ".join(scripts + styles)
    total = 0
    for name in scripts + styles:
        with open(finders.find(name), "rb") as asset:
            total += len(gzip.compress(asset.read()))
    assert total <= 150_000


def test_the_login_url_is_the_uis(settings):
    assert settings.LOGIN_URL == "/accounts/login/"


def test_preferences_keep_the_theme_and_the_page_uses_it(client):
    user = EndUserFactory()
    set_preferences(user, {"theme": "dark"})
    browser = Client()
    browser.force_login(user)
    assert '<html lang="en" data-theme="dark">' in browser.get("/incidents/").content.decode()
