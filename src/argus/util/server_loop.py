"""Which event loop serves the current request thread.

The ASGI server (``argus.site.asgi_http``) runs each HTTP request in a thread of its pool and
marks the thread with the server's event loop for as long as it serves the request. Code running
there (the websocket broadcast of ``argus.incident.broadcast``) hands coroutines to that loop,
where the channel layer keeps its connections, instead of starting a loop of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

_thread_state = threading.local()


def server_event_loop() -> asyncio.AbstractEventLoop | None:
    """The ASGI server's event loop when called from one of its request threads, else ``None``."""
    return getattr(_thread_state, "loop", None)


@contextlib.contextmanager
def serving_for(loop):
    """Mark the current (pool) thread as serving a request of the server running ``loop``."""
    _thread_state.loop = loop
    try:
        yield
    finally:
        _thread_state.loop = None
