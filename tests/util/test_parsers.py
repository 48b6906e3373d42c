"""JSON nested too deeply: a 400 like malformed JSON on every API endpoint, never a 500."""

import pytest

from argus.incident.models import Incident
from argus.util.parsers import MAX_JSON_DEPTH, JSONTooDeep, exceeds_json_depth, loads
from tests.factories import SourceSystemFactory
from tests.util.api_paths import api_paths

pytestmark = pytest.mark.django_db

TOO_DEEP = {"detail": "JSON parse error - Nested deeper than 100 levels."}
DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 100_000 + "1" + "}" * 100_000


def nested(depth: int):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.fixture
def superuser_source_client(client_for, superuser):
    SourceSystemFactory(user=superuser)
    return client_for(superuser)


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "/api/v1/incidents/"),
        ("post", "/api/v2/incidents/"),
        ("patch", "/api/v2/incidents/{incident}/"),
        ("post", "/api/v2/incidents/{incident}/events/"),
        ("post", "/api/v1/incidents/{incident}/acks/"),
        ("post", "/api/v2/incidents/{incident}/tags/"),
        ("post", "/api/v2/incidents/acks/bulk/"),
        ("post", "/api/v2/notificationprofiles/filters/"),
        ("post", "/api/v1/notificationprofiles/filterpreview/"),
        ("post", "/api/v2/notificationprofiles/"),
        ("post", "/api/v1/auth/phone-number/"),
    ],
)
def test_a_body_nested_too_deeply_is_a_json_parse_error(
    superuser_source_client, superuser, method, path, body
):
    incident = Incident.objects.create(start_time="2024-05-01T10:00:00Z", source=superuser.source_system)
    url = path.format(incident=incident.pk)
    response = getattr(superuser_source_client, method)(url, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == TOO_DEEP


def test_a_body_at_the_depth_limit_is_read(superuser_source_client):
    """The body is one level, so ``metadata`` may have 99; its incident reads back on every database."""
    body = {"start_time": "2024-05-01T10:00:00Z", "tags": [], "metadata": nested(MAX_JSON_DEPTH - 1)}
    response = superuser_source_client.post("/api/v2/incidents/", body, format="json")
    assert response.status_code == 201, response.content
    response = superuser_source_client.get(f"/api/v2/incidents/{response.json()['pk']}/")
    assert response.json()["metadata"] == nested(MAX_JSON_DEPTH - 1)
    body["metadata"] = nested(MAX_JSON_DEPTH)
    response = superuser_source_client.post("/api/v2/incidents/", body, format="json")
    assert response.status_code == 400
    assert response.json() == TOO_DEEP


@pytest.mark.parametrize("metadata", [DEEP_ARRAY, str(nested(MAX_JSON_DEPTH + 1)), str(nested(900))])
def test_json_nested_too_deeply_in_a_form_field_is_a_field_error(superuser_source_client, metadata):
    response = superuser_source_client.post(
        "/api/v2/incidents/", {"start_time": "2024-05-01T10:00:00Z", "metadata": metadata}
    )
    assert response.status_code == 400
    assert response.json()["metadata"] == ["Nested deeper than 100 levels."]


def test_knox_login_with_a_body_nested_too_deeply_is_refused_as_other_bad_json(api_client):
    response = api_client.post("/api/v2/auth/token/login/", DEEP_ARRAY, content_type="application/json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Nested deeper than 100 levels."}


def test_no_api_endpoint_answers_500_to_a_body_it_cannot_parse(superuser_source_client, superuser):
    """Also when the answer is rendered as HTML (browsable API, Swagger page), which reads the body
    again through a template context processor."""
    Incident.objects.create(start_time="2024-05-01T10:00:00Z", source=superuser.source_system)
    paths = [path for path in api_paths() if "logout" not in path]
    assert len(paths) > 70 and "/api/v2/token-auth/" in paths
    requests = [
        *[
            (method, body, "application/json", None)
            for method in ("post", "put", "patch")
            for body in (DEEP_ARRAY, DEEP_OBJECT)
        ],
        *[("post", body, "application/json", "text/html") for body in (DEEP_ARRAY, "{")],
        ("post", "<x/>", "application/xml", "text/html"),
    ]
    for path in paths:
        for method, body, content_type, accept in requests:
            extra = {"HTTP_ACCEPT": accept} if accept else {}
            response = getattr(superuser_source_client, method)(
                path, body, content_type=content_type, **extra
            )
            assert response.status_code < 500, (method, path, accept, response.content[:300])


def test_loads_refuses_what_it_cannot_or_should_not_walk():
    assert loads("[[1]]") == [[1]]
    assert loads(str(nested(MAX_JSON_DEPTH))) == nested(MAX_JSON_DEPTH)
    for text in (str(nested(MAX_JSON_DEPTH + 1)), DEEP_ARRAY, DEEP_OBJECT):
        with pytest.raises(JSONTooDeep):
            loads(text)
    with pytest.raises(ValueError):
        loads("[")


def test_depth_counts_arrays_and_objects():
    assert not exceeds_json_depth(5)
    assert not exceeds_json_depth({"a": [{"b": []}]}, limit=4)
    assert exceeds_json_depth({"a": [{"b": []}]}, limit=3)
    assert exceeds_json_depth([1, 2, {"x": 1}, [[3]]], limit=2)
