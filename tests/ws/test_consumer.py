"""The /ws/open/ consumer through Channels' test communicator (realtime.md §1-3, §10)."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from argus.ws.consumers import (
    ERROR_BINARY,
    ERROR_NOT_JSON,
    ERROR_NOT_OBJECT,
    START_INCIDENTS_COUNT,
)
from tests.factories import EndUserFactory, IncidentFactory, knox_token_for, token_for
from tests.ws.conftest import (
    communicator,
    connect,
    run_async,
    session_cookie_header,
    subscribe,
    token_cookie_header,
    token_header,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def refused(headers, path="/ws/open/") -> bool:
    comm = communicator(headers, path=path)
    connected, _ = await comm.connect()
    await comm.disconnect()  # what the server does after refusing: the consumer must end cleanly
    return not connected


async def accepted(headers, path="/ws/open/") -> bool:
    comm = communicator(headers, path=path)
    connected, _ = await comm.connect()
    await comm.disconnect()
    return connected


# --- authentication ------------------------------------------------------------------------------


def test_session_cookie_authenticates(end_user):
    assert run_async(accepted, [session_cookie_header(end_user)])


def test_token_cookie_authenticates(end_user):
    assert run_async(accepted, [token_cookie_header(end_user)])


@pytest.mark.parametrize("keyword", ["Token", "token"])
def test_authorization_token_header_authenticates(end_user, keyword):
    key = token_for(end_user).key
    assert run_async(accepted, [(b"authorization", f"{keyword} {key}".encode())])


def test_knox_token_header_authenticates(end_user):
    key = knox_token_for(end_user)
    assert run_async(accepted, [(b"authorization", f"Token {key}".encode())])


def test_no_credentials_are_refused_at_once():
    assert run_async(refused, [])


def test_expired_token_is_refused_and_deleted(end_user):
    token = token_for(end_user)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=15))
    assert run_async(refused, [(b"cookie", f"token={token.key}".encode())])
    assert not Token.objects.filter(user=end_user).exists()


def test_expired_token_in_header_is_refused(end_user):
    token = token_for(end_user)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=15))
    assert run_async(refused, [(b"authorization", f"Token {token.key}".encode())])


def test_token_younger_than_fourteen_days_is_accepted(end_user):
    token = token_for(end_user)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=13))
    assert run_async(accepted, [token_header(end_user)])


@pytest.mark.parametrize(
    "headers",
    [
        [(b"authorization", b"Token nonsense")],
        [(b"authorization", b"Bearer 0123456789abcdef")],
        [(b"authorization", b"Token")],
        [(b"cookie", b"token=nonsense")],
        [(b"cookie", b"sessionid=nonsense")],
    ],
)
def test_bad_credentials_are_refused(db, headers):
    assert run_async(refused, headers)


def test_inactive_user_is_refused():
    user = EndUserFactory(is_active=False)
    assert run_async(refused, [token_header(user)])
    assert run_async(refused, [session_cookie_header(user)])


def test_valid_session_wins_over_a_stale_token_cookie(end_user):
    session = session_cookie_header(end_user)[1]
    assert run_async(accepted, [(b"cookie", session + b"; token=stale")])


@pytest.mark.parametrize("path", ["/ws/open", "/ws/", "/ws/open/x/"])
def test_other_paths_are_refused(end_user, path):
    assert run_async(refused, [token_header(end_user)], path=path)


def test_query_string_is_ignored(end_user):
    assert run_async(accepted, [token_header(end_user)], path="/ws/open/?foo=1")


# --- subscribe -----------------------------------------------------------------------------------


def test_subscribed_reply_lists_open_incidents_newest_first(end_user_headers):
    now = timezone.now()
    older = IncidentFactory(start_time=now - timedelta(hours=2))
    newer = IncidentFactory(start_time=now - timedelta(hours=1))
    IncidentFactory(start_time=now - timedelta(minutes=5), end_time=now - timedelta(minutes=1))  # closed
    IncidentFactory(start_time=now, end_time=None)  # stateless

    async def scenario():
        comm = await connect(end_user_headers)
        await comm.send_json_to({"action": "subscribe"})
        raw = await comm.receive_from()
        await comm.disconnect()
        return raw

    raw = run_async(scenario)
    frame = json.loads(raw)
    assert list(frame) == ["type", "channel_name", "start_incidents"]
    assert raw.startswith('{"type": "subscribed", "channel_name": ')  # default json separators
    assert isinstance(frame["channel_name"], str) and frame["channel_name"]
    assert [incident["pk"] for incident in frame["start_incidents"]] == [newer.pk, older.pk]
    first = frame["start_incidents"][0]
    assert list(first) == [
        "pk",
        "start_time",
        "end_time",
        "source",
        "source_incident_id",
        "details_url",
        "description",
        "level",
        "ticket_url",
        "metadata",
        "tags",
        "stateful",
        "open",
        "acked",
    ]
    assert first["end_time"] == "infinity"
    assert first["open"] is True
    assert list(first["source"]) == ["pk", "name", "type", "user", "base_url"]


def test_subscribed_reply_holds_the_25_newest_open_incidents(end_user_headers, django_assert_max_num_queries):
    now = timezone.now()
    incidents = [IncidentFactory(start_time=now - timedelta(minutes=i)) for i in range(30)]

    async def scenario():
        comm = await connect(end_user_headers)
        frame = await subscribe(comm)
        await comm.disconnect()
        return frame

    with django_assert_max_num_queries(6):
        frame = run_async(scenario)
    assert [i["pk"] for i in frame["start_incidents"]] == [i.pk for i in incidents[:START_INCIDENTS_COUNT]]


def test_subscribe_query_count_does_not_grow_with_incidents(end_user_headers):
    async def scenario():
        comm = await connect(end_user_headers)
        frame = await subscribe(comm)
        await comm.disconnect()
        return frame

    IncidentFactory()
    run_async(scenario)  # warm up: token lookup, content types
    with CaptureQueriesContext(connection) as few:
        run_async(scenario)
    for _ in range(20):
        IncidentFactory()
    with CaptureQueriesContext(connection) as many:
        run_async(scenario)
    assert len(many) == len(few)


def test_subscribing_twice_answers_twice_without_duplicate_deliveries(end_user_headers):
    from argus.incident.broadcast import broadcast_now

    incident = IncidentFactory()

    async def scenario():
        comm = await connect(end_user_headers)
        await subscribe(comm)
        await subscribe(comm)
        from asgiref.sync import sync_to_async

        await sync_to_async(broadcast_now)("modified", [incident.pk])
        frame = await comm.receive_json_from()
        nothing_more = await comm.receive_nothing(timeout=0.2)
        await comm.disconnect()
        return frame, nothing_more

    frame, nothing_more = run_async(scenario)
    assert frame["type"] == "modified" and frame["payload"]["pk"] == incident.pk
    assert nothing_more


# --- error frames --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message, error",
    [
        ({"action": "foo"}, "unknown action foo"),
        ({"hello": 1}, "unknown action None"),
        ({"action": None}, "unknown action None"),
        ({"action": "unsubscribe"}, "unknown action unsubscribe"),
        ({"action": 5}, "unknown action 5"),
        ([1, 2], ERROR_NOT_OBJECT),
        ("subscribe", ERROR_NOT_OBJECT),
        (3, ERROR_NOT_OBJECT),
        (None, ERROR_NOT_OBJECT),
    ],
)
def test_unknown_actions_and_non_objects_get_an_error_and_the_connection_stays_open(
    end_user_headers, message, error
):
    async def scenario():
        comm = await connect(end_user_headers)
        await comm.send_json_to(message)
        raw = await comm.receive_from()
        frame = await subscribe(comm)  # still open and usable
        await comm.disconnect()
        return raw, frame

    raw, frame = run_async(scenario)
    assert raw == json.dumps({"error": error})
    assert frame["type"] == "subscribed"


@pytest.mark.parametrize(
    "message, error",
    [
        ({"type": "websocket.receive", "text": "hello"}, ERROR_NOT_JSON),
        ({"type": "websocket.receive", "text": ""}, ERROR_NOT_JSON),
        ({"type": "websocket.receive", "text": '{"action": "subscribe"'}, ERROR_NOT_JSON),
        ({"type": "websocket.receive", "text": "[" * 100_000 + "]" * 100_000}, ERROR_NOT_JSON),
        (
            {"type": "websocket.receive", "text": '{"action": ' + "[" * 5000 + "]" * 5000 + "}"},
            ERROR_NOT_JSON,
        ),
        ({"type": "websocket.receive", "bytes": b"\x00\x01"}, ERROR_BINARY),
        ({"type": "websocket.receive", "bytes": b'{"action": "subscribe"}'}, ERROR_BINARY),
    ],
)
def test_bad_frames_get_an_error_and_the_connection_stays_open(end_user_headers, message, error):
    async def scenario():
        comm = await connect(end_user_headers)
        await comm.send_input(message)
        frame = await comm.receive_json_from()
        subscribed = await subscribe(comm)
        await comm.disconnect()
        return frame, subscribed

    frame, subscribed = run_async(scenario)
    assert frame == {"error": error}
    assert subscribed["type"] == "subscribed"


def test_unsubscribed_connection_receives_nothing(end_user_headers):
    from asgiref.sync import sync_to_async

    from argus.incident.broadcast import broadcast_now

    incident = IncidentFactory()

    async def scenario():
        comm = await connect(end_user_headers)
        await sync_to_async(broadcast_now)("created", [incident.pk])
        nothing = await comm.receive_nothing(timeout=0.2)
        await comm.disconnect()
        return nothing

    assert run_async(scenario)


def test_subscription_outlives_the_layers_group_expiry(settings, end_user_headers):
    """Members are renewed in the group, so a long-open dashboard never silently stops receiving."""
    import asyncio

    from asgiref.sync import sync_to_async

    from argus.incident.broadcast import broadcast_now

    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"group_expiry": 1}}
    }
    settings.ARGUS_WS_GROUP_REFRESH_SECONDS = 0.2
    incident = IncidentFactory()

    async def scenario():
        comm = await connect(end_user_headers)
        await subscribe(comm)
        await asyncio.sleep(2.2)  # > group_expiry (whole seconds) + 1
        await sync_to_async(broadcast_now)("modified", [incident.pk])
        frame = await comm.receive_json_from()
        await comm.disconnect()
        return frame

    assert run_async(scenario)["payload"]["pk"] == incident.pk


def test_an_unreachable_channel_layer_is_an_error_frame_and_the_connection_stays_open(
    settings, end_user_headers
):
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [("127.0.0.1", 1)]},
        }
    }
    channel_layers.backends.clear()

    async def scenario():
        comm = await connect(end_user_headers)
        await comm.send_json_to({"action": "subscribe"})
        first = await comm.receive_json_from(timeout=5)
        await comm.send_json_to({"action": "subscribe"})
        second = await comm.receive_json_from(timeout=5)
        await comm.send_to(text_data="not json")
        third = await comm.receive_json_from(timeout=5)
        await comm.disconnect()
        return first, second, third

    unavailable = {"error": "subscription failed: the realtime feed is unavailable, try again later"}
    assert run_async(scenario) == (unavailable, unavailable, {"error": "invalid frame: not valid JSON"})
