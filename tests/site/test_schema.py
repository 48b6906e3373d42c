"""The OpenAPI documents and Swagger UI are public, valid and generate without warnings."""

import json
import re

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from drf_spectacular.drainage import GENERATOR_STATS

pytestmark = pytest.mark.django_db

SCHEMA_URLS = ["/api/schema/", "/api/v1/schema/", "/api/v2/schema/"]


def schema(client, url):
    response = client.get(url, {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.mark.parametrize("url", SCHEMA_URLS)
def test_schema_is_public_yaml_by_default(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oai.openapi; charset=utf-8"
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.0")


@pytest.mark.parametrize("url", SCHEMA_URLS)
def test_schema_as_json(client, url):
    response = client.get(url, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert json.loads(response.content)["paths"]


def test_stable_schema_is_the_v2_document(client):
    assert schema(client, "/api/schema/") == schema(client, "/api/v2/schema/")


def test_v2_document(client):
    document = schema(client, "/api/v2/schema/")
    assert document["info"] == {"title": "", "version": "0.0.0 (v2)"}
    assert set(document["components"]["securitySchemes"]) == {"cookieAuth", "knoxApiToken", "tokenAuth"}
    paths = set(document["paths"])
    assert {
        "/api/",
        "/api/schema/",
        "/api/v2/schema/",
        "/api/v2/auth/logout/",
        "/api/v2/auth/refresh-token/",
        "/api/v2/auth/token/login/",
        "/api/v2/auth/token/logout/",
        "/api/v2/auth/token/logoutall",
        "/api/v2/auth/user/",
        "/api/v2/auth/users/{id}/",
        "/api/v2/token-auth/",
        "/login-methods/",
    } <= paths
    assert not any(path.startswith("/api/v1/") and "phone-number" in path for path in paths)
    assert not any(op.get("deprecated") for item in document["paths"].values() for op in item.values())


def test_v1_document_is_deprecated(client):
    document = schema(client, "/api/v1/schema/")
    assert document["info"] == {"title": "", "version": "0.0.0 (v1)"}
    paths = set(document["paths"])
    assert {
        "/api/v1/token-auth/",
        "/api/v1/auth/logout/",
        "/api/v1/auth/user/",
        "/api/v1/auth/users/{id}/",
        "/api/v1/auth/phone-number/",
        "/api/v1/auth/phone-number/{id}/",
    } <= paths
    assert "/api/v2/auth/refresh-token/" not in paths
    operations = [op for item in document["paths"].values() for op in item.values()]
    assert operations and all(op["deprecated"] is True for op in operations)


def test_auth_and_site_views_document_without_warnings(client):
    GENERATOR_STATS.reset()
    for url in SCHEMA_URLS:
        schema(client, url)
    messages = list(GENERATOR_STATS._warn_cache) + list(GENERATOR_STATS._error_cache)
    ours = [m for m in messages if "argus/auth/" in m or "argus/site/" in m or "KnoxTokenAuthentication" in m]
    assert ours == []


@pytest.mark.parametrize(
    "url, schema_url",
    [
        ("/api/schema/swagger-ui/", "/api/schema/"),
        ("/api/v1/schema/swagger-ui/", "/api/v1/schema/"),
        ("/api/v2/schema/swagger-ui/", "/api/v2/schema/"),
    ],
)
def test_swagger_ui(client, url, schema_url):
    response = client.get(url, HTTP_AUTHORIZATION="Token bogus")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Swagger</title>" in html
    assert f'"{schema_url}"' in html


def test_swagger_ui_works_offline_its_assets_are_our_static_files(client):
    html = client.get("/api/schema/swagger-ui/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    assert "cdn.jsdelivr.net" not in html and "//" not in "".join(assets)
    for asset in assets:
        assert asset.startswith(settings.STATIC_URL)
        assert finders.find(asset.removeprefix(settings.STATIC_URL)), asset
