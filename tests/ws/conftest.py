"""Fixtures for the websocket tests: an isolated channel layer per test and connection helpers.

Websocket tests are plain (sync) test functions that run their async scenario with
:func:`run_async`: the consumer's ``database_sync_to_async`` calls then execute in the test's own
thread and database connection, so SQLite in memory and PostgreSQL behave the same.
"""

import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.test import Client

from argus.ws.routing import websocket_application
from tests.factories import token_for

WS_PATH = "/ws/open/"


@pytest.fixture(autouse=True)
def isolated_channel_layer(settings):
    """A fresh channel layer per test; on Redis, a private key prefix so parallel runs never mix."""
    config = dict(settings.CHANNEL_LAYERS["default"])
    if "redis" in config["BACKEND"].lower():
        config["CONFIG"] = {**config.get("CONFIG", {}), "prefix": f"argus-test-{uuid.uuid4().hex[:12]}:"}
    settings.CHANNEL_LAYERS = {"default": config}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def run_async(scenario, *args, **kwargs):
    """Run an async scenario from a sync test (same thread, same DB connection)."""
    return async_to_sync(scenario)(*args, **kwargs)


def communicator(headers=None, path=WS_PATH) -> WebsocketCommunicator:
    return WebsocketCommunicator(websocket_application, path, headers=headers or [])


def session_cookie_header(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


def token_header(user) -> tuple[bytes, bytes]:
    return (b"authorization", f"Token {token_for(user).key}".encode())


def token_cookie_header(user) -> tuple[bytes, bytes]:
    return (b"cookie", f"token={token_for(user).key}".encode())


async def connect(headers) -> WebsocketCommunicator:
    comm = communicator(headers)
    connected, _ = await comm.connect()
    assert connected
    return comm


async def subscribe(comm) -> dict:
    await comm.send_json_to({"action": "subscribe"})
    frame = await comm.receive_json_from()
    assert frame["type"] == "subscribed"
    return frame


@pytest.fixture
def end_user_headers(end_user):
    return [token_header(end_user)]
