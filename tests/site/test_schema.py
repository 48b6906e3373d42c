"""The OpenAPI documents and Swagger UI are public, valid and generate without warnings."""

import json
import re

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from drf_spectacular.drainage import GENERATOR_STATS
from openapi_spec_validator import validate

from argus.incident.api.filters import LIST_FILTERS, MINE_FILTERS, V1_LIST_FILTERS, V1_MINE_FILTERS

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


# --- the documents as a contract --------------------------------------------------------------

VERSIONS = ["v1", "v2"]


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


@pytest.mark.parametrize("version", VERSIONS)
def test_document_passes_openapi_spec_validator(client, version):
    validate(schema(client, f"/api/{version}/schema/"))


def test_documents_generate_without_warnings(client):
    GENERATOR_STATS.reset()
    for url in SCHEMA_URLS:
        schema(client, url)
    assert list(GENERATOR_STATS._warn_cache) + list(GENERATOR_STATS._error_cache) == []


SHAPES = [
    "Incident",
    "PaginatedIncidentList",
    "Event",
    "Acknowledgement",
    "Tag",
    "SourceSystem",
    "SourceSystemType",
    "Timeslot",
    "Filter",
    "NotificationProfile",
]


@pytest.mark.parametrize("version", VERSIONS)
def test_answers_are_named_typed_components(client, version):
    components = schema(client, f"/api/{version}/schema/")["components"]["schemas"]
    names = SHAPES + (["Destination", "PaginatedEventList"] if version == "v2" else [])
    for name in names:
        assert components[name]["type"] == "object" and components[name]["properties"], name


def _answer(document, path, method="get", status="200"):
    return document["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


@pytest.mark.parametrize("version", VERSIONS)
def test_each_document_describes_its_own_shapes(client, version):
    document = schema(client, f"/api/{version}/schema/")
    components = document["components"]["schemas"]
    prefix = f"/api/{version}"
    listing = components["IncidentListOrCount"]["oneOf"]
    assert listing == [_ref("PaginatedIncidentList"), _ref("IncidentCount")]
    assert components["PaginatedIncidentList"]["properties"]["results"]["items"] == _ref("Incident")
    assert _answer(document, f"{prefix}/incidents/{{id}}/") == _ref("Incident")
    assert _answer(document, f"{prefix}/incidents/", "post", "201") == _ref("Incident")
    incident, profile = components["Incident"]["properties"], components["NotificationProfile"]["properties"]
    filter_ = components["Filter"]["properties"]
    if version == "v1":
        assert "metadata" not in incident and "filter_string" in filter_
        assert list(profile) == ["pk", "timeslot", "filters", "media", "active", "phone_number"]
        # v1 answers a change in the v2 shape, which has its own name in the v1 document.
        assert _answer(document, f"{prefix}/incidents/{{id}}/", "patch") == _ref("IncidentV2")
        assert "metadata" in components["IncidentV2"]["properties"]
    else:
        assert "metadata" in incident and "filter_string" not in filter_
        assert list(profile) == ["pk", "name", "timeslot", "filters", "destinations", "active"]
        assert _answer(document, f"{prefix}/incidents/{{id}}/", "patch") == _ref("Incident")


@pytest.mark.parametrize("version", VERSIONS)
def test_creating_posts_are_documented_as_201(client, version):
    document = schema(client, f"/api/{version}/schema/")
    creating = [
        "incidents/",
        "incidents/mine/",
        "incidents/{incident_pk}/events/",
        "incidents/{incident_pk}/acks/",
        "incidents/{incident_pk}/tags/",
        "incidents/sources/",
        "incidents/source-types/",
        "notificationprofiles/",
        "notificationprofiles/filters/",
        "notificationprofiles/timeslots/",
    ] + (["notificationprofiles/destinations/"] if version == "v2" else [])
    for path in creating:
        responses = document["paths"][f"/api/{version}/{path}"]["post"]["responses"]
        assert "201" in responses and "200" not in responses, path


@pytest.mark.parametrize("version", VERSIONS)
def test_every_parameter_is_typed_and_described(client, version):
    for path, method, operation in operations(schema(client, f"/api/{version}/schema/")):
        for parameter in operation.get("parameters", []):
            where = f"{method} {path} {parameter['name']}"
            assert parameter["schema"].get("type"), where
            assert parameter.get("description"), where


def test_incident_list_filters_are_documented_as_filters_py_describes_them(client):
    document = schema(client, "/api/v2/schema/")
    for path, filters in (("/api/v2/incidents/", LIST_FILTERS), ("/api/v2/incidents/mine/", MINE_FILTERS)):
        parameters = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}
        assert set(filters) | {"cursor", "page_size", "count"} == set(parameters)
        for name, query_filter in filters.items():
            assert parameters[name]["description"] == query_filter.description
            assert parameters[name]["schema"] == query_filter.schema
    parameters = document["paths"]["/api/v2/incidents/"]["get"]["parameters"]
    id_in = next(p for p in parameters if p["name"] == "id__in")
    assert (id_in["style"], id_in["explode"]) == ("form", False)


def test_v1_incident_lists_keep_their_1_37_filters(client):
    document = schema(client, "/api/v1/schema/")
    for path, filters in (
        ("/api/v1/incidents/", V1_LIST_FILTERS),
        ("/api/v1/incidents/mine/", V1_MINE_FILTERS),
    ):
        names = {p["name"] for p in document["paths"][path]["get"]["parameters"]}
        assert names == set(filters) | {"cursor", "page_size", "count"}
        assert "under_maintenance" not in names


def test_planned_maintenance_is_in_the_v2_document_only(client):
    v2 = schema(client, "/api/v2/schema/")
    assert {
        "/api/v2/plannedmaintenance/",
        "/api/v2/plannedmaintenance/{id}/",
        "/api/v2/plannedmaintenance/{id}/end/",
        "/api/v2/plannedmaintenance/{id}/incidents/",
        "/api/v2/plannedmaintenance/preview/",
    } <= set(v2["paths"])
    task = v2["components"]["schemas"]["PlannedMaintenanceTask"]
    assert list(task["properties"]) == [
        "pk",
        "created_by",
        "created",
        "start_time",
        "end_time",
        "description",
        "filters",
        "notify_when_ended",
        "state",
        "modifiable",
    ]
    assert _answer(v2, "/api/v2/plannedmaintenance/")["items"] == _ref("PlannedMaintenanceTask")
    assert _answer(v2, "/api/v2/plannedmaintenance/{id}/incidents/") == _ref("PaginatedIncidentList")
    v1 = schema(client, "/api/v1/schema/")
    assert not any("plannedmaintenance" in path for path in v1["paths"])


@pytest.mark.parametrize("version", VERSIONS)
def test_errors_are_documented(client, version):
    document = schema(client, f"/api/{version}/schema/")
    for path, method, operation in operations(document):
        codes = set(operation["responses"])
        if "requestBody" in operation:
            assert "400" in codes, (method, path)
        if "{" in path:
            assert "404" in codes, (method, path)
        if path.startswith(f"/api/{version}/incidents/"):
            assert {"401", "403"} <= codes, (method, path)


@pytest.mark.parametrize("version", VERSIONS)
def test_no_description_cites_internal_documents(client, version):
    text = json.dumps(schema(client, f"/api/{version}/schema/"))
    assert re.findall(r"§\s*\d|\b[a-z_]+\.md\b", text) == []


@pytest.mark.parametrize("version", VERSIONS)
def test_operation_ids_are_unique(client, version):
    ids = [
        operation["operationId"] for _, _, operation in operations(schema(client, f"/api/{version}/schema/"))
    ]
    assert len(ids) == len(set(ids))
