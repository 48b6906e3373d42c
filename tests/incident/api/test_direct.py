"""The direct path of a source system's incident POST (argus.incident.api.direct).

Every request is sent twice through the ASGI handler, once with the direct path on and once off:
the two answers must be the same (status, headers, body) and so must what they leave behind. The
tests also check which path answered, so that a parity check never compares Django with itself.
"""

import datetime
import json
import re

import pytest
from django.utils import timezone

from argus.incident.api import direct
from argus.incident.models import Event, Incident, SourceSystem
from argus.notificationprofile import dispatch
from argus.notificationprofile.models import PendingEvent
from argus.site.asgi_http import ThreadPoolASGIHandler
from argus.util.metrics import REGISTRY
from tests.factories import SuperUserFactory, UserFactory, token_for
from tests.site.test_asgi_http import close_handler_threads, request  # noqa: F401 (autouse fixture)

pytestmark = pytest.mark.django_db(transaction=True)

V1, V2 = "/api/v1/incidents/", "/api/v2/incidents/"


@pytest.fixture
def handler():
    handler = ThreadPoolASGIHandler(threads=1)
    handler.direct = direct  # as argus.site.asgi sets it
    handler.django_answers = 0
    get_response = handler.get_response

    def counting(request):
        handler.django_answers += 1
        return get_response(request)

    handler.get_response = counting
    return handler


@pytest.fixture
def key(source_system):
    return token_for(source_system.user).key


def headers_for(key, **extra):
    headers = {b"host": b"testserver", b"content-type": b"application/json"}
    if key is not None:
        headers[b"authorization"] = f"Token {key}".encode()
    headers.update({name.replace("_", "-").lower().encode(): value.encode() for name, value in extra.items()})
    return [(name, value) for name, value in headers.items() if value]


def full_body(sid: str) -> dict:
    return {
        "start_time": "2026-12-01T10:00:00+01:00",
        "end_time": "2026-12-31T10:00:00Z",
        "source_incident_id": sid,
        "details_url": "https://nav.example.org/x",
        "description": "Link down on gw1 æøå",
        "level": 2,
        "ticket_url": "https://tickets.example.org/1",
        "metadata": {"interface": "ge-0/0/1", "nested": [1, {"a": None}]},
        "tags": [
            {"tag": "host=gw1.example.org"},
            {"tag": " location = oslo "},
            {"tag": "host=gw1.example.org"},
        ],
    }


def answer(handler, path, body, headers, direct: bool, settings):
    settings.ARGUS_DIRECT_INGEST = direct
    before = handler.django_answers
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    if not any(name == b"content-length" for name, _value in headers):
        headers = [*headers, (b"content-length", str(len(raw)).encode())]
    response = request(handler, "POST", path, body=raw, headers=headers)
    took_django = handler.django_answers > before
    return response, took_django


def comparable(response):
    """Status, headers (the request id only when the client chose it) and body, with what must
    differ between two created incidents (id, times of creation) taken out."""
    headers = [(name.lower(), value) for name, value in response["headers"]]
    chosen_id = any(name == b"x-request-id" and value == b"chosen-id-1" for name, value in headers)
    headers = [(n, v) for n, v in headers if n != b"x-request-id" or chosen_id]
    assert (b"content-length", str(len(response["body"])).encode()) in headers
    headers = [(n, v) for n, v in headers if n != b"content-length"]  # ids differ in length
    try:
        body = json.loads(response["body"])
    except ValueError:
        body = response["body"]
    if response["status"] == 201 and isinstance(body, dict):
        body.pop("pk")
        for tag in body["tags"]:
            tag.pop("added_time")
        if body["source_incident_id"].startswith("sid-"):
            body["source_incident_id"] = "sid"
    return response["status"], headers, body


def both_paths(handler, settings, path, make_body, headers):
    """The answers of the direct path (on) and of Django (off) to the same request."""
    direct, direct_took_django = answer(handler, path, make_body("sid-on"), headers, True, settings)
    django, django_took_django = answer(handler, path, make_body("sid-off"), headers, False, settings)
    assert django_took_django
    return direct, direct_took_django, django


@pytest.mark.parametrize("path", [V1, V2])
@pytest.mark.parametrize(
    "make_body",
    [
        lambda sid: {"start_time": "2026-12-01T10:00:00Z", "tags": []},
        full_body,
        lambda sid: {**full_body(sid), "end_time": None},
        lambda sid: {**full_body(sid), "end_time": "infinity", "level": "4", "metadata": {}},
        lambda sid: {"start_time": "2026-12-01 10:00", "tags": [], "unknown": 1, "source_incident_id": ""},
    ],
    ids=["minimal", "every-field", "stateless", "strings-and-infinity", "unknown-field"],
)
@pytest.mark.parametrize(
    "extra",
    [{}, {"accept": "application/json"}, {"accept": "*/*", "x_request_id": "chosen-id-1"}],
    ids=["no-accept", "accept-json", "request-id"],
)
def test_a_valid_incident_gets_the_same_answer_from_both_paths(
    handler, settings, key, path, make_body, extra
):
    direct, took_django, django = both_paths(handler, settings, path, make_body, headers_for(key, **extra))
    assert not took_django, "the direct path declined a request it is for"
    assert direct["status"] == 201
    assert comparable(direct) == comparable(django), django["body"]


def test_what_the_direct_path_leaves_behind_is_what_django_leaves(
    handler, settings, source_system, key, monkeypatch
):
    settings.SEND_NOTIFICATIONS = True
    woken = []
    monkeypatch.setattr(dispatch, "wake_workers", lambda: woken.append(1))  # keep the pending rows
    created = []
    for on in (True, False):
        response, took_django = answer(handler, V2, full_body(f"sid-{on}"), headers_for(key), on, settings)
        assert took_django is not on
        created.append(Incident.objects.get(pk=json.loads(response["body"])["pk"]))
    on, off = created
    for incident in created:
        (event,) = Event.objects.filter(incident=incident)
        assert (event.type, event.actor_id, event.timestamp) == (
            "STA",
            source_system.user_id,
            incident.start_time,
        )
        assert PendingEvent.objects.filter(event=event).count() == 1
        assert incident.search_text == on.search_text
    assert len(woken) == 2
    fields = ["start_time", "end_time", "details_url", "description", "level", "ticket_url", "metadata"]
    assert [getattr(on, f) for f in fields] == [getattr(off, f) for f in fields]
    tags = [sorted(str(r.tag) for r in i.incident_tag_relations.all()) for i in created]
    assert tags[0] == tags[1] == ["host=gw1.example.org", "location=oslo"]


def metric(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0


def test_the_direct_path_counts_the_request_and_sees_the_source(handler, settings, source_system, key):
    SourceSystem.objects.filter(pk=source_system.pk).update(last_seen=None)
    api_before = metric("argus_api_requests_total", version="v2", method="POST", code_class="2xx")
    ingest_before = metric("argus_ingest_requests_total", operation="incident_create", code="201")
    response, took_django = answer(handler, V2, full_body("sid-1"), headers_for(key), True, settings)
    assert response["status"] == 201 and not took_django
    assert metric("argus_api_requests_total", version="v2", method="POST", code_class="2xx") == api_before + 1
    assert metric("argus_ingest_requests_total", operation="incident_create", code="201") == ingest_before + 1
    last_seen = SourceSystem.objects.get(pk=source_system.pk).last_seen
    assert last_seen is not None and timezone.now() - last_seen < datetime.timedelta(minutes=5)


def valid(sid):
    return {"start_time": "2026-12-01T10:00:00Z", "tags": [{"tag": "a=b"}], "source_incident_id": sid}


# Requests the direct path must leave to Django (which answers them as it always did).
DECLINED = {
    "not-json": (lambda sid: b"{not json", {}),
    "json-array": (lambda sid: [valid(sid)], {}),
    "nan": (lambda sid: b'{"start_time": "2026-12-01T10:00:00Z", "tags": [], "level": NaN}', {}),
    "missing-start": (lambda sid: {"tags": []}, {}),
    "bad-tag": (lambda sid: {**valid(sid), "tags": [{"tag": "no equals sign"}]}, {}),
    "end-before-start": (lambda sid: {**valid(sid), "end_time": "2020-01-01T00:00:00Z"}, {}),
    "metadata-null": (lambda sid: {**valid(sid), "metadata": None}, {}),
    "source-field": (lambda sid: {**valid(sid), "source": 1}, {}),
    "bad-token": (valid, {"authorization": "Token 0123456789abcdef0123456789abcdef01234567"}),
    "no-token": (valid, {"authorization": ""}),
    "bearer": (valid, {"authorization": "Bearer abc"}),
    "query-string": (valid, {"path": V2 + "?format=json"}),
    "cookie": (valid, {"cookie": "sessionid=abc"}),
    "origin": (valid, {"origin": "https://evil.example.org"}),
    "accept-html": (valid, {"accept": "text/html"}),
    "form": (
        lambda sid: b"start_time=2026-12-01T10:00:00Z",
        {"content_type": "application/x-www-form-urlencoded"},
    ),
}


@pytest.mark.parametrize("case", DECLINED)
def test_what_the_direct_path_declines_gets_djangos_answer(handler, settings, key, case):
    make_body, extra = DECLINED[case]
    extra = dict(extra)
    path = extra.pop("path", V2)
    headers = headers_for(extra.pop("authorization", key) or None, **extra)
    direct, took_django, django = both_paths(handler, settings, path, make_body, headers)
    assert took_django, "the direct path answered a request it must leave to Django"
    if case == "accept-html":  # the browsable API's page: the same page, with other ids in it
        assert direct["status"] == django["status"] == 201
    else:
        assert comparable(direct) == comparable(django)
    assert direct["status"] != 500


def test_an_end_users_token_is_left_to_django(handler, settings):
    key = token_for(UserFactory()).key
    direct, took_django, django = both_paths(handler, settings, V2, valid, headers_for(key))
    assert took_django and direct["status"] == 400
    assert comparable(direct) == comparable(django)


def test_a_superuser_naming_a_source_is_left_to_django(handler, settings, source_system):
    key = token_for(SuperUserFactory()).key
    direct, took_django, django = both_paths(
        handler, settings, V2, lambda sid: {**valid(sid), "source": source_system.pk}, headers_for(key)
    )
    assert took_django and direct["status"] == 201
    assert comparable(direct) == comparable(django)


def test_an_expired_token_is_left_to_django_which_deletes_it(handler, settings, source_system):
    token = token_for(source_system.user)
    type(token).objects.filter(pk=token.pk).update(created=timezone.now() - datetime.timedelta(days=3650))
    response, took_django = answer(handler, V2, valid("x"), headers_for(token.key), True, settings)
    assert took_django and response["status"] == 401
    assert not type(token).objects.filter(pk=token.pk).exists()


def test_an_inactive_source_user_is_left_to_django(handler, settings, source_system, key):
    type(source_system.user).objects.filter(pk=source_system.user_id).update(is_active=False)
    response, took_django = answer(handler, V2, valid("x"), headers_for(key), True, settings)
    assert took_django and response["status"] == 401


def test_a_duplicate_source_incident_id_gets_djangos_error_and_nothing_more(
    handler, settings, source_system, key
):
    first, _ = answer(handler, V2, valid("dup-1"), headers_for(key), True, settings)
    assert first["status"] == 201
    direct_answer, took_django = answer(handler, V2, valid("dup-1"), headers_for(key), True, settings)
    django_answer, _ = answer(handler, V2, valid("dup-1"), headers_for(key), False, settings)
    assert not took_django and direct_answer["status"] == 400
    assert comparable(direct_answer) == comparable(django_answer)
    pk = json.loads(first["body"])["pk"]
    assert json.loads(direct_answer["body"]) == [
        f"An incident with source_incident_id 'dup-1' already exists for this source (pk={pk})."
    ]
    assert Incident.objects.filter(source=source_system).count() == 1


def test_a_body_over_the_upload_limit_or_shorter_than_announced_is_left_to_django(handler, settings, key):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    big = {**valid("big"), "description": "x" * 200}
    direct_answer, took_django, django_answer = both_paths(
        handler, settings, V2, lambda sid: big, headers_for(key)
    )
    assert took_django and direct_answer["status"] == 413
    assert comparable(direct_answer) == comparable(django_answer)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2621440
    raw = json.dumps(valid("short")).encode()
    headers = [*headers_for(key), (b"content-length", str(len(raw) + 10).encode())]
    response, took_django = answer(handler, V2, raw, headers, True, settings)
    assert took_django


def test_a_host_django_refuses_is_left_to_it(handler, settings, key):
    settings.ALLOWED_HOSTS = ["argus.example.org"]
    response, took_django = answer(handler, V2, valid("x"), headers_for(key), True, settings)
    assert took_django and response["status"] == 400
    assert not Incident.objects.exists()


def test_switched_off_or_under_other_middleware_everything_goes_through_django(handler, settings, key):
    response, took_django = answer(handler, V2, valid("a"), headers_for(key), False, settings)
    assert response["status"] == 201 and took_django
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.incident.api.test_direct.ExtraMiddleware"]
    response, took_django = answer(handler, V2, valid("b"), headers_for(key), True, settings)
    assert response["status"] == 201 and took_django


@pytest.mark.parametrize(
    "override",
    [
        {"DISALLOWED_USER_AGENTS": [re.compile("python")]},
        {"PREPEND_WWW": True},
        {"SECURE_SSL_REDIRECT": True},
        {"USE_X_FORWARDED_HOST": True},
        {"REST_FRAMEWORK": {"DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"]}},
        {"REST_FRAMEWORK": {"DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]}},
        {"CSRF_USE_SESSIONS": True},
        {"DEFAULT_CHARSET": "latin-1"},
        {"ROOT_URLCONF": "tests.incident.api.test_direct"},
    ],
    ids=[
        "disallowed-user-agents",
        "prepend-www",
        "ssl-redirect",
        "forwarded-host",
        "throttling",
        "json-only",
        "csrf-in-sessions",
        "charset",
        "other-urls",
    ],
)
def test_settings_that_change_what_django_does_turn_the_direct_path_off(handler, settings, key, override):
    for name, value in override.items():
        if name == "REST_FRAMEWORK":
            value = {**settings.REST_FRAMEWORK, **value}
        setattr(settings, name, value)
    assert not direct.enabled()


def test_with_cors_off_for_the_api_both_paths_still_agree(handler, settings, key):
    settings.CORS_URLS_REGEX = r"^/ui/"
    direct_answer, took_django, django = both_paths(handler, settings, V2, valid, headers_for(key))
    assert not took_django
    assert (b"Vary", b"Accept") in direct_answer["headers"]
    assert comparable(direct_answer) == comparable(django)


class ExtraMiddleware:  # only its presence in MIDDLEWARE matters: the handler's chain was built before
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)


def test_a_bug_in_the_service_gets_the_answer_django_gives(handler, settings, key, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(direct.services, "incident_create", broken)
    direct_answer, took_django, django_answer = both_paths(handler, settings, V2, valid, headers_for(key))
    assert not took_django and direct_answer["status"] == 500
    assert comparable(direct_answer) == comparable(django_answer)
    assert "a bug" in caplog.text


def test_a_bug_before_anything_changed_is_logged_and_left_to_django(
    handler, settings, key, monkeypatch, caplog
):
    def broken(data):
        raise RuntimeError("a parsing bug")

    monkeypatch.setattr(direct, "_json_object", broken)
    response, took_django = answer(handler, V2, valid("x"), headers_for(key), True, settings)
    assert took_django and response["status"] == 201
    assert "a parsing bug" in caplog.text


def test_the_served_application_offers_incident_posts_to_the_direct_path():
    from argus.site.asgi import django_asgi_app

    assert django_asgi_app.direct is direct


urlpatterns = []  # a URL configuration without the incident views ("other-urls" above)
