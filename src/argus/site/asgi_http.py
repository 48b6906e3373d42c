"""HTTP under ASGI, served the way a WSGI server would: each request wholly in one pool thread.

Django's own ASGI handler runs synchronous code (our views, and every ``MiddlewareMixin``
middleware) through ``sync_to_async``: one new thread per request, several thread hand-offs per
request (one per middleware hook), and, because database connections belong to a thread, a new
database connection per request. For an API whose views are all synchronous that costs more CPU
than the view itself (see docs/performance.md).

:class:`ThreadPoolASGIHandler` keeps Django's request parsing and response sending
(``ASGIHandler.read_body``/``create_request``/``send_response``) but builds the *synchronous*
middleware chain once and runs ``request_started`` → middleware → view → ``request_finished`` in a
thread of a fixed pool (``ARGUS_HTTP_THREADS``, default 4). Threads live as long as the process,
so their database connections are reused (``CONN_MAX_AGE``), and the event loop only reads the
body and writes the response. Code running in a request thread can reach the server's event loop
with ``argus.util.server_loop.server_event_loop`` (the websocket broadcast uses it to talk to
the channel layer).

A streaming response with a synchronous iterator (the unpaginated v1 lists, files) is read in a
pool thread too, chunk by chunk, each chunk handed to the event loop and sent before the next is
read: Django's own handler would first collect the whole body in a list, in a thread of its own
(with a database connection of its own).
"""

from __future__ import annotations

import asyncio
import functools
import gc
import inspect
import logging
import os
import queue
import sys
import threading
from concurrent.futures import Executor, Future

import django
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import FileResponse
from django.urls import get_resolver, set_script_prefix

from argus.util.database import connection_problem, database_unavailable
from argus.util.server_loop import serving_for

logger = logging.getLogger(__name__)


class RequestThreads(Executor):
    """A fixed set of threads that run what the event loop hands them.

    An executor (``loop.run_in_executor`` accepts it), plus :meth:`run`, the request path's lighter
    hand-over: one queue put, and the result comes back with one ``call_soon_threadsafe``, where
    ``ThreadPoolExecutor`` takes its locks, makes a ``concurrent.futures.Future`` and chains it to
    an asyncio one. On a busy server the hand-over was a tenth of the event loop's CPU.
    """

    def __init__(self, threads: int, name: str = "argus-http"):
        self.threads = threads
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._workers = [
            threading.Thread(target=self._work, name=f"{name}_{n}", daemon=True) for n in range(threads)
        ]
        for worker in self._workers:
            worker.start()

    async def run(self, function, *args):
        """``function(*args)`` in one of the threads; its result (or exception)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.put((_settle_on_loop, (loop, future), function, args))
        return await future

    def submit(self, function, /, *args, **kwargs) -> Future:
        future = Future()
        self._queue.put((_settle_future, (future,), lambda: function(*args, **kwargs), ()))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        for _ in self._workers:
            self._queue.put(None)
        if wait:
            for worker in self._workers:
                worker.join()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            settle, target, function, args = item
            try:
                result = function(*args)
            except BaseException as error:
                settle(*target, None, error)
            else:
                settle(*target, result, None)


def _settle_on_loop(loop, future, result, error) -> None:
    try:
        loop.call_soon_threadsafe(_settle_asyncio_future, future, result, error)
    except RuntimeError:  # the loop has closed: nobody waits any more
        pass


def _settle_asyncio_future(future, result, error) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _settle_future(future: Future, result, error) -> None:
    if not future.set_running_or_notify_cancel():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class ThreadPoolASGIHandler(ASGIHandler):
    """Django's ASGI handler with a synchronous request path run in a fixed thread pool."""

    def __init__(self, threads: int | None = None):
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        #: What may answer a request before Django does (``handles(scope)``,
        #: ``create_directly(scope, body)``): ``argus.incident.api.direct``, set by ``argus.site.asgi``
        #: once Django is set up (it needs the models).
        self.direct = None
        self.threads = max(1, threads or settings.ARGUS_HTTP_THREADS)
        self._executor: RequestThreads | None = None
        self._executor_pid: int | None = None

    @property
    def executor(self) -> RequestThreads:
        # Created lazily, and again after a fork, so a forked worker never shares the parent's threads.
        if self._executor is None or self._executor_pid != os.getpid():
            self._executor = RequestThreads(self.threads)
            self._executor_pid = os.getpid()
        return self._executor

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        loop = asyncio.get_running_loop()
        try:
            response = await self.executor.run(self._respond, loop, scope, body_file)
            try:
                if not response.streaming:
                    await self.send_response(response, send)  # closed already, in _respond
                elif not response.is_async:
                    await self.executor.run(self._stream, loop, response, send)
                else:
                    await self.send_response(response, send)
            except (asyncio.CancelledError, ClientGone):
                pass  # the client went away while the response was being sent
            if response.streaming:
                await self.executor.run(self._close, loop, response)
        finally:
            body_file.close()

    def _respond(self, loop, scope, body_file):
        """In a pool thread: the whole synchronous Django request cycle up to a response.

        A source system's incident POST is offered to ``argus.incident.api.direct`` first, which
        answers it without Django's middleware and DRF's dispatch, or declines it.
        """
        with serving_for(loop):
            set_script_prefix(get_script_prefix(scope))
            signals.request_started.send(sender=self.__class__, scope=scope)
            response = None
            if self.direct is not None and self.direct.handles(scope):
                response = self._direct_response(scope, body_file)
            if response is None:
                request, error_response = self.create_request(scope, body_file)
                if request is None:
                    return error_response
                response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
            if not response.streaming:
                # Its body is bytes already: close it here (request_finished: the database
                # connection's housekeeping) rather than in a second trip to the pool after sending.
                response.close()
            return response

    def _direct_response(self, scope, body_file):
        try:
            return self.direct.create_directly(scope, body_file)
        except Exception:  # a bug before anything changed: logged, and Django answers
            logger.exception("The direct path failed on %s; Django's path answers", scope["path"])
            body_file.seek(0)
            return None

    def _stream(self, loop, response, send) -> None:
        """In a pool thread: send a streaming response, reading its next chunk only once the
        previous one is handed over (so memory holds about one chunk)."""

        def deliver(message):
            try:
                asyncio.run_coroutine_threadsafe(send(message), loop).result()
            except (asyncio.CancelledError, OSError) as error:
                raise ClientGone() from error

        with serving_for(loop):
            deliver(
                {"type": "http.response.start", "status": response.status_code, "headers": _headers(response)}
            )
            for chunk in response:
                if chunk:
                    deliver({"type": "http.response.body", "body": chunk, "more_body": True})
            deliver({"type": "http.response.body"})

    def _close(self, loop, response) -> None:
        """In a pool thread: ``response.close()`` of a streamed response, which sends
        ``request_finished``."""
        with serving_for(loop):
            response.close()


class ClientGone(Exception):
    """The client closed the connection while a streaming response was being sent."""


def _headers(response) -> list[tuple[bytes, bytes]]:
    """The ASGI headers of ``response``, as ``ASGIHandler.send_response`` writes them."""
    headers = []
    for header, value in response.items():
        if isinstance(header, str):
            header = header.encode("ascii")
        if isinstance(value, str):
            value = value.encode("latin1")
        headers.append((bytes(header), bytes(value)))
    for cookie in response.cookies.values():
        headers.append((b"Set-Cookie", cookie.output(header="").encode("ascii").strip()))
    return headers


def get_http_application() -> ThreadPoolASGIHandler:
    django.setup(set_prefix=False)
    handler = ThreadPoolASGIHandler()
    get_resolver().check()  # imports every URL module now, not during the first request
    tune_garbage_collector()
    skip_twisted_form_parsing()
    return handler


def skip_twisted_form_parsing() -> bool:
    """Under daphne, stop Twisted parsing POST bodies into form arguments nobody reads.

    Twisted's ``Request`` parses the ``Content-Type`` of every POST with the ``email`` package and
    a form body into ``request.args``; daphne hands Django the raw body and never reads them. On
    an incident POST that was a twentieth of the server's CPU, and a large form upload was held
    twice. Twisted's own switch, ``parsePOSTFormSubmission=False``, is given to daphne's request
    class. Returns whether it was (not when the server is not daphne, or Twisted lacks the switch).
    """
    module = sys.modules.get("daphne.http_protocol")
    if module is None:
        return False
    request_class = module.WebRequest
    original = request_class.__init__
    if getattr(original, "argus_no_form_parsing", False):
        return True
    twisted_request = sys.modules["twisted.web.http"].Request  # daphne's request class extends it
    if "parsePOSTFormSubmission" not in inspect.signature(twisted_request.__init__).parameters:
        return False

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("parsePOSTFormSubmission", False)
        original(self, *args, **kwargs)

    __init__.argus_no_form_parsing = True
    request_class.__init__ = __init__
    return True


def tune_garbage_collector() -> None:
    """Keep full garbage collections out of request latency.

    A list page builds tens of thousands of short-lived objects, enough to trigger a full (oldest
    generation) collection every dozen requests, each walking every object of the process: ~70 ms
    on top of a ~20 ms request, i.e. the p95. Freezing what start-up created (modules, URL
    patterns, settings: never garbage) takes it out of every collection, and collecting the oldest
    generation ten times less often leaves reference cycles of requests to the younger ones.
    Measured on a 100-incident page: p95 94 ms → 21 ms, p50 unchanged.
    """
    gc.collect()
    gc.freeze()
    young, middle, _old = gc.get_threshold()
    gc.set_threshold(young, middle, 100)


def report_database_problem() -> threading.Thread:
    """Try the database once, in the background; if it cannot be reached, log one line saying
    which database (no password) and why, instead of a traceback per request."""

    def check():
        connection = connections[DEFAULT_DB_ALIAS]
        try:
            connection.ensure_connection()
        except Exception as error:  # anything else is for the requests to report
            if database_unavailable(error):
                logger.error("%s", connection_problem(error, connection.settings_dict))
        finally:
            connections.close_all()

    thread = threading.Thread(target=check, name="argus-database-check", daemon=True)
    thread.start()
    return thread
