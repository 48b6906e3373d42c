"""The HTTP side of the ASGI application: whole requests in a fixed pool of threads."""

import asyncio
import datetime
import json
import threading

import pytest
from channels.testing import HttpCommunicator
from django.core import signals
from django.db import connection
from django.utils import timezone

from argus.incident import services
from argus.incident.api import views_incidents
from argus.incident.broadcast import run_on_server_loop
from argus.site.asgi import application
from argus.site.asgi_http import ThreadPoolASGIHandler
from argus.util.server_loop import server_event_loop, serving_for
from tests.factories import SourceSystemFactory, token_for


@pytest.fixture(autouse=True)
def close_handler_threads(monkeypatch):
    """Pool threads keep database connections (that is the point); close them after each test so
    the test database can be dropped."""
    from django.db import connections

    handlers = []
    original_init = ThreadPoolASGIHandler.__init__

    def tracking_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        handlers.append(self)

    monkeypatch.setattr(ThreadPoolASGIHandler, "__init__", tracking_init)
    yield
    for handler in handlers:
        if handler._executor is not None:
            # One task per thread: the barrier keeps a thread from taking two.
            barrier = threading.Barrier(handler.threads)

            def close_in_this_thread(barrier=barrier):
                barrier.wait(timeout=10)
                connections.close_all()

            futures = [handler._executor.submit(close_in_this_thread) for _ in range(handler.threads)]
            for future in futures:
                future.result()
            handler._executor.shutdown()


def request(app, method, path, body=b"", headers=()):
    async def go():
        communicator = HttpCommunicator(app, method, path, body=body, headers=list(headers))
        return await communicator.get_response(timeout=10)

    return asyncio.run(go())


@pytest.fixture
def seen_threads():
    seen = []

    def record(**kwargs):
        seen.append((threading.current_thread().name, server_event_loop()))

    signals.request_started.connect(record)
    yield seen
    signals.request_started.disconnect(record)


def test_requests_run_in_the_pool_and_can_reach_the_server_loop(seen_threads):
    handler = ThreadPoolASGIHandler(threads=2)
    for _ in range(5):
        response = request(handler, "GET", "/api/")
        assert response["status"] == 200
        assert "api-version" in json.loads(response["body"])
    names = {name for name, _loop in seen_threads}
    assert all(name.startswith("argus-http") for name in names)
    assert len(names) <= 2  # threads are reused, not one per request
    assert all(loop is not None for _name, loop in seen_threads)
    assert server_event_loop() is None  # only inside request threads


def test_the_application_routes_http_through_the_pool(seen_threads):
    response = request(application, "GET", "/api/")
    assert response["status"] == 200
    assert seen_threads and seen_threads[0][0].startswith("argus-http")


def test_a_bad_host_is_a_400_not_a_crash(settings):
    settings.ALLOWED_HOSTS = ["argus.example.org"]
    response = request(ThreadPoolASGIHandler(threads=1), "GET", "/api/", headers=[(b"host", b"evil.example")])
    assert response["status"] == 400


@pytest.mark.django_db(transaction=True)
def test_post_bodies_reach_the_view_and_errors_are_json():
    response = request(
        ThreadPoolASGIHandler(threads=1),
        "POST",
        "/api/v2/incidents/",
        body=b'{"start_time": "not a time"}',
        headers=[(b"content-type", b"application/json")],
    )
    assert response["status"] == 401
    assert json.loads(response["body"]) == {"detail": "Authentication credentials were not provided."}


@pytest.mark.django_db(transaction=True)
def test_a_request_thread_keeps_its_database_connection(settings):
    """Threads live as long as the process, so (with CONN_MAX_AGE) their connection is reused."""
    from django.db import connections

    ids = []

    def record(**kwargs):
        connection.ensure_connection()
        ids.append(id(connections["default"].connection))

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 60
    signals.request_started.connect(record)
    try:
        handler = ThreadPoolASGIHandler(threads=1)
        for _ in range(3):
            assert request(handler, "GET", "/api/")["status"] == 200
    finally:
        signals.request_started.disconnect(record)
    assert len(ids) == 3 and len(set(ids)) == 1


def in_a_request_thread(function):
    """Run ``function(loop)`` in a pool thread of a handler, as a request would, inside a loop."""

    async def main():

        handler = ThreadPoolASGIHandler(threads=1)
        loop = asyncio.get_running_loop()

        def in_request_thread():
            with serving_for(loop):
                return function(loop)

        return await loop.run_in_executor(handler.executor, in_request_thread)

    return asyncio.run(main())


def test_run_on_server_loop_uses_the_loop_of_the_request_thread():
    ran_on = []

    async def where():
        ran_on.append(asyncio.get_running_loop())

    def use(loop):
        run_on_server_loop(where())
        return loop

    loop = in_a_request_thread(use)
    assert ran_on == [loop]
    run_on_server_loop(where())  # outside a request thread: async_to_sync's own loop
    assert len(ran_on) == 2 and ran_on[1] is not loop


def test_run_on_server_loop_gives_up_when_the_loop_never_runs_it():
    """A request thread must not hang on a loop that is shutting down (or blocked)."""
    import time

    async def forever():
        await asyncio.sleep(3600)

    def wait(_loop):
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            run_on_server_loop(forever(), timeout=0.2)
        return time.monotonic() - started

    assert in_a_request_thread(wait) < 2


async def _every_message(app, path, headers):
    communicator = HttpCommunicator(app, "GET", path, headers=list(headers))
    await communicator.send_input({"type": "http.request", "body": b""})
    messages = []
    while not messages or messages[-1]["type"] != "http.response.body" or messages[-1].get("more_body"):
        messages.append(await communicator.receive_output(timeout=10))
    await communicator.wait(timeout=10)
    return messages


@pytest.mark.django_db(transaction=True)
def test_a_streamed_answer_is_sent_a_batch_at_a_time_from_the_pool(monkeypatch, seen_threads):
    monkeypatch.setattr(views_incidents, "UNPAGINATED_BATCH_SIZE", 2)
    source = SourceSystemFactory()
    start = timezone.now()
    created = [
        services.incident_create(
            actor=source.user, source=source, start_time=start - datetime.timedelta(minutes=n)
        )
        for n in range(5)
    ]
    headers = [(b"authorization", f"Token {token_for(source.user).key}".encode())]
    messages = asyncio.run(
        _every_message(ThreadPoolASGIHandler(threads=2), "/api/v1/incidents/open/", headers)
    )
    assert messages[0]["type"] == "http.response.start" and messages[0]["status"] == 200
    assert (b"Content-Type", b"application/json") in messages[0]["headers"]
    parts = [message["body"] for message in messages[1:] if message.get("body")]
    assert len(parts) >= 3  # three batches of at most two incidents, each sent as it is read
    assert [incident["pk"] for incident in json.loads(b"".join(parts))] == [i.pk for i in created]
    assert all(name.startswith("argus-http") for name, _loop in seen_threads)


def test_under_daphne_twisted_leaves_post_bodies_unparsed():
    from daphne.http_protocol import WebRequest

    from argus.site.asgi_http import skip_twisted_form_parsing

    assert skip_twisted_form_parsing() is True
    wrapped = WebRequest.__init__
    assert wrapped.argus_no_form_parsing
    assert skip_twisted_form_parsing() is True and WebRequest.__init__ is wrapped  # once only

    class Server:
        def protocol_connected(self, request):
            pass

    class Channel:  # what Twisted's and daphne's request constructors read of their channel
        transport = None
        factory = type("Factory", (), {"server": Server()})()

        def getPeer(self):
            return None

        def getHost(self):
            return None

    assert WebRequest(Channel())._parsePOSTFormSubmission is False
